//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{json, Value};
use split_edge::Snapshot;

/// `../shared` from the crate root.
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")).join(path)
}

/// Reads a shared file to a string.
pub fn read_shared(path: &str) -> String {
    std::fs::read_to_string(shared(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A matcher on an attribute (or the key when `attribute` is None).
pub fn matcher(matcher_type: &str, attribute: Option<&str>, data: Value) -> Value {
    let mut m = json!({
        "keySelector": {"trafficType": "user", "attribute": attribute},
        "matcherType": matcher_type,
        "negate": false,
    });
    if let (Some(obj), Some(extra)) = (m.as_object_mut(), data.as_object()) {
        for (k, v) in extra {
            obj.insert(k.clone(), v.clone());
        }
    }
    m
}

/// A ROLLOUT condition with the given matchers, 100% `on`, and a label.
pub fn condition(matchers: Vec<Value>, label: &str) -> Value {
    json!({
        "conditionType": "ROLLOUT",
        "matcherGroup": {"combiner": "AND", "matchers": matchers},
        "partitions": [{"treatment": "on", "size": 100}, {"treatment": "off", "size": 0}],
        "label": label,
    })
}

/// A flag with the given conditions; default treatment `off`.
pub fn flag(name: &str, conditions: Vec<Value>) -> Value {
    json!({
        "name": name, "trafficTypeName": "user", "seed": 1234, "trafficAllocation": 100,
        "trafficAllocationSeed": 42, "status": "ACTIVE", "killed": false, "defaultTreatment": "off",
        "changeNumber": 10, "algo": 2, "conditions": conditions,
        "configurations": {"on": "{\"x\":1}"}, "sets": ["s1"],
    })
}

/// A snapshot holding these flags (and rule-based segments), plus segments `(name, keys)`.
pub fn snapshot(flags: Vec<Value>, rbs: Vec<Value>, segments: &[(&str, &[&str])]) -> Snapshot {
    let mut s = Snapshot::new();
    let body = json!({"ff": {"d": flags, "s": -1, "t": 10}, "rbs": {"d": rbs, "s": -1, "t": 5}});
    s.apply_split_changes_json(&body.to_string()).expect("test snapshot loads");
    for (name, keys) in segments {
        let change = json!({"name": name, "added": keys, "removed": [], "since": -1, "till": 1});
        s.apply_segment_change_json(&change.to_string()).expect("test segment loads");
    }
    s
}
