//! Every real snapshot in `../shared/fixtures/snapshots` loads, and every flag in it evaluates.

mod common;

use serde_json::json;
use split_edge::{Client, ClientConfig, EvaluationOptions, Key, Snapshot};

#[test]
fn every_fixture_snapshot_loads_and_evaluates() {
    let dir = common::shared("fixtures/snapshots");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("fixtures dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let (mut split_bodies, mut segment_bodies, mut flags_seen) = (0, 0, 0);
    let mut snapshot = Snapshot::new();
    for file in &files {
        let body = std::fs::read_to_string(file).expect("readable");
        let is_segment = serde_json::from_str::<serde_json::Value>(body.trim_start_matches('\u{feff}'))
            .map(|v| v.get("added").is_some())
            .expect("valid JSON");
        if is_segment {
            snapshot.apply_segment_change_json(&body).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            segment_bodies += 1;
        } else {
            // Each splitChanges body on its own, and all of them applied in turn.
            let mut own = Snapshot::new();
            own.apply_split_changes_json(&body).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(own.flag_count() > 0, "{}: has flags", file.display());
            flags_seen += own.flag_count();
            snapshot.apply_split_changes_json(&body).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            split_bodies += 1;
        }
    }
    assert_eq!(files.len(), 11, "fixture files read");
    assert_eq!((split_bodies, segment_bodies, flags_seen), (8, 3, 84), "bodies and active flags read");

    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    let attributes = json!({"email": "a@split.io", "age": 30, "version": "1.2.3", "tags": ["a"], "bool": true});
    let attributes = attributes.as_object();
    let mut evaluated = 0;
    for name in snapshot.flag_names() {
        for key in ["key1", "user_2", "a@b.c"] {
            let result = client.evaluate(&Key::new(key), name, attributes, &EvaluationOptions::default());
            assert_ne!(result.label.as_deref(), Some("exception"), "{name} for {key}");
            assert!(result.label.is_some());
            evaluated += 1;
        }
    }
    assert_eq!(evaluated, 3 * snapshot.flag_count());
    assert!(snapshot.flag_count() > 70);
}

#[test]
fn legacy_and_current_shapes_load_alike() {
    let flag = common::flag("f", vec![common::condition(vec![common::matcher("ALL_KEYS", None, json!({}))], "all")]);
    let mut legacy = Snapshot::new();
    legacy
        .apply_split_changes_json(&json!({"splits": [flag.clone()], "since": -1, "till": 7}).to_string())
        .expect("legacy shape");
    let mut current = Snapshot::new();
    current.apply_split_changes_json(&json!({"ff": {"d": [flag], "s": -1, "t": 7}}).to_string()).expect("1.3 shape");
    assert_eq!(legacy.flags_change_number(), 7);
    assert_eq!(current.flags_change_number(), 7);
    assert_eq!(legacy.flag_names(), current.flag_names());
    assert_eq!(current.rule_based_segments_change_number(), -1, "no rbs in the body: unchanged");
}
