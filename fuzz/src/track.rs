//! `track` validation: the bytes are a JSON array `[key, trafficType, eventType, value,
//! properties]` passed to `events::track_json` and `SplitEdge::track_json`.
//!
//! Checks: no panic; an accepted event has a valid event type, a non-empty lowercase trimmed
//! traffic type, a finite value, a non-empty key of at most 250 characters, and an estimated
//! size of at least 1024; a rejected one names at least one error, each with a message; the
//! `SplitEdge` path accepts exactly what the validator accepts.

use serde_json::Value;
use split_edge::sdk::{SplitEdge, SplitEdgeConfig};
use split_edge::{events, js};

/// Parses `data` as a JSON array of `track` arguments and validates them.
pub fn run(data: &[u8]) {
    let Ok(Value::Array(args)) = serde_json::from_slice::<Value>(data) else { return };
    let arg = |i: usize| args.get(i);
    let checked = events::track_json(arg(0), arg(1), arg(2), arg(3), arg(4), 1_700_000_000_000);
    match &checked {
        Ok(tracked) => {
            let event = &tracked.event;
            assert!(events::is_valid_event_type(&event.event_type_id), "accepted event type {:?}", event.event_type_id);
            let tt = &event.traffic_type_name;
            assert!(!tt.is_empty() && js::trim(tt) == tt && tt.to_lowercase() == *tt, "accepted traffic type {tt:?}");
            assert!(event.value.is_none_or(f64::is_finite), "accepted value {:?}", event.value);
            assert!(!event.key.is_empty() && event.key.encode_utf16().count() <= 250, "accepted key {:?}", event.key);
            assert!(tracked.size >= 1024, "size estimate {}", tracked.size);
            let _ = event.estimated_json_len();
        }
        Err(rejected) => {
            assert!(!rejected.errors.is_empty(), "rejected without an error");
            for error in &rejected.errors {
                assert!(!error.to_string().is_empty(), "an error without a message");
            }
        }
    }
    let Ok(mut edge) = SplitEdge::new(SplitEdgeConfig::new("fuzz")) else { panic!("SplitEdge::new") };
    let queued = edge.track_json(1, arg(0), arg(1), arg(2), arg(3), arg(4));
    assert_eq!(queued.is_ok(), checked.is_ok(), "SplitEdge::track_json and events::track_json disagree");
    for request in edge.flush(2) {
        if let Some(body) = &request.body {
            serde_json::from_str::<Value>(body).expect("an events/bulk body is JSON");
        }
    }
}
