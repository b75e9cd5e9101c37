//! The host-facing façade: evaluation records impressions, `track` queues events, and every
//! request (delivery and synchronization) shares one id space routed through `on_outcome`.

mod common;

use common::{condition, flag, matcher};
use serde_json::{json, Value};
use split_edge::events::TrackWarning;
use split_edge::http::{HttpOutcome, HttpRequest, Method};
use split_edge::impressions::ImpressionsMode;
use split_edge::sdk::{Progress, SplitEdge, SplitEdgeConfig};
use split_edge::{EvaluationOptions, Key};

const HOUR: u64 = 3_600_000;
const T0: u64 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR; // an hour start

fn edge(mode: ImpressionsMode) -> SplitEdge {
    let mut config = SplitEdgeConfig::new("sdk-key-1");
    config.recorder.impressions_mode = mode;
    let mut edge = SplitEdge::new(config).unwrap();
    let all = condition(vec![matcher("ALL_KEYS", None, json!({}))], "all keys");
    let body = json!({"ff": {"d": [flag("f1", vec![all.clone()]), flag("f2", vec![all])], "s": -1, "t": 10}});
    edge.snapshot_mut().apply_split_changes_json(&body.to_string()).unwrap();
    edge
}

fn body(r: &HttpRequest) -> Value {
    serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
}

fn find<'a>(requests: &'a [HttpRequest], suffix: &str) -> Option<&'a HttpRequest> {
    requests.iter().find(|r| r.url.ends_with(suffix))
}

#[test]
fn evaluations_become_impressions_on_the_wire() {
    let mut e = edge(ImpressionsMode::Debug);
    let opts = EvaluationOptions::default();
    assert_eq!(e.get_treatment(T0, &Key::new("  u1 "), "f1", None, &opts).treatment, "on");
    e.get_treatment(T0 + 1, &Key::with_bucketing("u2", "b2"), "f2", None, &opts);
    e.get_treatment(T0 + 2, &Key::new("u3"), "missing", None, &opts); // definition not found: none
    e.get_treatment(T0 + 3, &Key::new(""), "f1", None, &opts); // rejected: none
    let props = EvaluationOptions { properties: json!({"plan": "pro"}).as_object().cloned(), ..Default::default() };
    e.get_treatment(T0 + 4, &Key::new("u1"), "f1", None, &props);
    let requests = e.flush(T0 + 10);
    let bulk = find(&requests, "/testImpressions/bulk").expect("impressions posted");
    assert_eq!(bulk.method, Method::Post);
    assert_eq!(bulk.header("SplitSDKImpressionsMode"), Some("DEBUG"));
    assert_eq!(bulk.header("Authorization"), Some("Bearer sdk-key-1"));
    assert_eq!(
        body(bulk),
        json!([
            {"f": "f1", "i": [
                {"k": "u1", "t": "on", "m": T0, "c": 10, "r": "all keys"},
                {"k": "u1", "t": "on", "m": T0 + 4, "c": 10, "r": "all keys", "properties": "{\"plan\":\"pro\"}"}
            ]},
            {"f": "f2", "i": [{"k": "u2", "t": "on", "m": T0 + 1, "c": 10, "r": "all keys", "b": "b2"}]}
        ])
    );
    // In DEBUG the first u1/f1 impression has no previous time; the one with properties gets none either.
    assert!(bulk
        .body
        .as_deref()
        .unwrap()
        .contains("\"k\":\"u1\",\"t\":\"on\",\"m\":1699999200000,\"c\":10,\"r\":\"all keys\"}"));
}

#[test]
fn optimized_mode_deduplicates_within_the_hour_through_the_facade() {
    let mut e = edge(ImpressionsMode::Optimized);
    let opts = EvaluationOptions::default();
    for i in 0..5 {
        e.get_treatments(T0 + i, &Key::new("u1"), &["f1", "f2"], None, &opts);
    }
    e.get_treatment(T0 + HOUR + 7, &Key::new("u1"), "f1", None, &opts);
    let requests = e.flush(T0 + HOUR + 8);
    let bulk = body(find(&requests, "/testImpressions/bulk").unwrap());
    let f1: Vec<&Value> =
        bulk.as_array().unwrap().iter().filter(|g| g["f"] == "f1").flat_map(|g| g["i"].as_array().unwrap()).collect();
    assert_eq!(f1.len(), 2, "first sight, then the first repeat in the next hour");
    assert_eq!(f1[1]["pt"], json!(T0 + 4));
    let counts = body(find(&requests, "/testImpressions/count").unwrap());
    let pf = counts["pf"].as_array().unwrap();
    let count =
        |f: &str, h: u64| pf.iter().find(|c| c["f"] == f && c["m"] == json!(h)).map(|c| c["rc"].as_u64().unwrap());
    assert_eq!(count("f1", T0), Some(4));
    assert_eq!(count("f2", T0), Some(4));
    assert_eq!(count("f1", T0 + HOUR), Some(1));
}

#[test]
fn disabled_impressions_become_counts_and_unique_keys() {
    let mut e = edge(ImpressionsMode::Optimized);
    let disabled = EvaluationOptions { impressions_disabled: true, ..Default::default() };
    e.get_treatment(T0, &Key::new("u1"), "f1", None, &disabled);
    e.get_treatment(T0, &Key::new("u2"), "f1", None, &disabled);
    let requests = e.flush(T0 + 1);
    assert!(find(&requests, "/testImpressions/bulk").is_none());
    let keys = body(find(&requests, "/v1/keys/ss").unwrap());
    assert_eq!(keys, json!({"keys": [{"f": "f1", "ks": ["u1", "u2"]}]}));
}

#[test]
fn track_validates_and_queues_events() {
    let mut e = edge(ImpressionsMode::Optimized);
    let warnings = e.track(T0, &Key::new("u1"), "User", "checkout.done", Some(9.5), None).unwrap();
    assert_eq!(warnings, vec![TrackWarning::TrafficTypeLowercased]);
    let warnings = e.track(T0, &Key::new("u1"), "account", "checkout.done", None, None).unwrap();
    assert!(matches!(warnings.as_slice(), [TrackWarning::TrafficTypeNotFound { .. }]), "no flag has it: warning only");
    let rejected = e
        .track_json(T0, Some(&json!(null)), Some(&json!("user")), Some(&json!("bad type!")), Some(&json!("abc")), None)
        .unwrap_err();
    let messages: Vec<String> = rejected.errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages[0], "you passed a null or undefined key, key must be a non-empty string.");
    assert!(messages[1].starts_with("you passed \"bad type!\", event-type must adhere to the regular expression"));
    assert_eq!(messages[2], "value must be null or number.");
    let requests = e.flush(T0 + 1);
    let events = body(find(&requests, "/events/bulk").unwrap());
    assert_eq!(
        events,
        json!([
            {"eventTypeId": "checkout.done", "trafficTypeName": "user", "value": 9.5, "timestamp": T0, "key": "u1", "properties": null},
            {"eventTypeId": "checkout.done", "trafficTypeName": "account", "value": null, "timestamp": T0, "key": "u1", "properties": null}
        ])
    );
}

#[test]
fn failed_posts_are_retried_under_new_ids_and_settled_once() {
    let mut e = edge(ImpressionsMode::Debug);
    e.track(T0, &Key::new("u1"), "user", "click", None, None).unwrap();
    let first = e.flush(T0);
    assert_eq!(first.len(), 1);
    let progress = e.on_outcome(first[0].id, HttpOutcome::response(503, "busy"), T0 + 1);
    assert!(matches!(progress, Progress::Delivery(ref r) if r.id == first[0].id));
    assert_eq!(e.on_outcome(first[0].id, HttpOutcome::response(200, ""), T0 + 2), Progress::Ignored, "settled once");
    let later = e.poll(T0 + 10 * 60_000);
    let retry = find(&later, "/events/bulk").expect("retried after backoff");
    assert_ne!(retry.id, first[0].id);
    assert_eq!(retry.body, first[0].body);
    assert!(matches!(e.on_outcome(retry.id, HttpOutcome::response(200, ""), T0 + 10 * 60_000), Progress::Delivery(_)));
    let stats = e.recorder_stats();
    assert_eq!((stats.events.sent, stats.events.retried), (1, 1));
}

#[test]
fn sync_and_delivery_share_one_id_space() {
    let mut config = SplitEdgeConfig::new("sdk-key-1");
    config.urls.sdk = "http://127.0.0.1:1/api".into();
    let mut e = SplitEdge::new(config).unwrap();
    e.track(T0, &Key::new("u1"), "user", "click", None, None).unwrap();
    let posts = e.flush(T0);
    let sync = e.start_sync(T0).unwrap();
    assert_eq!(sync.len(), 1);
    assert_ne!(sync[0].id, posts[0].id);
    assert_eq!(sync[0].url, "http://127.0.0.1:1/api/splitChanges?s=1.3&since=-1&rbSince=-1");
    let all = condition(
        vec![matcher("IN_SEGMENT", None, json!({"userDefinedSegmentMatcherData": {"segmentName": "beta"}}))],
        "beta",
    );
    let page = json!({"ff": {"d": [flag("f1", vec![all])], "s": -1, "t": 20}, "rbs": {"d": [], "s": -1, "t": -1}});
    let sync_step = |e: &mut SplitEdge, r: &HttpRequest, body: Value, now: u64| match e.on_outcome(
        r.id,
        HttpOutcome::response(200, body.to_string()),
        now,
    ) {
        Progress::Sync(next) => next,
        other => panic!("expected more sync requests, got {other:?}"),
    };
    let next = sync_step(&mut e, &sync[0], page, T0 + 1);
    assert_eq!(next[0].url, "http://127.0.0.1:1/api/splitChanges?s=1.3&since=20&rbSince=-1", "until since == till");
    let next = sync_step(
        &mut e,
        &next[0],
        json!({"ff": {"d": [], "s": 20, "t": 20}, "rbs": {"d": [], "s": -1, "t": -1}}),
        T0 + 1,
    );
    assert_eq!(next.len(), 1, "the segment discovered in the rules");
    assert_eq!(next[0].url, "http://127.0.0.1:1/api/segmentChanges/beta?since=-1");
    let seg = json!({"name": "beta", "added": ["u1"], "removed": [], "since": -1, "till": 5});
    let next = sync_step(&mut e, &next[0], seg, T0 + 2);
    let done = json!({"name": "beta", "added": [], "removed": [], "since": 5, "till": 5});
    assert_eq!(
        e.on_outcome(next[0].id, HttpOutcome::response(200, done.to_string()), T0 + 3),
        Progress::SyncFinished(Ok(()))
    );
    assert_eq!(e.client().get_treatment(&Key::new("u1"), "f1", None), "on");
    assert_eq!(e.sync_status().last_success_ms, Some(T0 + 3));
    assert!(matches!(e.on_outcome(posts[0].id, HttpOutcome::response(200, ""), T0 + 4), Progress::Delivery(_)));
}

#[test]
fn requests_never_reported_do_not_grow_memory() {
    let mut e = edge(ImpressionsMode::Debug);
    let mut first = None;
    for i in 0..(split_edge::sdk::MAX_ROUTES as u64 + 50) {
        e.track(T0 + i, &Key::new("u1"), "user", "click", None, None).unwrap();
        let posts = e.flush(T0 + i);
        first.get_or_insert(posts[0].id);
    }
    assert_eq!(e.on_outcome(first.unwrap(), HttpOutcome::response(200, ""), T0), Progress::Ignored, "forgotten");
    assert!(
        e.recorder_stats().events.retained_bytes <= split_edge::recorder::RecorderConfig::default().max_retained_bytes
    );
}

#[test]
fn remote_large_segments_log_misses_and_answer_from_recorded_memberships() {
    use split_edge::snapshot::RemoteLargeSegment;
    let mut e = edge(ImpressionsMode::Debug);
    let ls = condition(
        vec![matcher(
            "IN_LARGE_SEGMENT",
            None,
            json!({"userDefinedLargeSegmentMatcherData": {"largeSegmentName": "big"}}),
        )],
        "in big",
    );
    let body = json!({"ff": {"d": [flag("lsf", vec![ls])], "s": 10, "t": 11}});
    e.snapshot_mut().apply_split_changes_json(&body.to_string()).unwrap();
    let opts = EvaluationOptions::default();
    // Not loaded at all: not a member, nothing to look up (as server-side JS).
    assert_eq!(e.get_treatment(T0, &Key::new("u1"), "lsf", None, &opts).treatment, "off");
    assert!(e.snapshot().take_large_misses().is_empty());

    e.snapshot_mut().insert_remote_large_segment("big".into(), RemoteLargeSegment::new(7, 100));
    // A probe records nothing and says what it missed.
    let probed =
        e.without_recording(|e| e.get_treatment(T0, &Key::new("u1"), "lsf", None, &opts).treatment.into_owned());
    assert_eq!(probed, "off");
    assert_eq!(e.snapshot().take_large_misses(), [("big".to_owned(), "u1".to_owned())]);
    assert_eq!(e.recorder_stats().impressions.queued, 1, "the probe recorded no impression");
    e.snapshot_mut().record_large_membership("big", "u1".into(), true);
    e.snapshot_mut().record_large_membership("big", "u2".into(), false);
    assert_eq!(e.get_treatment(T0, &Key::new("u1"), "lsf", None, &opts).treatment, "on");
    assert_eq!(e.get_treatment(T0, &Key::new("u2"), "lsf", None, &opts).treatment, "off");
    assert!(e.snapshot().take_large_misses().is_empty());
    // Loaded key lists win over remote memberships.
    let full = split_edge::snapshot::Segment { keys: ["u2".to_owned()].into_iter().collect(), change_number: 8 };
    e.snapshot_mut().insert_large_segment("big".into(), full);
    assert_eq!(e.get_treatment(T0, &Key::new("u2"), "lsf", None, &opts).treatment, "on");
}
