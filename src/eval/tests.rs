//! The cost of one evaluation, counted in budget steps (deterministic, unlike time).

use serde_json::{json, Value};

use super::budget::{Budget, MAX_STEPS};
use super::{AttributeView, Attributes, Engine};
use crate::key::Key;
use crate::snapshot::Snapshot;

fn matcher(matcher_type: &str, attribute: Option<&str>, data: Value) -> Value {
    let mut m = json!({"keySelector": {"trafficType": "user", "attribute": attribute}, "matcherType": matcher_type, "negate": false});
    if let (Some(m), Some(data)) = (m.as_object_mut(), data.as_object()) {
        m.extend(data.clone());
    }
    m
}

fn flag(name: &str, conditions: Vec<Value>) -> Value {
    json!({
        "name": name, "trafficTypeName": "user", "seed": 1, "trafficAllocation": 100,
        "trafficAllocationSeed": 2, "status": "ACTIVE", "killed": false, "defaultTreatment": "off",
        "changeNumber": 1, "conditions": conditions,
    })
}

fn condition(matchers: Vec<Value>) -> Value {
    json!({"conditionType": "ROLLOUT", "matcherGroup": {"combiner": "AND", "matchers": matchers},
           "partitions": [{"treatment": "on", "size": 100}], "label": "c"})
}

fn depends_on(name: &str, treatments: Value) -> Value {
    matcher("IN_SPLIT_TREATMENT", None, json!({"dependencyMatcherData": {"split": name, "treatments": treatments}}))
}

fn load(flags: Vec<Value>, rbs: Vec<Value>) -> Snapshot {
    let mut s = Snapshot::new();
    let body = json!({"ff": {"d": flags, "s": -1, "t": 1}, "rbs": {"d": rbs, "s": -1, "t": 1}});
    assert!(s.apply_split_changes_json(&body.to_string()).is_ok());
    s
}

/// The answer (treatment, label) and the steps it took, or `None` when it threw.
fn run(s: &Snapshot, name: &str, attributes: &Attributes) -> (Option<(String, String)>, u32) {
    let key = Key::new("k");
    let engine = Engine::with_budget(s, Budget::new());
    let flag = s.flag(name).expect("the flag is loaded");
    let outcome = engine.evaluate(flag, key.as_ref(), Some(AttributeView::Map(attributes)));
    let answer = outcome.ok().map(|o| (o.treatment.to_owned(), o.label.to_owned()));
    (answer, engine.budget.used(MAX_STEPS))
}

fn with_s(len: usize) -> Attributes {
    let mut a = Attributes::new();
    a.insert("s".into(), json!("a".repeat(len)));
    a
}

#[test]
fn issue_16_flag_takes_one_pass_over_its_conditions() {
    let regex = || matcher("MATCHES_STRING", Some("s"), json!({"stringMatcherData": "(a+)+$"}));
    let conditions = (0..10).map(|_| condition(vec![regex(), depends_on("loop", json!(["never"]))])).collect();
    let s = load(vec![flag("loop", conditions)], vec![]);
    let (answer, steps) = run(&s, "loop", &with_s(10_000));
    assert_eq!(answer, Some(("off".into(), "default rule".into())));
    // Per condition: the regex (1 + 10,000 / 32) and the dependency (1, plus 1 to enter it,
    // where the cycle ends).
    assert_eq!(steps, 10 * (1 + 312 + 2));
}

#[test]
fn a_dependency_is_evaluated_once_per_key() {
    // `top` asks for `dep` in 20 conditions; `dep` has 5 matchers.
    let five = (0..5).map(|_| matcher("ALL_KEYS", None, json!({}))).collect();
    let dep = flag("dep", vec![condition(five)]);
    let top = flag("top", (0..20).map(|_| condition(vec![depends_on("dep", json!(["never"]))])).collect());
    let s = load(vec![dep, top], vec![]);
    let (answer, steps) = run(&s, "top", &Attributes::new());
    assert_eq!(answer, Some(("off".into(), "default rule".into())));
    // 20 dependency matchers entering `dep` (2 steps each), `dep`'s 5 matchers once.
    assert_eq!(steps, 20 * 2 + 5);
}

#[test]
fn dependencies_keyed_by_an_attribute_are_memoized_per_key() {
    // `who` answers `on` for the key `vip` only; `top` asks about the key and about attribute `u`.
    let who = flag(
        "who",
        vec![condition(vec![matcher("WHITELIST", None, json!({"whitelistMatcherData": {"whitelist": ["vip"]}}))])],
    );
    let mut by_attribute = depends_on("who", json!(["on"]));
    by_attribute["keySelector"]["attribute"] = json!("u");
    let top = flag("top", vec![condition(vec![depends_on("who", json!(["off"])), by_attribute.clone(), by_attribute])]);
    let s = load(vec![who, top], vec![]);
    let mut a = Attributes::new();
    a.insert("u".into(), json!("vip"));
    assert_eq!(run(&s, "top", &a).0, Some(("on".into(), "c".into())));
    a.insert("u".into(), json!("nobody"));
    assert_eq!(run(&s, "top", &a).0, Some(("off".into(), "default rule".into())));
}

#[test]
fn rule_based_segment_cycles_end_and_are_memoized() {
    let rbs = |name: &str, other: &str| {
        json!({"name": name, "trafficTypeName": "user", "changeNumber": 1, "status": "ACTIVE",
               "excluded": {"keys": [], "segments": []},
               "conditions": (0..10).map(|_| json!({"conditionType": "ROLLOUT", "matcherGroup": {"combiner": "AND", "matchers": [
                   matcher("IN_RULE_BASED_SEGMENT", None, json!({"userDefinedSegmentMatcherData": {"segmentName": other}}))]}})).collect::<Vec<_>>()})
    };
    let top = flag(
        "top",
        vec![condition(vec![matcher(
            "IN_RULE_BASED_SEGMENT",
            None,
            json!({"userDefinedSegmentMatcherData": {"segmentName": "r1"}}),
        )])],
    );
    let s = load(vec![top], vec![rbs("r1", "r2"), rbs("r2", "r1")]);
    let (answer, steps) = run(&s, "top", &Attributes::new());
    assert_eq!(answer, Some(("off".into(), "default rule".into())));
    // top's matcher enters r1 (2); r1's first condition enters r2 (2), whose 10 conditions each
    // meet the running r1 (2 each); r1's 9 other conditions find r2's answer (2 each).
    assert_eq!(steps, 2 + 2 + 10 * 2 + 9 * 2);
}

#[test]
fn past_the_budget_the_evaluation_throws() {
    let regex = || matcher("MATCHES_STRING", Some("s"), json!({"stringMatcherData": "a$"}));
    let flags = (0..40)
        .map(|i| {
            flag(
                &format!("f{i}"),
                (0..10)
                    .map(|_| condition(vec![regex(), depends_on(&format!("f{}", i + 1), json!(["never"]))]))
                    .collect(),
            )
        })
        .collect();
    let s = load(flags, vec![]);
    // 40 flags × 10 regex tests × 100,000 / 32 steps is far beyond the budget.
    let (answer, steps) = run(&s, "f0", &with_s(100_000));
    assert_eq!(answer, None);
    assert!(steps <= MAX_STEPS);
    let (answer, steps) = run(&s, "f0", &with_s(100));
    assert_eq!(answer, Some(("off".into(), "default rule".into())));
    assert!(steps < MAX_STEPS / 10, "{steps}");
}
