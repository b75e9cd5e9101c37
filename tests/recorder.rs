//! The recording half through the public API only: golden payloads (byte for byte what
//! javascript-commons 2.12.1 and split-evaluator build for the same data), the impression modes,
//! the schedules and size triggers, and the delivery guarantees (retries, rejections, the memory
//! bound, lost outcomes).

use serde_json::{json, Value};
use split_edge::events::{self, evaluation_properties_json, Event};
use split_edge::http::{HttpOutcome, HttpRequest, Identity, Method, RequestId, Urls};
use split_edge::impressions::{FeatureKeys, Impression, ImpressionCount, ImpressionsMode};
use split_edge::recorder::{
    ConfigError, DeliveryError, DeliveryResult, DropReason, ListenerConfig, RecordKind, Recorder, RecorderConfig,
    BATCH_OVERHEAD_BYTES,
};
use split_edge::wire;

/// An hour start (2023-11-14T22:00:00Z).
const T0: u64 = 1_699_999_200_000;
const HOUR: u64 = 3_600_000;

fn imp(feature: &str, key: &str, time: u64) -> Impression {
    Impression {
        feature: feature.into(),
        key_name: key.into(),
        treatment: "on".into(),
        time,
        bucketing_key: None,
        label: "default rule".into(),
        change_number: Some(7),
        pt: None,
        properties: None,
    }
}

fn identity() -> Identity {
    let mut id = Identity::new("sdk-key-1234");
    id.sdk_version = "evaluator-2.9.0".into();
    id
}

fn recorder(config: RecorderConfig) -> Recorder {
    Recorder::new(config, Urls::default(), identity()).unwrap()
}

fn config(mode: ImpressionsMode) -> RecorderConfig {
    RecorderConfig { impressions_mode: mode, ..RecorderConfig::default() }
}

fn body(r: &HttpRequest) -> &str {
    r.body.as_deref().unwrap()
}

fn ok() -> HttpOutcome {
    HttpOutcome::response(200, "")
}

fn urls_of(reqs: &[HttpRequest]) -> Vec<&str> {
    reqs.iter().map(|r| r.url.as_str()).collect()
}

fn event(key: &str, now: u64) -> Event {
    events::track_json(Some(&json!(key)), Some(&json!("user")), Some(&json!("checkout")), None, None, now)
        .unwrap()
        .event
}

// ----- golden payloads ---------------------------------------------------------------------------

/// The same impressions as given to `fromImpressionsCollector` under node: grouped by flag,
/// integer-like names first, absent members omitted, `r` only with labels.
#[test]
fn golden_impressions_body() {
    let mut a = imp("zeta", "k1", 1_700_000_000_000);
    a.bucketing_key = Some("b1".into());
    a.change_number = Some(123);
    a.pt = Some(5);
    a.properties = Some(r#"{"x":1}"#.into());
    let mut b = imp("123", "k2", 1_700_000_000_001);
    b.treatment = "off".into();
    b.label = "not ready".into();
    b.change_number = None;
    let mut c = imp("zeta", "k\"3\n", 1_700_000_000_002);
    c.label = "in segment all".into();
    c.change_number = Some(124);
    let mut d = imp("7", "k4", 1_700_000_000_003);
    d.label = "l".into();
    d.change_number = Some(1);
    let all = [a, b, c, d];
    assert_eq!(
        wire::impressions_body(&all, true),
        r#"[{"f":"7","i":[{"k":"k4","t":"on","m":1700000000003,"c":1,"r":"l"}]},{"f":"123","i":[{"k":"k2","t":"off","m":1700000000001,"r":"not ready"}]},{"f":"zeta","i":[{"k":"k1","t":"on","m":1700000000000,"c":123,"r":"default rule","b":"b1","pt":5,"properties":"{\"x\":1}"},{"k":"k\"3\n","t":"on","m":1700000000002,"c":124,"r":"in segment all"}]}]"#
    );
    assert_eq!(
        wire::impressions_body(&all, false),
        r#"[{"f":"7","i":[{"k":"k4","t":"on","m":1700000000003,"c":1}]},{"f":"123","i":[{"k":"k2","t":"off","m":1700000000001}]},{"f":"zeta","i":[{"k":"k1","t":"on","m":1700000000000,"c":123,"b":"b1","pt":5,"properties":"{\"x\":1}"},{"k":"k\"3\n","t":"on","m":1700000000002,"c":124}]}]"#
    );
}

#[test]
fn golden_counts_and_unique_keys_bodies() {
    let rows = [
        ImpressionCount { feature: "zeta".into(), hour_ms: T0, count: 2 },
        ImpressionCount { feature: "123".into(), hour_ms: T0, count: 2 },
        ImpressionCount { feature: "zeta".into(), hour_ms: T0 + HOUR, count: 1 },
    ];
    // Rows keep insertion order: JS keys `feature::hour` are never array indices.
    assert_eq!(
        wire::impression_counts_body(&rows),
        r#"{"pf":[{"f":"zeta","m":1699999200000,"rc":2},{"f":"123","m":1699999200000,"rc":2},{"f":"zeta","m":1700002800000,"rc":1}]}"#
    );
    let keys = [
        FeatureKeys { feature: "zeta".into(), keys: vec!["k1".into(), "k3".into()] },
        FeatureKeys { feature: "10".into(), keys: vec!["k2".into()] },
        FeatureKeys { feature: "2".into(), keys: vec!["k1".into()] },
    ];
    assert_eq!(
        wire::unique_keys_body(&keys),
        r#"{"keys":[{"f":"2","ks":["k1"]},{"f":"10","ks":["k2"]},{"f":"zeta","ks":["k1","k3"]}]}"#
    );
}

/// NONE mode through the recorder: the same counts and unique keys as JS's caches give.
#[test]
fn golden_none_mode_posts() {
    let mut rec = recorder(config(ImpressionsMode::None));
    let t = 1_700_000_000_000;
    rec.record_impressions(
        vec![
            (imp("zeta", "k1", t), false),
            (imp("10", "k2", t), false),
            (imp("2", "k1", t), false),
            (imp("zeta", "k3", t), false),
            (imp("zeta", "k1", t), false),
        ],
        t,
    );
    rec.record_impression(imp("zeta", "k1", t + HOUR), false, t + HOUR);
    let reqs = rec.flush(t + HOUR);
    assert_eq!(
        urls_of(&reqs),
        ["https://events.split.io/api/testImpressions/count", "https://telemetry.split.io/api/v1/keys/ss"]
    );
    assert_eq!(
        body(&reqs[0]),
        r#"{"pf":[{"f":"zeta","m":1699999200000,"rc":3},{"f":"10","m":1699999200000,"rc":1},{"f":"2","m":1699999200000,"rc":1},{"f":"zeta","m":1700002800000,"rc":1}]}"#
    );
    assert_eq!(
        body(&reqs[1]),
        r#"{"keys":[{"f":"2","ks":["k1"]},{"f":"10","ks":["k2"]},{"f":"zeta","ks":["k1","k3"]}]}"#
    );
    assert_eq!(reqs[0].header("SplitSDKImpressionsMode"), None, "the mode header is only on testImpressions/bulk");
    let s = rec.stats();
    assert_eq!((s.impression_counts.in_flight, s.unique_keys.in_flight, s.impressions.in_flight), (4, 4, 0));
}

#[test]
fn golden_events_body() {
    let mut rec = recorder(RecorderConfig::default());
    let a = events::track_json(
        Some(&json!("k1")),
        Some(&json!("user")),
        Some(&json!("checkout")),
        None,
        None,
        1_700_000_000_000,
    )
    .unwrap();
    assert_eq!(a.size, 1024);
    let props = json!({"b": true, "10": "x", "a": -0.0, "2": null, "o": {"x": 1}, "n": 1.50});
    let b = events::track_json(
        Some(&json!("k2")),
        Some(&json!("Account")),
        Some(&json!("a.b:c")),
        Some(&json!(1e21)),
        Some(&props),
        1_700_000_000_001,
    )
    .unwrap();
    assert!(rec.record_event(a.event, a.size, 1_700_000_000_000));
    assert!(rec.record_event(b.event, b.size, 1_700_000_000_001));
    let reqs = rec.flush(1_700_000_000_002);
    assert_eq!(urls_of(&reqs), ["https://events.split.io/api/events/bulk"]);
    assert_eq!(
        body(&reqs[0]),
        r#"[{"eventTypeId":"checkout","trafficTypeName":"user","value":null,"timestamp":1700000000000,"key":"k1","properties":null},{"eventTypeId":"a.b:c","trafficTypeName":"account","value":1e+21,"timestamp":1700000000001,"key":"k2","properties":{"2":null,"10":"x","b":true,"a":0,"o":null,"n":1.5}}]"#
    );
    assert_eq!(
        reqs[0].headers,
        vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Authorization".to_owned(), "Bearer sdk-key-1234".to_owned()),
            ("SplitSDKVersion".to_owned(), "evaluator-2.9.0".to_owned()),
        ]
    );
    assert_eq!(reqs[0].method, Method::Post);
}

#[test]
fn golden_impressions_request_headers() {
    for (mode, name) in [(ImpressionsMode::Optimized, "OPTIMIZED"), (ImpressionsMode::Debug, "DEBUG")] {
        let mut rec = recorder(config(mode));
        rec.record_impression(imp("f", "k", T0), false, T0);
        let reqs = rec.flush(T0);
        assert_eq!(reqs[0].url, "https://events.split.io/api/testImpressions/bulk");
        let names: Vec<&str> = reqs[0].headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Accept", "Content-Type", "Authorization", "SplitSDKVersion", "SplitSDKImpressionsMode"]);
        assert_eq!(reqs[0].header("SplitSDKImpressionsMode"), Some(name));
    }
}

// ----- modes --------------------------------------------------------------------------------------

/// The node run of `strategyOptimized` over the same four impressions gives exactly these bodies.
#[test]
fn optimized_dedups_per_hour() {
    let mut rec = recorder(config(ImpressionsMode::Optimized));
    for t in [T0 + 1_000, T0 + 2_000, T0 + HOUR + 10, T0 + HOUR + 20] {
        rec.record_impression(imp("f", "k", t), false, t);
    }
    let s = rec.stats();
    assert_eq!((s.impressions.queued, s.impression_counts.queued, s.deduplicated), (2, 2, 2));
    let reqs = rec.flush(T0 + HOUR + 30);
    assert_eq!(
        body(&reqs[0]),
        r#"[{"f":"f","i":[{"k":"k","t":"on","m":1699999201000,"c":7,"r":"default rule"},{"k":"k","t":"on","m":1700002800010,"c":7,"r":"default rule","pt":1699999202000}]}]"#
    );
    assert_eq!(body(&reqs[1]), r#"{"pf":[{"f":"f","m":1699999200000,"rc":1},{"f":"f","m":1700002800000,"rc":2}]}"#);
    assert_eq!(reqs.len(), 2, "no unique keys outside NONE");
}

#[test]
fn debug_sends_all_with_pt() {
    let mut rec = recorder(config(ImpressionsMode::Debug));
    rec.record_impressions(vec![(imp("f", "k", T0 + 1), false), (imp("f", "k", T0 + 2), false)], T0 + 2);
    assert_eq!(rec.next_due(), Some(T0 + 2 + 60_000), "DEBUG posts every 60 s");
    let reqs = rec.poll(T0 + 2 + 60_000);
    assert_eq!(
        body(&reqs[0]),
        r#"[{"f":"f","i":[{"k":"k","t":"on","m":1699999200001,"c":7,"r":"default rule"},{"k":"k","t":"on","m":1699999200002,"c":7,"r":"default rule","pt":1699999200001}]}]"#
    );
    assert_eq!(reqs.len(), 1, "DEBUG counts nothing");
}

#[test]
fn disabled_impressions_only_count_and_track_keys() {
    let mut rec = recorder(config(ImpressionsMode::Debug));
    rec.record_impressions(vec![(imp("f", "k1", T0), true), (imp("g", "k2", T0), false)], T0);
    let reqs = rec.flush(T0 + 5);
    assert_eq!(
        urls_of(&reqs),
        [
            "https://events.split.io/api/testImpressions/bulk",
            "https://events.split.io/api/testImpressions/count",
            "https://telemetry.split.io/api/v1/keys/ss",
        ]
    );
    assert_eq!(body(&reqs[0]), r#"[{"f":"g","i":[{"k":"k2","t":"on","m":1699999200000,"c":7,"r":"default rule"}]}]"#);
    assert_eq!(body(&reqs[1]), r#"{"pf":[{"f":"f","m":1699999200000,"rc":1}]}"#);
    assert_eq!(body(&reqs[2]), r#"{"keys":[{"f":"f","ks":["k1"]}]}"#);
}

#[test]
fn labels_disabled_drop_r_only() {
    let mut rec = recorder(RecorderConfig { labels_enabled: false, ..config(ImpressionsMode::Debug) });
    let mut i = imp("f", "k", T0);
    i.bucketing_key = Some("b".into());
    rec.record_impressions(vec![(i.clone(), false), (i, false)], T0);
    let reqs = rec.flush(T0);
    assert_eq!(
        body(&reqs[0]),
        r#"[{"f":"f","i":[{"k":"k","t":"on","m":1699999200000,"c":7,"b":"b"},{"k":"k","t":"on","m":1699999200000,"c":7,"b":"b","pt":1699999200000}]}]"#,
        "the label still de-duplicates"
    );
}

#[test]
fn properties_are_sent_without_pt_or_count() {
    let props = evaluation_properties_json(Some(&json!({"plan": "pro", "7": 1.0, "bad": [1]})));
    assert_eq!(props.json.as_deref(), Some(r#"{"7":1,"plan":"pro","bad":null}"#));
    let mut rec = recorder(config(ImpressionsMode::Optimized));
    for t in [T0, T0 + 1] {
        let mut i = imp("f", "k", t);
        i.properties = props.json.clone();
        rec.record_impression(i, false, t);
    }
    let reqs = rec.flush(T0 + 2);
    assert_eq!(reqs.len(), 1, "not counted");
    assert_eq!(
        body(&reqs[0]),
        r#"[{"f":"f","i":[{"k":"k","t":"on","m":1699999200000,"c":7,"r":"default rule","properties":"{\"7\":1,\"plan\":\"pro\",\"bad\":null}"},{"k":"k","t":"on","m":1699999200001,"c":7,"r":"default rule","properties":"{\"7\":1,\"plan\":\"pro\",\"bad\":null}"}]}]"#
    );
}

// ----- schedules and size triggers ----------------------------------------------------------------

#[test]
fn periods_per_kind() {
    let mut rec = recorder(config(ImpressionsMode::None));
    assert_eq!(rec.next_due(), None, "nothing recorded");
    rec.record_impression(imp("f", "k", T0), false, T0);
    rec.record_event(event("k", T0), 1024, T0);
    // Events 60 s; unique keys 15 min; counts 30 min.
    assert_eq!(rec.next_due(), Some(T0 + 60_000));
    assert!(rec.poll(T0 + 59_999).is_empty());
    let reqs = rec.poll(T0 + 60_000);
    assert_eq!(urls_of(&reqs), ["https://events.split.io/api/events/bulk"]);
    rec.on_outcome(reqs[0].id, ok(), T0 + 60_001);
    assert_eq!(rec.next_due(), Some(T0 + 900_000));
    let reqs = rec.poll(T0 + 900_000);
    assert_eq!(urls_of(&reqs), ["https://telemetry.split.io/api/v1/keys/ss"]);
    rec.on_outcome(reqs[0].id, ok(), T0 + 900_001);
    assert_eq!(rec.next_due(), Some(T0 + 1_800_000));
    let reqs = rec.poll(T0 + 1_800_000);
    assert_eq!(urls_of(&reqs), ["https://events.split.io/api/testImpressions/count"]);
    rec.on_outcome(reqs[0].id, ok(), T0 + 1_800_001);
    assert_eq!(rec.next_due(), None);
    assert!(rec.is_idle());
    // After an idle spell a new item waits for the next tick of its schedule, not a stale one.
    rec.record_event(event("k", T0 + 1_830_000), 1024, T0 + 1_830_000);
    assert_eq!(rec.next_due(), Some(T0 + 1_860_000));
}

#[test]
fn impressions_queue_size_triggers_once_per_call() {
    let mut rec = recorder(RecorderConfig { impressions_queue_size: 3, ..config(ImpressionsMode::Debug) });
    rec.record_impressions(vec![(imp("f", "a", T0), false), (imp("f", "b", T0), false)], T0);
    assert!(rec.poll(T0 + 1).is_empty());
    rec.record_impressions(vec![(imp("f", "c", T0 + 2), false), (imp("f", "d", T0 + 2), false)], T0 + 2);
    assert_eq!(rec.next_due(), Some(T0 + 2), "due at once");
    let reqs = rec.poll(T0 + 2);
    assert_eq!(reqs.len(), 1);
    assert_eq!(body(&reqs[0]).matches("\"k\":").count(), 4, "the whole call's impressions");
    // The period is not moved by an early post.
    rec.on_outcome(reqs[0].id, ok(), T0 + 3);
    rec.record_impression(imp("f", "e", T0 + 4), false, T0 + 4);
    assert_eq!(rec.next_due(), Some(T0 + 60_000));
}

#[test]
fn events_count_and_size_triggers() {
    let mut rec = recorder(RecorderConfig { events_queue_size: 2, ..RecorderConfig::default() });
    rec.record_event(event("a", T0), 1024, T0);
    assert!(rec.poll(T0).is_empty());
    rec.record_event(event("b", T0), 1024, T0);
    assert_eq!(rec.poll(T0).len(), 1);

    let mut rec = recorder(RecorderConfig { events_queue_bytes: 2_048, ..RecorderConfig::default() });
    rec.record_event(event("a", T0), 1024, T0);
    rec.record_event(event("b", T0), 1024, T0);
    assert!(rec.poll(T0).is_empty(), "2048 is not over 2048");
    rec.record_event(event("c", T0), 1, T0);
    let reqs = rec.poll(T0);
    assert_eq!(body(&reqs[0]).matches("eventTypeId").count(), 3);
}

#[test]
fn unique_keys_trigger_at_size() {
    let mut rec = recorder(RecorderConfig { unique_keys_queue_size: 3, ..config(ImpressionsMode::None) });
    rec.record_impressions(
        vec![(imp("f", "a", T0), false), (imp("f", "a", T0), false), (imp("g", "b", T0), false)],
        T0,
    );
    assert!(rec.poll(T0).is_empty(), "two new keys");
    rec.record_impression(imp("g", "c", T0), false, T0);
    let reqs = rec.poll(T0);
    assert_eq!(urls_of(&reqs), ["https://telemetry.split.io/api/v1/keys/ss"]);
    assert_eq!(body(&reqs[0]), r#"{"keys":[{"f":"f","ks":["a"]},{"f":"g","ks":["b","c"]}]}"#);
    assert_eq!(rec.stats().unique_keys.in_flight, 3);
}

// ----- listener ------------------------------------------------------------------------------------

#[test]
fn listener_gets_every_impression() {
    let listener = ListenerConfig::new("https://hooks.example.com/imp");
    let mut rec = recorder(RecorderConfig { listener: Some(listener), ..config(ImpressionsMode::Optimized) });
    let mut first = imp("zeta", "k1", T0);
    first.bucketing_key = Some("b".into());
    let mut nr = imp("123", "k2", T0 + 1);
    nr.change_number = None;
    nr.label = "not ready".into();
    rec.record_impressions(vec![(first, false), (imp("zeta", "k1", T0 + 2), false), (nr, true)], T0 + 2);
    assert_eq!(rec.next_due(), Some(T0 + 2 + 15_000));
    let reqs = rec.poll(T0 + 2 + 15_000);
    assert_eq!(urls_of(&reqs), ["https://hooks.example.com/imp"]);
    assert_eq!(reqs[0].headers, vec![("Content-Type".to_owned(), "application/json".to_owned())]);
    assert_eq!(
        body(&reqs[0]),
        r#"{"impressions":[{"testName":"zeta","keyImpressions":[{"keyName":"k1","treatment":"on","time":1699999200000,"changeNumber":7,"label":"default rule"},{"keyName":"k1","treatment":"on","time":1699999200002,"changeNumber":7,"label":"default rule"}]},{"testName":"123","keyImpressions":[{"keyName":"k2","treatment":"on","time":1699999200001,"label":"not ready"}]}]}"#,
        "deduped and disabled ones included, a Map's first-seen order"
    );
}

#[test]
fn listener_posts_at_500_and_restarts_its_period() {
    let listener = ListenerConfig::new("http://127.0.0.1:9/x");
    let mut rec = recorder(RecorderConfig { listener: Some(listener), ..config(ImpressionsMode::None) });
    let batch: Vec<(Impression, bool)> = (0..499).map(|i| (imp("f", &format!("k{i}"), T0), false)).collect();
    rec.record_impressions(batch, T0);
    assert_eq!(rec.next_due(), Some(T0 + 15_000));
    rec.record_impression(imp("f", "last", T0 + 5_000), false, T0 + 5_000);
    let reqs = rec.poll(T0 + 5_000);
    assert_eq!(urls_of(&reqs), ["http://127.0.0.1:9/x"]);
    assert_eq!(body(&reqs[0]).matches("keyName").count(), 500);
    rec.on_outcome(reqs[0].id, ok(), T0 + 5_001);
    rec.record_impression(imp("f", "next", T0 + 6_000), false, T0 + 6_000);
    let due = rec.next_due().unwrap();
    assert_eq!(due, T0 + 5_000 + 15_000, "the size flush restarted the 15 s period");
    // A flush posts in chunks of 500.
    let batch: Vec<(Impression, bool)> = (0..1_200).map(|i| (imp("f", &format!("j{i}"), T0), false)).collect();
    rec.record_impressions(batch, T0 + 7_000);
    let listener_posts: Vec<usize> = rec
        .flush(T0 + 7_000)
        .iter()
        .filter(|r| r.url.starts_with("http://127.0.0.1"))
        .map(|r| body(r).matches("keyName").count())
        .collect();
    assert_eq!(listener_posts, [500, 500, 201]);
}

// ----- delivery -----------------------------------------------------------------------------------

#[test]
fn network_error_then_success() {
    let mut rec = recorder(RecorderConfig::default());
    rec.record_event(event("a", T0), 1024, T0);
    let first = rec.flush(T0);
    assert_eq!(first[0].id, RequestId(1));
    let report = rec.on_outcome(first[0].id, HttpOutcome::NetworkError("connection reset".into()), T0 + 100);
    assert_eq!(report.kind, Some(RecordKind::Events));
    assert_eq!(report.items, 1);
    assert_eq!(
        report.result,
        DeliveryResult::Retrying {
            attempts: 1,
            retry_at_ms: T0 + 5_100,
            error: DeliveryError::Network { message: "connection reset".into() }
        }
    );
    assert_eq!(rec.next_due(), Some(T0 + 5_100));
    assert!(rec.poll(T0 + 5_099).is_empty());
    let second = rec.poll(T0 + 5_100);
    assert_eq!(second[0].id, RequestId(2));
    assert_eq!(second[0].body, first[0].body, "the same body again");
    let s = rec.stats().events;
    assert_eq!((s.retrying, s.in_flight, s.retried), (0, 1, 1));
    assert_eq!(rec.on_outcome(second[0].id, ok(), T0 + 5_200).result, DeliveryResult::Delivered);
    let s = rec.stats().events;
    assert_eq!((s.sent, s.queued, s.in_flight, s.requests, s.dropped.total()), (1, 0, 0, 2, 0));
    assert_eq!(s.last_error.unwrap().error, DeliveryError::Network { message: "connection reset".into() });
    assert_eq!(rec.on_outcome(second[0].id, ok(), T0 + 5_300).result, DeliveryResult::Unknown);
}

#[test]
fn server_errors_until_attempts_are_exhausted() {
    let mut rec = recorder(RecorderConfig { max_attempts: 4, ..config(ImpressionsMode::Debug) });
    rec.record_impressions(vec![(imp("f", "a", T0), false), (imp("f", "b", T0), false)], T0);
    let mut now = T0;
    let mut waits = Vec::new();
    let mut req = rec.flush(now).remove(0);
    loop {
        let report = rec.on_outcome(req.id, HttpOutcome::response(503, "unavailable"), now);
        match report.result {
            DeliveryResult::Retrying { retry_at_ms, .. } => {
                waits.push(retry_at_ms - now);
                now = retry_at_ms;
                let reqs = rec.poll(now);
                assert_eq!(reqs.len(), 1);
                req = reqs.into_iter().next().unwrap();
            }
            DeliveryResult::Dropped { reason, attempts, error } => {
                assert_eq!((reason, attempts), (DropReason::AttemptsExhausted, 4));
                assert_eq!(error, DeliveryError::Status { status: 503, body: "unavailable".into() });
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(waits, [5_000, 10_000, 20_000]);
    let s = rec.stats().impressions;
    assert_eq!((s.dropped.attempts_exhausted, s.retried, s.requests, s.sent, s.queued), (2, 6, 4, 0, 0));
    assert!(rec.is_idle());
}

#[test]
fn backoff_is_capped() {
    let mut rec =
        recorder(RecorderConfig { backoff_base_ms: 100_000, backoff_max_ms: 150_000, ..RecorderConfig::default() });
    rec.record_event(event("a", T0), 1024, T0);
    let r = rec.flush(T0).remove(0);
    let rep = rec.on_outcome(r.id, HttpOutcome::response(500, ""), T0);
    assert!(matches!(rep.result, DeliveryResult::Retrying { retry_at_ms, .. } if retry_at_ms == T0 + 100_000));
    let r = rec.poll(T0 + 100_000).remove(0);
    let rep = rec.on_outcome(r.id, HttpOutcome::response(502, ""), T0 + 100_000);
    assert!(matches!(rep.result, DeliveryResult::Retrying { retry_at_ms, .. } if retry_at_ms == T0 + 250_000));
}

#[test]
fn too_many_requests_and_timeouts_are_retried() {
    let mut rec = recorder(RecorderConfig::default());
    rec.record_event(event("a", T0), 1024, T0);
    let r = rec.flush(T0).remove(0);
    let rep = rec.on_outcome(r.id, HttpOutcome::response(429, "slow down"), T0);
    assert!(matches!(rep.result, DeliveryResult::Retrying { attempts: 1, .. }));
    let r = rec.poll(T0 + 5_000).remove(0);
    let rep = rec.on_outcome(r.id, HttpOutcome::response(408, ""), T0 + 5_000);
    assert!(
        matches!(rep.result, DeliveryResult::Retrying { attempts: 2, retry_at_ms, .. } if retry_at_ms == T0 + 15_000)
    );
}

#[test]
fn bad_request_is_rejected_with_its_body() {
    let mut rec = recorder(RecorderConfig::default());
    rec.record_event(event("a", T0), 1024, T0);
    rec.record_event(event("b", T0), 1024, T0);
    let r = rec.flush(T0).remove(0);
    let rep = rec.on_outcome(r.id, HttpOutcome::response(400, "{\"message\":\"bad payload\"}"), T0 + 1);
    assert_eq!(rep.items, 2);
    assert_eq!(rep.result, DeliveryResult::Rejected { status: 400, body: "{\"message\":\"bad payload\"}".into() });
    let s = rec.stats().events;
    assert_eq!((s.dropped.rejected, s.retried, s.queued, s.in_flight), (2, 0, 0, 0));
    assert_eq!(s.last_error.unwrap().error.to_string(), "status 400: {\"message\":\"bad payload\"}");
    assert_eq!(rec.next_due(), None, "nothing is retried");
    // A long rejection body is kept whole in the report, cut to 1 KiB in the stats.
    rec.record_event(event("c", T0), 1024, T0);
    let r = rec.flush(T0 + 2).remove(0);
    let long = "é".repeat(2_000);
    let rep = rec.on_outcome(r.id, HttpOutcome::response(413, long.clone()), T0 + 3);
    assert_eq!(rep.result, DeliveryResult::Rejected { status: 413, body: long });
    match rec.stats().events.last_error.unwrap().error {
        DeliveryError::Status { status: 413, body } => assert_eq!(body.len(), 1_024),
        other => panic!("unexpected {other:?}"),
    }
}

/// Every event is its own batch (queue size 1) and nothing is posted: the bound keeps the newest
/// three batches and drops the older ones first, each counted.
#[test]
fn memory_bound_drops_oldest_first() {
    let one = event("k0", T0);
    let batch_bytes = wire::events_body(std::slice::from_ref(&one)).len() + BATCH_OVERHEAD_BYTES;
    let cfg = RecorderConfig {
        events_queue_size: 1,
        max_retained_bytes: 3 * batch_bytes + 10,
        max_batch_bytes: batch_bytes,
        ..RecorderConfig::default()
    };
    let mut rec = recorder(cfg);
    for i in 0..5 {
        assert!(rec.record_event(event(&format!("k{i}"), T0), 1024, T0));
    }
    let s = rec.stats().events;
    assert_eq!((s.queued, s.dropped.bounds_exceeded, s.retained_bytes), (3, 2, 3 * batch_bytes));
    assert_eq!(rec.pending_bytes(), 3 * batch_bytes);
    let reqs = rec.poll(T0);
    assert_eq!(reqs.len(), 1, "one in flight at a time");
    assert!(body(&reqs[0]).contains("\"key\":\"k2\""), "the oldest kept batch goes first");
    // Two more: the in-flight copy is released first, then the oldest waiting batch dropped.
    rec.record_event(event("k5", T0), 1024, T0);
    rec.record_event(event("k6", T0), 1024, T0);
    let s = rec.stats().events;
    assert_eq!((s.queued, s.in_flight, s.dropped.bounds_exceeded), (3, 1, 3));
    // Its copy gone, the in-flight batch cannot be retried: dropped for bounds when it fails.
    let rep = rec.on_outcome(reqs[0].id, HttpOutcome::NetworkError("down".into()), T0 + 1);
    assert!(matches!(rep.result, DeliveryResult::Dropped { reason: DropReason::BoundsExceeded, .. }));
    let s = rec.stats().events;
    assert_eq!((s.queued, s.in_flight, s.dropped.bounds_exceeded), (3, 0, 4));
    let keys: Vec<String> = rec
        .flush(T0 + 2)
        .iter()
        .map(|r| serde_json::from_str::<Value>(body(r)).unwrap()[0]["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["k4", "k5", "k6"]);
}

/// A host that never polls: memory stays bounded and every impression is accounted for.
#[test]
fn memory_stays_bounded_without_polling() {
    let cfg = RecorderConfig {
        impressions_queue_size: 100,
        max_retained_bytes: 64 * 1024,
        max_batch_bytes: 16 * 1024,
        ..config(ImpressionsMode::Debug)
    };
    let mut rec = recorder(cfg);
    let total = 20_000u64;
    for i in 0..total {
        rec.record_impression(imp("flag", &format!("key-{i}"), T0 + i), false, T0 + i);
        assert!(rec.pending_bytes() <= 64 * 1024);
    }
    let s = rec.stats().impressions;
    assert_eq!(s.queued + s.dropped.bounds_exceeded, total);
    assert!(s.dropped.bounds_exceeded > 0);
    // What is left is the newest.
    let reqs = rec.flush(T0 + total);
    let last = body(reqs.last().unwrap());
    assert!(last.contains(&format!("\"key-{}\"", total - 1)));
}

#[test]
fn an_oversized_event_is_dropped_and_counted() {
    let mut rec =
        recorder(RecorderConfig { max_retained_bytes: 2_000, max_batch_bytes: 1_000, ..RecorderConfig::default() });
    let mut big = event("k", T0);
    big.key = "x".repeat(5_000);
    assert!(!rec.record_event(big, 1024, T0));
    assert_eq!(rec.stats().events.dropped.bounds_exceeded, 1);
    assert!(rec.record_event(event("k", T0), 1024, T0));
}

#[test]
fn lost_outcomes_time_out() {
    let mut rec = recorder(RecorderConfig { in_flight_timeout_ms: 30_000, ..RecorderConfig::default() });
    rec.record_event(event("a", T0), 1024, T0);
    let r = rec.flush(T0).remove(0);
    assert_eq!(rec.next_due(), Some(T0 + 30_000));
    assert!(rec.poll(T0 + 29_999).is_empty());
    assert!(rec.poll(T0 + 30_000).is_empty(), "timed out, now waiting for its backoff");
    let s = rec.stats().events;
    assert_eq!((s.retrying, s.in_flight), (1, 0));
    assert_eq!(s.last_error.unwrap().error, DeliveryError::TimedOut { after_ms: 30_000 });
    assert_eq!(rec.on_outcome(r.id, ok(), T0 + 31_000).result, DeliveryResult::Unknown);
    let again = rec.poll(T0 + 35_000);
    assert_eq!(again[0].id, RequestId(2));
    assert_eq!(rec.on_outcome(again[0].id, ok(), T0 + 35_001).result, DeliveryResult::Delivered);
}

#[test]
fn requests_are_deterministic() {
    let run = || {
        let mut rec = recorder(config(ImpressionsMode::None));
        rec.record_event(event("a", T0), 1024, T0);
        rec.record_impressions(vec![(imp("2", "x", T0), false), (imp("1", "y", T0), true)], T0);
        rec.flush(T0)
    };
    let a = run();
    assert_eq!(a, run());
    let ids: Vec<u64> = a.iter().map(|r| r.id.0).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(
        urls_of(&a),
        [
            "https://events.split.io/api/events/bulk",
            "https://events.split.io/api/testImpressions/count",
            "https://telemetry.split.io/api/v1/keys/ss",
        ]
    );
}

#[test]
fn in_flight_limit_and_flush() {
    let mut rec = recorder(RecorderConfig { events_queue_size: 1, ..RecorderConfig::default() });
    for k in ["a", "b", "c"] {
        rec.record_event(event(k, T0), 1024, T0);
    }
    assert_eq!(rec.poll(T0).len(), 1, "max_in_flight 1");
    assert!(rec.poll(T0).is_empty());
    assert_eq!(rec.flush(T0).len(), 2, "flush sends everything not in flight");
    assert_eq!(rec.stats().events.in_flight, 3);
}

#[test]
fn bad_configs_are_refused() {
    let err =
        Recorder::new(RecorderConfig { max_attempts: 0, ..RecorderConfig::default() }, Urls::default(), identity())
            .unwrap_err();
    assert_eq!(err, ConfigError::Zero { field: "max_attempts" });
    let urls = Urls { events: String::new(), ..Urls::default() };
    assert_eq!(
        Recorder::new(RecorderConfig::default(), urls, identity()).unwrap_err(),
        ConfigError::EmptyUrl { field: "events" }
    );
}

#[test]
fn custom_urls() {
    let urls = Urls {
        sdk: "http://sdk".into(),
        events: "http://localhost:7000/api".into(),
        telemetry: "http://localhost:7001/api".into(),
    };
    let mut rec = Recorder::new(config(ImpressionsMode::None), urls, identity()).unwrap();
    rec.record_impression(imp("f", "k", T0), false, T0);
    assert_eq!(
        urls_of(&rec.flush(T0)),
        ["http://localhost:7000/api/testImpressions/count", "http://localhost:7001/api/v1/keys/ss"]
    );
}

#[test]
fn track_validation_messages_for_hosts() {
    let rejected = events::track_json(
        Some(&json!("")),
        Some(&json!("")),
        Some(&json!("no spaces")),
        Some(&json!("abc")),
        Some(&json!([1])),
        T0,
    )
    .unwrap_err();
    let messages: Vec<String> = rejected.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "you passed an empty string, key must be a non-empty string.",
            "you passed an empty traffic-type, traffic-type must be a non-empty string.",
            "you passed \"no spaces\", event-type must adhere to the regular expression /^[a-zA-Z0-9][-_.:a-zA-Z0-9]{0,79}$/g. This means an event_type must be alphanumeric, cannot be more than 80 characters long, and can only include a dash, underscore, period, or colon as separators of alphanumeric characters.",
            "value must be null or number.",
            "properties must be a plain object.",
        ]
    );
}

#[test]
fn capture_keeps_every_impression_with_pt_and_is_bounded() {
    let mut rec = recorder(config(ImpressionsMode::Optimized));
    assert!(rec.take_captured().is_empty(), "off by default");
    rec.set_capture(true);
    rec.record_impressions(vec![(imp("f", "k", 1_000), false), (imp("f", "k", 2_000), false)], 2_000);
    let captured = rec.take_captured();
    // The de-duplicated repeat is captured too, with the time it was seen before.
    assert_eq!(captured.iter().map(|i| (i.time, i.pt)).collect::<Vec<_>>(), vec![(1_000, None), (2_000, Some(1_000))]);
    assert!(rec.take_captured().is_empty(), "taken");
    for n in 0..(split_edge::recorder::MAX_CAPTURED + 5) {
        rec.record_impressions(vec![(imp("f", &format!("k{n}"), 3_000), false)], 3_000);
    }
    assert_eq!(rec.take_captured().len(), split_edge::recorder::MAX_CAPTURED);
    rec.set_capture(false);
    rec.record_impressions(vec![(imp("f", "k", 4_000), false)], 4_000);
    assert!(rec.take_captured().is_empty(), "off again");
}

// ----- handing posts and records to another recorder ---------------------------------------------

/// A queue consumer's leftovers: failed posts come out byte for byte with their attempts, go into
/// another recorder, and are posted from there with the same URL and body; `max_attempts` counts
/// the attempts made before.
#[test]
fn unsent_batches_move_to_another_recorder() {
    let cfg = RecorderConfig { max_attempts: 3, ..config(ImpressionsMode::Debug) };
    let mut first = recorder(cfg.clone());
    first.record_impressions(vec![(imp("f", "k1", T0), false), (imp("g", "k2", T0), false)], T0);
    first.record_event(event("k1", T0), 100, T0);
    let reqs = first.flush(T0);
    assert_eq!(reqs.len(), 2);
    let (imps, evs) = (&reqs[0], &reqs[1]);
    first.on_outcome(imps.id, HttpOutcome::response(500, "down"), T0 + 1);
    first.on_outcome(evs.id, ok(), T0 + 1);
    let unsent = first.take_unsent();
    assert_eq!(unsent.len(), 1);
    assert_eq!((unsent[0].kind, unsent[0].items, unsent[0].attempts), (RecordKind::Impressions, 2, 1));
    assert_eq!(unsent[0].body, body(imps));
    assert!(first.is_idle(), "nothing is left behind");
    assert_eq!(first.stats().impressions.retained_bytes, 0);

    let mut second = recorder(cfg);
    second.restore(unsent[0].clone(), T0 + 2);
    let again = second.poll(T0 + 2);
    assert_eq!(urls_of(&again), [imps.url.as_str()]);
    assert_eq!(body(&again[0]), body(imps));
    assert_eq!(again[0].headers, imps.headers);
    second.on_outcome(again[0].id, HttpOutcome::response(503, ""), T0 + 3);
    let last = second.flush(T0 + 4);
    let report = second.on_outcome(last[0].id, HttpOutcome::response(503, ""), T0 + 5);
    assert!(matches!(
        report.result,
        DeliveryResult::Dropped { reason: DropReason::AttemptsExhausted, attempts: 3, .. }
    ));
    assert_eq!(second.stats().impressions.dropped.attempts_exhausted, 2);
}

/// Records taken in handoff mode and put back (a failed queue send) are taken again, within the
/// bound; past it, and with handoff mode off, they are counted as dropped.
#[test]
fn handoff_records_put_back_are_bounded_and_counted() {
    let mut rec =
        recorder(RecorderConfig { max_retained_bytes: 1_000, max_batch_bytes: 1_000, ..RecorderConfig::default() });
    rec.set_handoff(true);
    assert!(!rec.has_handoff());
    rec.record_impressions(vec![(imp("f", "k1", T0), false)], T0);
    rec.record_event(event("k1", T0), 100, T0);
    assert!(rec.has_handoff());
    let taken = rec.take_handoff();
    assert!(!rec.has_handoff());
    rec.record_impressions(vec![(imp("g", "k2", T0), true)], T0);
    rec.keep_handoff(taken.clone());
    let again = rec.take_handoff();
    assert_eq!(again.impressions.len(), 2);
    assert_eq!(again.impressions[1], taken.impressions[0]);
    assert_eq!(again.events, taken.events);

    let many: Vec<(Impression, bool)> = (0..20).map(|i| (imp("f", &format!("key{i}"), T0), false)).collect();
    rec.keep_handoff(split_edge::recorder::handoff::Handoff { impressions: many, events: Vec::new() });
    let kept = rec.take_handoff().impressions.len() as u64;
    assert!(kept > 0 && kept < 20);
    assert_eq!(rec.stats().impressions.dropped.bounds_exceeded, 20 - kept);

    rec.set_handoff(false);
    rec.keep_handoff(taken);
    let s = rec.stats();
    assert_eq!((s.impressions.dropped.bounds_exceeded, s.events.dropped.bounds_exceeded), (21 - kept, 1));
    assert!(rec.flush(T0).is_empty(), "put back with handoff off: dropped, not posted");
}

#[test]
fn record_kinds_round_trip_their_names() {
    for kind in RecordKind::ALL {
        assert_eq!(RecordKind::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(RecordKind::from_name("impression"), None);
}
