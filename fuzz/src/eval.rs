//! Evaluation with arbitrary keys and attributes over a fuzzed snapshot: the bytes drive a
//! generator ([`crate::gen`]) of flags, rule-based segments and segments that refer to each
//! other, then every flag (and one that does not exist) is evaluated for generated keys.
//!
//! Checks, per the spec's answers: no panic; an invalid key is rejected (`control`, no label)
//! and a valid one never is; the treatment is `control` (with a label saying
//! why), the flag's default treatment, or a treatment of one of its partitions; a killed flag
//! never serves a partition's treatment; the config is the flag's config for that treatment;
//! a missing flag answers `control` / `definition not found`; evaluating one flag alone and in
//! a `get_treatments` list gives the same answer; evaluating twice gives the same answer.

use std::collections::BTreeSet;

use split_edge::compiled::Rules;
use split_edge::{labels, Client, ClientConfig, EvaluationOptions, Key, Snapshot};

use crate::gen;
use crate::input::Input;

/// Builds a snapshot from `data` and evaluates every flag.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let mut snapshot = Snapshot::new();
    let body = gen::split_changes(&mut input);
    if snapshot.apply_split_changes_json(&body.to_string()).is_err() {
        return;
    }
    for name in gen::SEGMENTS {
        let change = gen::segment_change(&mut input, name).to_string();
        if input.bool() {
            snapshot.apply_segment_change_json(&change).expect("a generated segment loads");
        } else {
            snapshot.apply_large_segment_change_json(&change).expect("a generated large segment loads");
        }
    }
    let config = ClientConfig::default();
    let client = Client::new(&snapshot, &config);
    let mut names: Vec<String> = gen::FLAGS.iter().map(|n| (*n).to_owned()).collect();
    names.push("missing".into());
    let options = EvaluationOptions::default();

    for _ in 0..1 + input.below(3) {
        let matching = gen::name(&mut input, gen::KEYS);
        let key = if input.bool() {
            Key::with_bucketing(matching, gen::name(&mut input, gen::KEYS))
        } else {
            Key::new(matching)
        };
        let valid_key = split_edge::validate::key(&key).is_ok();
        let attributes = gen::attributes(&mut input);
        let attributes = if input.byte() < 32 { None } else { Some(&attributes) };
        let all = client.evaluate_flags(&key, &names, attributes, &options);
        assert_eq!(all.len(), names.len(), "get_treatments answers one result per distinct name");
        for (name, listed) in &all {
            let one = client.evaluate(&key, name, attributes, &options);
            assert_eq!(&one, listed, "{name}: alone and in a list differ");
            assert_eq!(client.evaluate(&key, name, attributes, &options), one, "{name}: not deterministic");
            check_answer(&snapshot, name, &one, valid_key);
        }
        let by_set = client.evaluate_flag_sets(&key, gen::SETS, attributes, &options);
        for (name, result) in &by_set {
            check_answer(&snapshot, name, result, valid_key);
        }
    }
}

fn check_answer(snapshot: &Snapshot, name: &str, result: &split_edge::TreatmentResult<'_>, valid_key: bool) {
    let treatment = result.treatment.as_ref();
    let label = result.label.as_deref();
    assert_eq!(label.is_none(), !valid_key, "{name}: rejected (no label) exactly when the key is invalid");
    if !valid_key {
        assert_eq!(treatment, labels::CONTROL, "{name}: a rejected key");
        return;
    }
    let Some(flag) = snapshot.flag(name) else {
        assert_eq!(treatment, labels::CONTROL, "{name}: a missing flag");
        assert_eq!(label, Some(labels::DEFINITION_NOT_FOUND), "{name}: a missing flag's label");
        return;
    };
    if treatment == labels::CONTROL {
        assert!(result.config.is_none() || flag.configs.contains_key(labels::CONTROL), "{name}: control with a config");
        return;
    }
    let mut partition_treatments = BTreeSet::new();
    if let Rules::Conditions(conditions) = &flag.rules {
        for condition in conditions {
            for (_, t) in condition.partitions.iter().flat_map(|p| p.ranges.iter()) {
                partition_treatments.insert(t.as_str());
            }
        }
    }
    let from_default = treatment == flag.default_treatment;
    assert!(
        from_default || partition_treatments.contains(treatment),
        "{name}: {treatment:?} is neither the default {:?} nor one of {partition_treatments:?} (label {label:?})",
        flag.default_treatment
    );
    if flag.killed {
        assert!(from_default, "{name}: killed, yet it served {treatment:?}");
        assert_eq!(label, Some(labels::KILLED), "{name}: killed");
    }
    assert_eq!(
        result.config.as_deref(),
        flag.configs.get(treatment).map(String::as_str),
        "{name}: the config is not the flag's config for {treatment:?}"
    );
    assert_eq!(result.change_number, flag.change_number, "{name}: change number");
}
