//! Structured generation from fuzz bytes: flag definitions, rule-based segments, segments, keys
//! and attributes drawn from small pools of names, so that matchers, prerequisites, dependencies
//! and segments refer to each other and evaluation goes deep instead of stopping at a parse error.

use serde_json::{json, Map, Value};

use crate::input::Input;

/// Flag names (also what `IN_SPLIT_TREATMENT` and prerequisites refer to).
pub const FLAGS: &[&str] = &["f0", "f1", "f2", "f3", "f4"];
/// Segment names (standard and large).
pub const SEGMENTS: &[&str] = &["s0", "s1", "s2"];
/// Rule-based segment names.
pub const RB_SEGMENTS: &[&str] = &["r0", "r1"];
/// Treatment names.
pub const TREATMENTS: &[&str] = &["on", "off", "v1", "control", ""];
/// Attribute names.
pub const ATTRIBUTES: &[&str] = &["a", "b", "plan", "version", "n"];
/// Keys.
pub const KEYS: &[&str] = &["u0", "u1", "key", "", " u0 ", "1", "ü", "0.5"];
/// Flag sets.
pub const SETS: &[&str] = &["set_a", "set_b", "Set C", ""];

const STRINGS: &[&str] =
    &["u0", "a", "pro", "1.2.3", "1.2.3-rc.1", "2.0.0+b", "^a.*$", "(a|b)+", "[", "10", "-3.5", "true"];

const MATCHER_TYPES: &[&str] = &[
    "ALL_KEYS",
    "IN_SEGMENT",
    "IN_LARGE_SEGMENT",
    "IN_RULE_BASED_SEGMENT",
    "WHITELIST",
    "EQUAL_TO",
    "GREATER_THAN_OR_EQUAL_TO",
    "LESS_THAN_OR_EQUAL_TO",
    "BETWEEN",
    "EQUAL_TO_SET",
    "CONTAINS_ANY_OF_SET",
    "CONTAINS_ALL_OF_SET",
    "PART_OF_SET",
    "STARTS_WITH",
    "ENDS_WITH",
    "CONTAINS_STRING",
    "MATCHES_STRING",
    "EQUAL_TO_BOOLEAN",
    "IN_SPLIT_TREATMENT",
    "EQUAL_TO_SEMVER",
    "GREATER_THAN_OR_EQUAL_TO_SEMVER",
    "LESS_THAN_OR_EQUAL_TO_SEMVER",
    "BETWEEN_SEMVER",
    "IN_LIST_SEMVER",
    "NOT_A_MATCHER",
];

/// A name from `pool`, or now and then free text.
pub fn name(input: &mut Input<'_>, pool: &[&str]) -> String {
    if input.byte() < 240 {
        (*input.pick(pool)).to_owned()
    } else {
        input.text(12)
    }
}

/// A number: small integers, edges of the float range, fractions, timestamps.
pub fn number(input: &mut Input<'_>) -> f64 {
    match input.below(8) {
        0 => f64::from(input.byte()) - 10.0,
        1 => input.i64() as f64,
        2 => f64::from(input.byte()) / 7.0,
        3 => 1_700_000_000_000.0 + f64::from(input.byte()) * 86_400_000.0,
        4 => *input.pick(&[0.0, -0.0, 100.0, 101.0, -1.0, 1e300, -1e300, f64::MAX, f64::MIN_POSITIVE]),
        5 => f64::from(input.byte()),
        6 => 9_007_199_254_740_993.0,
        _ => f64::from(input.byte() % 101),
    }
}

/// A JSON number value (non-finite numbers become `null`, as serde_json has no others).
pub fn number_value(input: &mut Input<'_>) -> Value {
    serde_json::Number::from_f64(number(input)).map_or(Value::Null, Value::Number)
}

/// Any JSON value, nested at most `depth` deep.
pub fn value(input: &mut Input<'_>, depth: u8) -> Value {
    match input.below(if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(input.bool()),
        2 => number_value(input),
        3 => Value::String(name(input, STRINGS)),
        4 => Value::String(name(input, KEYS)),
        5 => Value::Array((0..input.below(4)).map(|_| value(input, depth - 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..input.below(3) {
                map.insert(name(input, ATTRIBUTES), value(input, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// Attributes: a map of pool names to values of any type.
pub fn attributes(input: &mut Input<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    for _ in 0..input.below(5) {
        let v = match input.below(4) {
            0 => Value::String(name(input, STRINGS)),
            1 => number_value(input),
            2 => Value::Array((0..input.below(4)).map(|_| Value::String(name(input, STRINGS))).collect()),
            _ => value(input, 1),
        };
        map.insert(name(input, ATTRIBUTES), v);
    }
    map
}

fn string_list(input: &mut Input<'_>, pool: &[&str]) -> Value {
    Value::Array((0..input.below(4)).map(|_| Value::String(name(input, pool))).collect())
}

fn matcher(input: &mut Input<'_>) -> Value {
    let matcher_type = *input.pick(MATCHER_TYPES);
    let attribute = if input.bool() { Value::String(name(input, ATTRIBUTES)) } else { Value::Null };
    let mut m = json!({
        "keySelector": {"trafficType": "user", "attribute": attribute},
        "matcherType": matcher_type,
        "negate": input.bool(),
    });
    let data_type = *input.pick(&["NUMBER", "DATETIME", "STRING", ""]);
    let data = match matcher_type {
        "IN_SEGMENT" | "IN_RULE_BASED_SEGMENT" => {
            let pool = if matcher_type == "IN_SEGMENT" { SEGMENTS } else { RB_SEGMENTS };
            Some(("userDefinedSegmentMatcherData", json!({"segmentName": name(input, pool)})))
        }
        "IN_LARGE_SEGMENT" => {
            Some(("userDefinedLargeSegmentMatcherData", json!({"largeSegmentName": name(input, SEGMENTS)})))
        }
        "WHITELIST"
        | "EQUAL_TO_SET"
        | "CONTAINS_ANY_OF_SET"
        | "CONTAINS_ALL_OF_SET"
        | "PART_OF_SET"
        | "STARTS_WITH"
        | "ENDS_WITH"
        | "CONTAINS_STRING"
        | "IN_LIST_SEMVER" => {
            let pool = if input.bool() { KEYS } else { STRINGS };
            Some(("whitelistMatcherData", json!({"whitelist": string_list(input, pool)})))
        }
        "EQUAL_TO" | "GREATER_THAN_OR_EQUAL_TO" | "LESS_THAN_OR_EQUAL_TO" => {
            Some(("unaryNumericMatcherData", json!({"dataType": data_type, "value": number_value(input)})))
        }
        "BETWEEN" => Some((
            "betweenMatcherData",
            json!({"dataType": data_type, "start": number_value(input), "end": number_value(input)}),
        )),
        "BETWEEN_SEMVER" => {
            Some(("betweenStringMatcherData", json!({"start": name(input, STRINGS), "end": name(input, STRINGS)})))
        }
        "EQUAL_TO_BOOLEAN" => Some(("booleanMatcherData", value(input, 0))),
        "MATCHES_STRING" | "EQUAL_TO_SEMVER" | "GREATER_THAN_OR_EQUAL_TO_SEMVER" | "LESS_THAN_OR_EQUAL_TO_SEMVER" => {
            Some(("stringMatcherData", Value::String(name(input, STRINGS))))
        }
        "IN_SPLIT_TREATMENT" => Some((
            "dependencyMatcherData",
            json!({"split": name(input, FLAGS), "treatments": string_list(input, TREATMENTS)}),
        )),
        _ => None,
    };
    if let (Some((field, data)), Some(obj)) = (data, m.as_object_mut()) {
        // Now and then a matcher's data is missing or of another type.
        let data = if input.byte() < 8 { value(input, 1) } else { data };
        obj.insert(field.to_owned(), data);
    }
    m
}

fn condition(input: &mut Input<'_>, with_partitions: bool) -> Value {
    let matchers: Vec<Value> = (0..input.below(4)).map(|_| matcher(input)).collect();
    let mut c = json!({
        "conditionType": *input.pick(&["ROLLOUT", "WHITELIST", "ROLLOUT"]),
        "matcherGroup": {"combiner": "AND", "matchers": matchers},
        "label": name(input, &["rule", "default rule", "in segment"]),
    });
    if with_partitions {
        let mut left = 100u8;
        let mut partitions = Vec::new();
        for _ in 0..input.below(4) {
            let size = match input.below(6) {
                0 => number_value(input),
                _ => {
                    let s = input.byte() % left.saturating_add(1);
                    left = left.saturating_sub(s);
                    json!(s)
                }
            };
            partitions.push(json!({"treatment": name(input, TREATMENTS), "size": size}));
        }
        if left > 0 && input.byte() < 200 {
            partitions.push(json!({"treatment": name(input, TREATMENTS), "size": left}));
        }
        if let Some(obj) = c.as_object_mut() {
            obj.insert("partitions".into(), Value::Array(partitions));
        }
    }
    c
}

/// A flag definition named `name`.
pub fn flag(input: &mut Input<'_>, flag_name: &str) -> Value {
    let conditions: Vec<Value> = (0..input.below(5)).map(|_| condition(input, true)).collect();
    let mut configurations = Map::new();
    for _ in 0..input.below(3) {
        let config = match input.below(3) {
            0 => Value::String(format!("{{\"v\":{}}}", input.byte())),
            1 => Value::Null,
            _ => value(input, 1),
        };
        configurations.insert(name(input, TREATMENTS), config);
    }
    let prerequisites: Vec<Value> =
        (0..input.below(3)).map(|_| json!({"n": name(input, FLAGS), "ts": string_list(input, TREATMENTS)})).collect();
    let default_treatment = if input.byte() < 8 { value(input, 0) } else { Value::String(name(input, TREATMENTS)) };
    json!({
        "name": flag_name,
        "trafficTypeName": *input.pick(&["user", "account"]),
        "seed": number_value(input),
        "trafficAllocation": number_value(input),
        "trafficAllocationSeed": number_value(input),
        "status": *input.pick(&["ACTIVE", "ACTIVE", "ARCHIVED"]),
        "killed": input.byte() < 32,
        "defaultTreatment": default_treatment,
        "changeNumber": i64::from(input.byte()),
        "algo": *input.pick(&[2, 2, 1]),
        "conditions": conditions,
        "configurations": configurations,
        "sets": string_list(input, SETS),
        "prerequisites": prerequisites,
        "impressionsDisabled": input.bool(),
    })
}

/// A rule-based segment named `name`.
pub fn rule_based_segment(input: &mut Input<'_>, segment_name: &str) -> Value {
    let conditions: Vec<Value> = (0..input.below(3)).map(|_| condition(input, false)).collect();
    let excluded: Vec<Value> = (0..input.below(3))
        .map(|_| {
            let kind = *input.pick(&["standard", "large", "rule-based", "other"]);
            let pool = if kind == "rule-based" { RB_SEGMENTS } else { SEGMENTS };
            json!({"name": name(input, pool), "type": kind})
        })
        .collect();
    json!({
        "name": segment_name,
        "trafficTypeName": "user",
        "status": "ACTIVE",
        "changeNumber": i64::from(input.byte()),
        "excluded": {"keys": string_list(input, KEYS), "segments": excluded},
        "conditions": conditions,
    })
}

/// A spec 1.3 `splitChanges` body with some of the pool's flags and rule-based segments.
pub fn split_changes(input: &mut Input<'_>) -> Value {
    let mut flags = Vec::new();
    for n in FLAGS {
        if input.byte() < 200 {
            flags.push(flag(input, n));
        }
    }
    let mut rbs = Vec::new();
    for n in RB_SEGMENTS {
        if input.bool() {
            rbs.push(rule_based_segment(input, n));
        }
    }
    json!({"ff": {"d": flags, "s": -1, "t": 10}, "rbs": {"d": rbs, "s": -1, "t": 10}})
}

/// A `segmentChanges` body for `name` with some of the pool's keys.
pub fn segment_change(input: &mut Input<'_>, segment_name: &str) -> Value {
    json!({"name": segment_name, "added": string_list(input, KEYS), "removed": [], "since": -1, "till": 5})
}
