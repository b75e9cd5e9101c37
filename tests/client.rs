//! The client surface: every method shape, flag sets, traffic types, manager views, explain and
//! validation of untyped inputs.

mod common;

use common::{condition, flag, matcher, snapshot};
use serde_json::json;
use split_edge::{Client, ClientConfig, EvaluationOptions, Key, Manager, Snapshot};

fn demo() -> Snapshot {
    let all = || condition(vec![matcher("ALL_KEYS", None, json!({}))], "all");
    let mut f1 = flag("f1", vec![all()]);
    f1["sets"] = json!(["front", "back"]);
    let mut f2 = flag("f2", vec![all()]);
    f2["sets"] = json!(["front"]);
    f2["trafficTypeName"] = json!("account");
    let mut f3 = flag("123", vec![all()]);
    f3["sets"] = json!(["back"]);
    snapshot(vec![f1, f2, f3], vec![], &[])
}

#[test]
fn method_shapes() {
    let s = demo();
    let config = ClientConfig::default();
    let c = Client::new(&s, &config);
    let k = Key::new("u");
    assert_eq!(c.get_treatment(&k, "f1", None), "on");
    let wc = c.get_treatment_with_config(&k, "f1", None);
    assert_eq!((wc.treatment.as_str(), wc.config.as_deref()), ("on", Some("{\"x\":1}")));
    assert_eq!(
        c.get_treatments(&k, &["f1", " f1 ", "", "nope"], None),
        vec![("f1".into(), "on".into()), ("nope".into(), "control".into())]
    );
    assert_eq!(c.get_treatments_with_config(&k, &["f2"], None)[0].1.config.as_deref(), Some("{\"x\":1}"));
    let names = |v: Vec<(String, String)>| v.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
    assert_eq!(names(c.get_treatments_by_flag_set(&k, "front", None)), ["f1", "f2"]);
    assert_eq!(names(c.get_treatments_by_flag_sets(&k, &["BACK", "front", "bad set"], None)), ["f1", "123", "f2"]);
    assert!(c.get_treatments_by_flag_set(&k, "unknown", None).is_empty());
    assert_eq!(c.get_treatments_with_config_by_flag_set(&k, "back", None).len(), 2);
    assert_eq!(c.get_treatments_with_config_by_flag_sets(&k, &["front"], None).len(), 2);
    let bucketed = Key::with_bucketing("u", "b");
    assert_eq!(c.evaluate(&bucketed, "f1", None, &EvaluationOptions::default()).treatment, "on");
}

#[test]
fn flag_set_filter_and_update_order() {
    let mut s = demo();
    // Updating f1 moves it to the end of its sets, as the JS SDK's flag-set cache does.
    let mut f1 = flag("f1", vec![condition(vec![matcher("ALL_KEYS", None, json!({}))], "all")]);
    f1["sets"] = json!(["front"]);
    s.apply_split_changes_json(&json!({"ff": {"d": [f1], "s": 10, "t": 11}}).to_string()).unwrap();
    assert_eq!(s.flag_names_in_set("front"), ["f2", "f1"]);
    assert_eq!(s.flag_names_in_set("back"), ["123"]);
    let config = ClientConfig { flag_set_filter: vec!["back".into()], ..Default::default() };
    let c = Client::new(&s, &config);
    assert!(
        c.get_treatments_by_flag_set(&Key::new("u"), "front", None).is_empty(),
        "sets outside the filter are dropped"
    );
    assert_eq!(c.get_treatments_by_flag_set(&Key::new("u"), "back", None).len(), 1);
}

#[test]
fn all_treatments_by_traffic_type() {
    let s = demo();
    let config = ClientConfig::default();
    let c = Client::new(&s, &config);
    let keys = vec![
        (Key::new("u"), "user".to_owned()),
        (Key::new("acc"), "account".to_owned()),
        (Key::new("x"), "nobody".to_owned()),
    ];
    let all = c.evaluate_by_traffic_types(&keys, None, &EvaluationOptions::default());
    let names: Vec<Vec<&str>> = all.iter().map(|(_, r)| r.iter().map(|(n, _)| n.as_str()).collect()).collect();
    assert_eq!(names, vec![vec!["123", "f1"], vec!["f2"], vec![]], "integer-like names first, as JS objects");
}

#[test]
fn manager_views() {
    let s = demo();
    let m = Manager::new(&s);
    assert_eq!(m.names(), ["123", "f1", "f2"]);
    let view = m.split("f1").unwrap();
    assert_eq!(view.treatments, ["on", "off"]);
    assert_eq!(view.sets, ["front", "back"]);
    let text = serde_json::to_string(&view).unwrap();
    assert!(text.starts_with(r#"{"name":"f1","trafficType":"user","killed":false,"changeNumber":10,"treatments":["on","off"],"configs":{"on":"{\"x\":1}"}"#), "{text}");
    assert!(m.split("nope").is_none());
    assert_eq!(m.splits().len(), 3);
}

#[test]
fn untyped_inputs_follow_js_validation() {
    let s = demo();
    let config = ClientConfig::default();
    let c = Client::new(&s, &config);
    let o = EvaluationOptions::default();
    let r = c.evaluate_json(Some(&json!(42)), Some(&json!("f1")), None, &o);
    assert_eq!((r.treatment.as_ref(), r.label.as_deref()), ("on", Some("all")));
    for bad_key in [json!(null), json!(true), json!({}), json!(""), json!("x".repeat(251))] {
        let r = c.evaluate_json(Some(&bad_key), Some(&json!("f1")), None, &o);
        assert_eq!((r.treatment.as_ref(), r.label.as_deref()), ("control", None), "{bad_key}");
        assert!(!r.records_impression());
    }
    let r = c.evaluate_json(Some(&json!("k")), Some(&json!("f1")), Some(&json!([1])), &o);
    assert_eq!(r.label, None, "attributes must be an object");
    let r = c.evaluate_json(Some(&json!("k")), Some(&json!(5)), None, &o);
    assert_eq!(r.label, None, "flag names must be strings");
    let many = c.evaluate_flags_json(Some(&json!("k")), Some(&json!(["f1", 3, "f2"])), None, &o);
    assert_eq!(many.len(), 2);
    let sets = c.evaluate_flag_sets_json(Some(&json!("k")), Some(&json!(["FRONT"])), None, &o);
    assert_eq!(sets.len(), 2);
}

#[test]
fn not_ready_and_impressions() {
    let empty = Snapshot::new();
    let config = ClientConfig::default();
    let c = Client::new(&empty, &config);
    let r = c.evaluate(&Key::new("k"), "f1", None, &EvaluationOptions::default());
    assert_eq!((r.treatment.as_ref(), r.label.as_deref()), ("control", Some("not ready")));
    assert!(r.records_impression(), "not-ready answers are still impressions");
    let s = demo();
    let c = Client::new(&s, &config);
    assert!(!c.evaluate(&Key::new("k"), "nope", None, &EvaluationOptions::default()).records_impression());
    let disabled = EvaluationOptions { impressions_disabled: true, ..Default::default() };
    assert!(c.evaluate(&Key::new("k"), "f1", None, &disabled).impressions_disabled);
}

#[test]
fn explain_traces_conditions() {
    let wl = condition(
        vec![matcher("WHITELIST", None, json!({"whitelistMatcherData": {"whitelist": ["vip"]}}))],
        "whitelisted",
    );
    let age = condition(
        vec![matcher(
            "GREATER_THAN_OR_EQUAL_TO",
            Some("age"),
            json!({"unaryNumericMatcherData": {"dataType": "NUMBER", "value": 18}}),
        )],
        "adults",
    );
    let s = snapshot(vec![flag("f", vec![wl, age])], vec![], &[]);
    let config = ClientConfig::default();
    let c = Client::new(&s, &config);
    let attrs = json!({"age": 30});
    let e = c.explain(&Key::new("someone"), "f", attrs.as_object());
    assert_eq!(e.result.label.as_deref(), Some("adults"));
    assert_eq!(e.result.decision.condition, Some(1));
    assert!(e.result.decision.partition_bucket.is_some());
    assert_eq!(e.conditions.len(), 2);
    assert!(!e.conditions[0].matched && e.conditions[1].matched);
    assert_eq!(e.conditions[1].matchers[0].attribute.as_deref(), Some("age"));
}

#[test]
fn explain_traces_no_condition_when_prerequisites_are_not_met() {
    let all = condition(vec![matcher("ALL_KEYS", None, json!({}))], "all");
    let mut gated = flag("gated", vec![all.clone()]);
    gated["prerequisites"] = json!([{"n": "base", "ts": ["off"]}]);
    let s = snapshot(vec![flag("base", vec![all]), gated], vec![], &[]);
    let config = ClientConfig::default();
    let c = Client::new(&s, &config);
    let e = c.explain(&Key::new("k"), "gated", None);
    assert_eq!(e.result.label.as_deref(), Some("prerequisites not met"));
    assert_eq!(e.result.decision.condition, None);
    assert!(e.conditions.is_empty(), "no condition was evaluated: {:?}", e.conditions);
}
