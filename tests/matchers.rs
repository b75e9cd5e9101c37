//! One test per matcher family, through the public client: each builds a small flag and checks
//! the treatment and label for keys and attributes on both sides of the rule.

mod common;

use common::{condition, flag, matcher, snapshot};
use serde_json::{json, Value};
use split_edge::{Client, ClientConfig, Key, Snapshot};

/// Evaluates flag `f` for `key` with `attrs`; returns (treatment, label).
fn eval(s: &Snapshot, key: &str, attrs: Value) -> (String, String) {
    let config = ClientConfig::default();
    let client = Client::new(s, &config);
    let r = client.evaluate(&Key::new(key), "f", attrs.as_object(), &Default::default());
    (r.treatment.into_owned(), r.label.map(|l| l.into_owned()).unwrap_or_default())
}

/// A snapshot with one flag `f` whose single condition holds `m`.
fn one(m: Value) -> Snapshot {
    snapshot(vec![flag("f", vec![condition(vec![m], "matched")])], vec![], &[("seg", &["in_seg", "12"])])
}

fn on(s: &Snapshot, key: &str, attrs: Value) -> bool {
    eval(s, key, attrs).0 == "on"
}

#[test]
fn string_matchers() {
    let s = one(matcher("WHITELIST", None, json!({"whitelistMatcherData": {"whitelist": ["k1", 5]}})));
    assert!(on(&s, "k1", json!({})));
    assert!(!on(&s, "5", json!({})), "non-string rule entries never match");
    let s = one(matcher("STARTS_WITH", Some("email"), json!({"whitelistMatcherData": {"whitelist": ["adm"]}})));
    assert!(on(&s, "k", json!({"email": "admin@x"})));
    assert!(!on(&s, "k", json!({"email": "Admin@x"})), "case-sensitive");
    let s = one(matcher("ENDS_WITH", Some("email"), json!({"whitelistMatcherData": {"whitelist": ["@split.io"]}})));
    assert!(on(&s, "k", json!({"email": "a@split.io"})));
    assert!(!on(&s, "k", json!({"email": "a@split.io "})));
    let s = one(matcher("CONTAINS_STRING", Some("v"), json!({"whitelistMatcherData": {"whitelist": [1]}})));
    assert!(on(&s, "k", json!({"v": "a1b"})), "non-string entries compare by their JS string");
    let s = one(matcher("IN_SEGMENT", None, json!({"userDefinedSegmentMatcherData": {"segmentName": "seg"}})));
    assert!(on(&s, "in_seg", json!({})));
    assert!(!on(&s, "out", json!({})));
    let s = one(matcher("IN_SEGMENT", Some("id"), json!({"userDefinedSegmentMatcherData": {"segmentName": "seg"}})));
    assert!(on(&s, "x", json!({"id": 12})), "numbers become strings");
    let s = one(matcher("IN_SEGMENT", None, json!({"userDefinedSegmentMatcherData": {"segmentName": "nope"}})));
    assert!(!on(&s, "in_seg", json!({})), "unknown segment: no match");
}

#[test]
fn regex_matcher_is_ecmascript_and_bounded() {
    let s = one(matcher("MATCHES_STRING", Some("v"), json!({"stringMatcherData": "^.$"})));
    assert!(on(&s, "k", json!({"v": "é"})));
    assert!(!on(&s, "k", json!({"v": "𝌆"})), "an astral char is two UTF-16 units");
    let s = one(matcher("MATCHES_STRING", Some("v"), json!({"stringMatcherData": null})));
    assert!(on(&s, "k", json!({"v": "xnullx"})), "a null pattern is /null/");
    let s = one(matcher("MATCHES_STRING", Some("v"), json!({"stringMatcherData": "(a+)+$"})));
    let hostile = format!("{}!", "a".repeat(10_000));
    assert!(!on(&s, "k", json!({"v": hostile})), "answers promptly, no catastrophic backtracking");
    let s = one(matcher("MATCHES_STRING", Some("v"), json!({"stringMatcherData": "(unclosed"})));
    assert!(!on(&s, "k", json!({"v": "(unclosed"})), "an invalid pattern never matches");
}

#[test]
fn numeric_and_datetime_matchers() {
    let s = one(matcher("EQUAL_TO", Some("n"), json!({"unaryNumericMatcherData": {"dataType": "NUMBER", "value": 0}})));
    for zero in [json!(0), json!(""), json!(null), json!([]), json!(false), json!(" 0 "), json!("0x0")] {
        assert!(on(&s, "k", json!({ "n": zero.clone() })), "{zero} is 0 in JS");
    }
    assert!(!on(&s, "k", json!({"n": "abc"})));
    assert!(!on(&s, "k", json!({})), "missing attribute");
    let s = one(matcher(
        "BETWEEN",
        Some("n"),
        json!({"betweenMatcherData": {"dataType": "NUMBER", "start": 10, "end": 20}}),
    ));
    assert!(on(&s, "k", json!({"n": "1e1"})) && on(&s, "k", json!({"n": 20})) && !on(&s, "k", json!({"n": 20.5})));
    // DATETIME: milliseconds; EQUAL_TO truncates to the UTC day, GTE/LTE/BETWEEN to the minute.
    let day = 1_700_000_000_000_i64;
    let s =
        one(matcher("EQUAL_TO", Some("t"), json!({"unaryNumericMatcherData": {"dataType": "DATETIME", "value": day}})));
    assert!(on(&s, "k", json!({"t": day + 3_600_000})));
    assert!(!on(&s, "k", json!({"t": day + 86_400_000})));
    let s = one(matcher(
        "GREATER_THAN_OR_EQUAL_TO",
        Some("t"),
        json!({"unaryNumericMatcherData": {"dataType": "DATETIME", "value": 120_000}}),
    ));
    assert!(
        on(&s, "k", json!({"t": 120_000})) && on(&s, "k", json!({"t": 179_999})) && !on(&s, "k", json!({"t": 119_999}))
    );
}

#[test]
fn set_matchers() {
    let rule = json!({"whitelistMatcherData": {"whitelist": ["1", "a"]}});
    let s = one(matcher("EQUAL_TO_SET", Some("s"), rule.clone()));
    assert!(
        on(&s, "k", json!({"s": [1, "a"]}))
            && on(&s, "k", json!({"s": ["a", "1", "a"]}))
            && !on(&s, "k", json!({"s": ["a"]}))
    );
    let s = one(matcher("CONTAINS_ANY_OF_SET", Some("s"), rule.clone()));
    assert!(
        on(&s, "k", json!({"s": ["z", "a"]})) && !on(&s, "k", json!({"s": ["z"]})) && !on(&s, "k", json!({"s": "a"}))
    );
    let s = one(matcher("CONTAINS_ALL_OF_SET", Some("s"), rule.clone()));
    assert!(on(&s, "k", json!({"s": ["a", "1", "z"]})) && !on(&s, "k", json!({"s": ["a"]})));
    let s = one(matcher("PART_OF_SET", Some("s"), rule));
    assert!(
        on(&s, "k", json!({"s": ["a"]})) && !on(&s, "k", json!({"s": ["a", "z"]})) && !on(&s, "k", json!({"s": []}))
    );
    let s = one(matcher("CONTAINS_ALL_OF_SET", Some("s"), json!({"whitelistMatcherData": {"whitelist": ["a", "a"]}})));
    assert!(!on(&s, "k", json!({"s": ["a"]})), "duplicates in the rule count (JS quirk)");
}

#[test]
fn boolean_matcher() {
    let s = one(matcher("EQUAL_TO_BOOLEAN", Some("b"), json!({"booleanMatcherData": true})));
    assert!(on(&s, "k", json!({"b": true})) && on(&s, "k", json!({"b": "TRUE"})));
    assert!(!on(&s, "k", json!({"b": 1})) && !on(&s, "k", json!({"b": " true"})) && !on(&s, "k", json!({"b": false})));
}

#[test]
fn semver_matchers() {
    let s = one(matcher("EQUAL_TO_SEMVER", Some("v"), json!({"stringMatcherData": "1.0.0"})));
    assert!(
        on(&s, "k", json!({"v": "01.0.0"})) && !on(&s, "k", json!({"v": "1.0.0+m"})) && !on(&s, "k", json!({"v": 1}))
    );
    let s = one(matcher("GREATER_THAN_OR_EQUAL_TO_SEMVER", Some("v"), json!({"stringMatcherData": "1.2.3"})));
    assert!(on(&s, "k", json!({"v": "1.10.0"})) && !on(&s, "k", json!({"v": "1.2.3-rc.1"})));
    let s = one(matcher("LESS_THAN_OR_EQUAL_TO_SEMVER", Some("v"), json!({"stringMatcherData": "1.2.3"})));
    assert!(on(&s, "k", json!({"v": "1.2.3-rc.1"})) && !on(&s, "k", json!({"v": "1.2.4"})));
    let s = one(matcher(
        "BETWEEN_SEMVER",
        Some("v"),
        json!({"betweenStringMatcherData": {"start": "1.0.0", "end": "2.0.0"}}),
    ));
    assert!(on(&s, "k", json!({"v": "1.5.0"})) && !on(&s, "k", json!({"v": "2.0.1"})));
    let s = one(matcher(
        "IN_LIST_SEMVER",
        Some("v"),
        json!({"whitelistMatcherData": {"whitelist": ["1.0.0", "2.0.0-beta"]}}),
    ));
    assert!(on(&s, "k", json!({"v": "2.0.0-beta"})) && !on(&s, "k", json!({"v": "2.0.0"})));
    let s = one(matcher("IN_LIST_SEMVER", Some("v"), json!({"whitelistMatcherData": {"whitelist": ["1.0.0", "bad"]}})));
    assert!(!on(&s, "k", json!({"v": "1.0.0"})), "one invalid entry: the matcher is never created");
}

#[test]
fn negation_and_missing_values() {
    let mut m = matcher("EQUAL_TO_BOOLEAN", Some("b"), json!({"booleanMatcherData": true}));
    m["negate"] = json!(true);
    let s = one(m);
    assert!(on(&s, "k", json!({})), "a missing attribute is false before negation, so true after");
    assert!(!on(&s, "k", json!({"b": true})));
    let s = one(matcher("ALL_KEYS", None, json!({})));
    assert!(on(&s, "k", json!(null)));
}

#[test]
fn dependencies_prerequisites_and_rule_based_segments() {
    let dep = flag(
        "dep",
        vec![condition(vec![matcher("WHITELIST", None, json!({"whitelistMatcherData": {"whitelist": ["a"]}}))], "wl")],
    );
    let on_dep =
        matcher("IN_SPLIT_TREATMENT", None, json!({"dependencyMatcherData": {"split": "dep", "treatments": ["on"]}}));
    let mut with_prereq = flag("p", vec![condition(vec![matcher("ALL_KEYS", None, json!({}))], "all")]);
    with_prereq["prerequisites"] = json!([{"n": "dep", "ts": ["on"]}]);
    let rbs = json!({
        "name": "rbs", "status": "ACTIVE", "changeNumber": 1,
        "excluded": {"keys": ["b"], "segments": [{"type": "standard", "name": "seg"}]},
        "conditions": [{"conditionType": "WHITELIST", "matcherGroup": {"combiner": "AND",
            "matchers": [matcher("ENDS_WITH", None, json!({"whitelistMatcherData": {"whitelist": ["_rbs"]}}))]}}]
    });
    let in_rbs =
        matcher("IN_RULE_BASED_SEGMENT", None, json!({"userDefinedSegmentMatcherData": {"segmentName": "rbs"}}));
    let s = snapshot(
        vec![
            dep,
            flag("f", vec![condition(vec![on_dep], "dep on")]),
            with_prereq,
            flag("r", vec![condition(vec![in_rbs], "in rbs")]),
        ],
        vec![rbs],
        &[("seg", &["c_rbs"])],
    );
    assert_eq!(eval(&s, "a", json!({})), ("on".into(), "dep on".into()));
    assert_eq!(eval(&s, "z", json!({})), ("off".into(), "default rule".into()));
    let config = ClientConfig::default();
    let client = Client::new(&s, &config);
    assert_eq!(client.get_treatment(&Key::new("a"), "p", None), "on");
    let r = client.evaluate(&Key::new("z"), "p", None, &Default::default());
    assert_eq!((r.treatment.as_ref(), r.label.as_deref()), ("off", Some("prerequisites not met")));
    assert_eq!(client.get_treatment(&Key::new("a_rbs"), "r", None), "on");
    assert_eq!(client.get_treatment(&Key::new("c_rbs"), "r", None), "off", "excluded by segment");
    assert_eq!(client.get_treatment(&Key::new("b"), "r", None), "off", "excluded key");
}

#[test]
fn large_segments_are_honoured_when_loaded() {
    let m =
        matcher("IN_LARGE_SEGMENT", None, json!({"userDefinedLargeSegmentMatcherData": {"largeSegmentName": "big"}}));
    let mut s = one(m);
    assert!(!on(&s, "k1", json!({})), "not loaded: no match, as server-side JS");
    s.apply_large_segment_change_json(r#"{"name":"big","added":["k1"],"removed":[],"since":-1,"till":3}"#).unwrap();
    assert!(on(&s, "k1", json!({})));
    assert!(!on(&s, "k2", json!({})));
}
