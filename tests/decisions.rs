//! The decisions table of the spec: where split-edge answers although the JS SDK throws or
//! differs between SDKs, plus traffic allocation, kill, labels and configs.

mod common;

use common::{condition, flag, matcher, snapshot};
use serde_json::json;
use split_edge::{Client, ClientConfig, FallbackTreatment, FallbackTreatments, Key, Snapshot};

fn result(s: &Snapshot, config: &ClientConfig, key: &str, name: &str) -> (String, Option<String>, Option<String>) {
    let r = Client::new(s, config).evaluate(&Key::new(key), name, None, &Default::default());
    (r.treatment.into_owned(), r.config.map(|c| c.into_owned()), r.label.map(|l| l.into_owned()))
}

fn all_keys() -> serde_json::Value {
    condition(vec![matcher("ALL_KEYS", None, json!({}))], "all keys")
}

#[test]
fn partitions_not_adding_up_answer_control_exception_even_when_killed() {
    let mut bad = flag("bad", vec![all_keys()]);
    bad["conditions"][0]["partitions"] = json!([{"treatment": "on", "size": 60}]);
    let mut killed = bad.clone();
    killed["name"] = json!("bad_killed");
    killed["killed"] = json!(true);
    let mut empty = flag("empty", vec![all_keys()]);
    empty["conditions"][0]["partitions"] = json!([]);
    let s = snapshot(vec![bad, killed, empty], vec![], &[]);
    let c = ClientConfig::default();
    for name in ["bad", "bad_killed", "empty"] {
        assert_eq!(result(&s, &c, "k", name), ("control".into(), None, Some("exception".into())), "{name}");
    }
}

#[test]
fn unsupported_matchers_and_empty_conditions() {
    let unknown =
        flag("unknown", vec![all_keys(), condition(vec![matcher("NEW_FANCY_MATCHER", None, json!({}))], "x")]);
    let no_conditions = flag("none", vec![]);
    let mut killed_unknown = unknown.clone();
    killed_unknown["name"] = json!("killed_unknown");
    killed_unknown["killed"] = json!(true);
    let s = snapshot(vec![unknown, no_conditions, killed_unknown], vec![], &[]);
    let c = ClientConfig::default();
    let unsupported = ("control".to_owned(), None, Some("targeting rule type unsupported by sdk".to_owned()));
    assert_eq!(result(&s, &c, "k", "unknown"), unsupported);
    assert_eq!(result(&s, &c, "k", "none"), unsupported);
    assert_eq!(result(&s, &c, "k", "killed_unknown").2.as_deref(), Some("killed"), "kill is checked first");
}

#[test]
fn dependency_cycles_are_bounded_and_do_not_match() {
    let a = flag(
        "a",
        vec![condition(
            vec![matcher(
                "IN_SPLIT_TREATMENT",
                None,
                json!({"dependencyMatcherData": {"split": "b", "treatments": ["on"]}}),
            )],
            "a",
        )],
    );
    let b = flag(
        "b",
        vec![condition(
            vec![matcher(
                "IN_SPLIT_TREATMENT",
                None,
                json!({"dependencyMatcherData": {"split": "a", "treatments": ["on"]}}),
            )],
            "b",
        )],
    );
    let mut p = flag("p", vec![all_keys()]);
    p["prerequisites"] = json!([{"n": "p", "ts": ["on"]}]);
    let s = snapshot(vec![a, b, p], vec![], &[]);
    let c = ClientConfig::default();
    assert_eq!(result(&s, &c, "k", "a"), ("off".into(), None, Some("default rule".into())));
    assert_eq!(result(&s, &c, "k", "p"), ("off".into(), None, Some("prerequisites not met".into())));
}

#[test]
fn algo_is_ignored_murmur_always() {
    let mut legacy = flag("legacy", vec![all_keys()]);
    legacy["algo"] = json!(1);
    legacy["conditions"][0]["partitions"] = json!([{"treatment": "on", "size": 50}, {"treatment": "off", "size": 50}]);
    let mut modern = legacy.clone();
    modern["name"] = json!("modern");
    modern["algo"] = json!(2);
    let s = snapshot(vec![legacy, modern], vec![], &[]);
    let c = ClientConfig::default();
    for i in 0..200 {
        let k = format!("user_{i}");
        assert_eq!(result(&s, &c, &k, "legacy").0, result(&s, &c, &k, "modern").0);
    }
}

#[test]
fn traffic_allocation_kill_labels_and_configs() {
    let mut zero = flag(
        "zero",
        vec![
            condition(vec![matcher("WHITELIST", None, json!({"whitelistMatcherData": {"whitelist": ["vip"]}}))], "wl"),
            all_keys(),
        ],
    );
    zero["trafficAllocation"] = json!(0);
    zero["conditions"][0]["conditionType"] = json!("WHITELIST");
    let mut killed = flag("killed", vec![all_keys()]);
    killed["killed"] = json!(true);
    let mut unlabeled = flag("unlabeled", vec![all_keys()]);
    unlabeled["conditions"][0].as_object_mut().unwrap().remove("label");
    let s = snapshot(vec![zero, killed, unlabeled], vec![], &[]);
    let c = ClientConfig::default();
    assert_eq!(result(&s, &c, "anyone", "zero"), ("off".into(), None, Some("not in split".into())));
    assert_eq!(
        result(&s, &c, "vip", "zero"),
        ("on".into(), Some("{\"x\":1}".into()), Some("wl".into())),
        "whitelist first"
    );
    assert_eq!(result(&s, &c, "k", "killed"), ("off".into(), None, Some("killed".into())));
    assert_eq!(result(&s, &c, "k", "unlabeled").2.as_deref(), Some("default rule"));
    assert_eq!(result(&s, &c, "k", "missing"), ("control".into(), None, Some("definition not found".into())));
}

#[test]
fn fallback_treatments_replace_control() {
    let s = snapshot(vec![flag("f", vec![all_keys()])], vec![], &[]);
    let config = ClientConfig {
        fallback: FallbackTreatments::new(
            Some(FallbackTreatment::new("global_off")),
            [(
                "special".to_owned(),
                FallbackTreatment { treatment: "special_on".into(), config: Some("{\"c\":1}".into()) },
            )],
        )
        .unwrap(),
        ..Default::default()
    };
    assert_eq!(
        result(&s, &config, "k", "missing"),
        ("global_off".into(), None, Some("fallback - definition not found".into()))
    );
    assert_eq!(
        result(&s, &config, "k", "special"),
        ("special_on".into(), Some("{\"c\":1}".into()), Some("fallback - definition not found".into()))
    );
    let client = Client::new(&s, &config);
    let rejected = client.evaluate(&Key::new("  "), "special", None, &Default::default());
    assert_eq!(
        (rejected.treatment.as_ref(), rejected.label),
        ("special_on", None),
        "validation failures: fallback, no label"
    );
    assert_eq!(result(&s, &config, "k", "f").0, "on", "real treatments are kept");
}

#[test]
fn malformed_snapshots_are_typed_errors_and_keep_the_previous_data() {
    let mut s = snapshot(vec![flag("keep_me", vec![all_keys()])], vec![], &[]);
    let bad =
        json!({"ff": {"d": [flag("ok", vec![all_keys()]), {"name": "broken", "killed": "yes"}], "s": 10, "t": 11}});
    let err = s.apply_split_changes_json(&bad.to_string()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("broken") && message.contains("killed"), "names the flag and field: {message}");
    assert!(s.flag("keep_me").is_some() && s.flag("ok").is_none(), "nothing applied");
    assert_eq!(s.flags_change_number(), 10);
    for body in ["", "null", "[]", "{}", "{\"ff\": {\"d\": []}}", "{\"ff\": 5}", "{\"splits\": [1], \"till\": 1}"] {
        assert!(s.apply_split_changes_json(body).is_err(), "{body:?} is rejected");
    }
    let seg_err = s.apply_segment_change_json(r#"{"name":"s","added":[1],"till":1}"#).unwrap_err().to_string();
    assert!(seg_err.contains("\"s\"") && seg_err.contains("added"), "{seg_err}");
    assert_eq!(s.flag_count(), 1);
}

#[test]
fn archived_flags_are_removed_and_change_numbers_move() {
    let mut s = snapshot(vec![flag("a", vec![all_keys()]), flag("b", vec![all_keys()])], vec![], &[]);
    let mut archived = flag("a", vec![]);
    archived["status"] = json!("ARCHIVED");
    let summary = s.apply_split_changes_json(&json!({"ff": {"d": [archived], "s": 10, "t": 12}}).to_string()).unwrap();
    assert_eq!((summary.flags_removed, summary.flags_change_number), (1, 12));
    assert!(s.flag("a").is_none() && s.flag("b").is_some());
    s.apply_segment_change_json(r#"{"name":"s","added":["x","y"],"removed":[],"since":-1,"till":5}"#).unwrap();
    s.apply_segment_change_json(r#"{"name":"s","added":["z"],"removed":["x","z"],"since":5,"till":6}"#).unwrap();
    assert!(!s.in_segment("s", "x") && s.in_segment("s", "y") && !s.in_segment("s", "z"), "added, then removed");
    assert_eq!(s.segment("s").unwrap().change_number, 6);
}

#[test]
fn long_dependency_chains_and_fan_out_stay_bounded() {
    // A chain of 500 prerequisites, a chain of 500 IN_SPLIT_TREATMENT dependencies, and a flag that
    // fans out to the same chain twice per level (2^30 evaluations without memoization): all answer
    // promptly.
    let mut flags = vec![];
    for i in 0..500 {
        let mut p = flag(&format!("p{i}"), vec![all_keys()]);
        if i + 1 < 500 {
            p["prerequisites"] = json!([{"n": format!("p{}", i + 1), "ts": ["on"]}]);
        }
        flags.push(p);
        let dep = |n: String| {
            matcher("IN_SPLIT_TREATMENT", None, json!({"dependencyMatcherData": {"split": n, "treatments": ["on"]}}))
        };
        let next = format!("d{}", i + 1);
        flags.push(if i + 1 < 500 {
            flag(&format!("d{i}"), vec![condition(vec![dep(next)], "dep")])
        } else {
            flag(&format!("d{i}"), vec![all_keys()])
        });
        let fan = if i + 1 < 30 {
            vec![condition(vec![dep(format!("f{}", i + 1)), dep(format!("f{}", i + 1))], "fan")]
        } else {
            vec![all_keys()]
        };
        flags.push(flag(&format!("f{i}"), fan));
    }
    let rbs: Vec<_> = (0..300)
        .map(|i| {
            json!({"name": format!("r{i}"), "status": "ACTIVE", "excluded": {"keys": [], "segments": [{"type": "rule-based", "name": format!("r{}", i + 1)}]},
                   "conditions": [{"matcherGroup": {"combiner": "AND", "matchers": [matcher("ALL_KEYS", None, json!({}))]}}]})
        })
        .collect();
    flags.push(flag(
        "in_r0",
        vec![condition(
            vec![matcher(
                "IN_RULE_BASED_SEGMENT",
                None,
                json!({"userDefinedSegmentMatcherData": {"segmentName": "r0"}}),
            )],
            "rbs",
        )],
    ));
    let s = snapshot(flags, rbs, &[]);
    let c = ClientConfig::default();
    // Past the depth bound a prerequisite is not met and a dependency does not match.
    assert_eq!(result(&s, &c, "k", "p0").2.as_deref(), Some("prerequisites not met"));
    assert_eq!(result(&s, &c, "k", "p480").0, "on", "a short chain is evaluated fully");
    assert_eq!(result(&s, &c, "k", "d0").2.as_deref(), Some("default rule"));
    assert_eq!(result(&s, &c, "k", "d470").0, "on");
    // Each flag of the fan-out is evaluated once (memoized): the answer JS reaches after 2^30
    // evaluations, at once.
    assert_eq!(result(&s, &c, "k", "f0"), ("on".into(), Some("{\"x\":1}".into()), Some("fan".into())));
    assert_eq!(result(&s, &c, "k", "f25").0, "on", "a small fan-out is evaluated fully");
    let _ = result(&s, &c, "k", "in_r0");
}
