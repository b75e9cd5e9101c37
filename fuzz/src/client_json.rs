//! The client's JSON entry points (what the npm package and the Worker hand over untyped): the
//! bytes are a JSON array `[key, flag or flags or sets, attributes, properties]`, evaluated over
//! the demo snapshot through `evaluate*_json`, `validation_errors_json` and the `SplitEdge`
//! methods that also record impressions.
//!
//! Checks: no panic; a call is rejected (no label, no impression) exactly when
//! `validation_errors_json` names an error; rejected calls answer `control`; the recording
//! `SplitEdge` methods answer what the stateless client answers.

use serde_json::Value;
use split_edge::sdk::{SplitEdge, SplitEdgeConfig};
use split_edge::{labels, CallTarget, Client, ClientConfig, EvaluationOptions};

use crate::snapshots;

/// Parses `data` as a JSON array of arguments and calls every JSON entry point with it.
pub fn run(data: &[u8]) {
    let Ok(Value::Array(args)) = serde_json::from_slice::<Value>(data) else { return };
    let key = args.first();
    let names = args.get(1);
    let attributes = args.get(2);
    let properties = match args.get(3) {
        Some(Value::Object(map)) => Some(map.clone()),
        _ => None,
    };
    let options = EvaluationOptions { impressions_disabled: properties.is_none(), properties };
    let snapshot = snapshots::demo();
    let config = ClientConfig::default();
    let client = Client::new(snapshot, &config);

    let one = client.evaluate_json(key, names, attributes, &options);
    let errors = client.validation_errors_json(CallTarget::Flag, key, names, attributes);
    assert_eq!(one.label.is_none(), !errors.is_empty(), "rejected iff there are errors: {errors:?} / {one:?}");
    if one.label.is_none() {
        assert_eq!(one.treatment, labels::CONTROL);
    }
    for error in &errors {
        assert!(!error.to_string().is_empty(), "an error without a message");
    }

    let many = client.evaluate_flags_json(key, names, attributes, &options);
    let errors = client.validation_errors_json(CallTarget::Flags, key, names, attributes);
    for (name, result) in &many {
        assert_eq!(result.label.is_none(), !errors.is_empty(), "{name}: rejected iff there are errors: {errors:?}");
    }
    let sets = client.evaluate_flag_sets_json(key, names, attributes, &options);
    let set_errors = client.validation_errors_json(CallTarget::FlagSets, key, names, attributes);
    assert!(sets.is_empty() || set_errors.is_empty(), "flag-set answers despite errors {set_errors:?}");

    let Ok(mut edge) = SplitEdge::with_snapshot(SplitEdgeConfig::new("fuzz"), snapshot.clone()) else {
        panic!("SplitEdge over the demo snapshot")
    };
    let recorded = edge.get_treatment_json(1, key, names, attributes, &options).into_owned();
    assert_eq!(recorded, one, "SplitEdge::get_treatment_json differs from Client::evaluate_json");
    let recorded = edge.get_treatments_json(2, key, names, attributes, &options);
    assert_eq!(recorded.len(), many.len());
    let recorded = edge.get_treatments_by_flag_sets_json(3, key, names, attributes, &options);
    assert_eq!(recorded.len(), sets.len());
    let _ = edge.flush(4);
}
