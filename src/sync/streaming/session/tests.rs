use super::*;

const T0: u64 = 1_700_000_000_000;

fn config() -> StreamingConfig {
    let mut c = StreamingConfig::new(Identity::new("sdk-key-abcd"));
    c.auth_url = "http://auth.test/api".into();
    c.streaming_url = "http://stream.test/sse".into();
    c
}

fn b64url(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// A JWT as Split's auth API gives one (header and signature are not checked).
fn token(iat: u64, exp: u64) -> String {
    let capability = r#"{"MzM5Njc0ODcyNg==_MTExMzgwNjgx_segments":["subscribe"],"MzM5Njc0ODcyNg==_MTExMzgwNjgx_splits":["subscribe"],"control_pri":["subscribe","channel-metadata:publishers"],"control_sec":["subscribe","channel-metadata:publishers"]}"#;
    let claims = serde_json::json!({"x-ably-capability": capability, "exp": exp, "iat": iat});
    format!("{}.{}.sig", b64url(r#"{"alg":"HS256"}"#), b64url(&claims.to_string()))
}

fn auth_ok(conn_delay: u64) -> HttpOutcome {
    let body = serde_json::json!({"pushEnabled": true, "token": token(1_000, 4_600), "connDelay": conn_delay});
    HttpOutcome::response(200, body.to_string())
}

fn auth_id(actions: &[Action]) -> RequestId {
    actions
        .iter()
        .find_map(|a| match a {
            Action::Authenticate(r) => Some(r.id),
            _ => None,
        })
        .expect("an auth request")
}

fn frame(channel: &str, data: &str, name: Option<&str>, ts: i64) -> Vec<u8> {
    let mut outer =
        serde_json::json!({"id": "i", "timestamp": ts, "encoding": "json", "channel": channel, "data": data});
    if let Some(n) = name {
        outer["name"] = n.into();
    }
    format!("id: i\nevent: message\ndata: {outer}\n\n").into_bytes()
}

fn connected() -> Session {
    let mut s = Session::new(config());
    let id = auth_id(&s.start(T0));
    let actions = s.on_auth(id, auth_ok(0), T0);
    assert!(matches!(actions.as_slice(), [Action::Connect { .. }]));
    assert_eq!(s.on_open(T0 + 10), [Action::StreamingUp]);
    s
}

#[test]
fn authenticates_then_connects_to_the_token_channels() {
    let mut s = Session::new(config());
    let actions = s.start(T0);
    let Action::Authenticate(req) = &actions[0] else { panic!("{actions:?}") };
    assert_eq!(req.url, "http://auth.test/api/v2/auth?s=1.3");
    assert_eq!(req.header("Authorization"), Some("Bearer sdk-key-abcd"));
    let actions = s.on_auth(req.id, auth_ok(0), T0);
    let [Action::Connect { url, headers }] = actions.as_slice() else { panic!("{actions:?}") };
    let tok = token(1_000, 4_600);
    assert_eq!(
        url,
        &format!(
            "http://stream.test/sse?channels=MzM5Njc0ODcyNg%3D%3D_MTExMzgwNjgx_segments,MzM5Njc0ODcyNg%3D%3D_MTExMzgwNjgx_splits,%5B%3Foccupancy%3Dmetrics.publishers%5Dcontrol_pri,%5B%3Foccupancy%3Dmetrics.publishers%5Dcontrol_sec&accessToken={tok}&v=1.1&heartbeats=true"
        )
    );
    assert_eq!(headers[0], ("SplitSDKClientKey".to_owned(), "abcd".to_owned()));
    assert!(headers.iter().any(|(n, _)| n == "SplitSDKVersion"));
    assert_eq!(s.phase(), &Phase::Connecting);
    assert_eq!(s.on_open(T0 + 5), [Action::StreamingUp]);
    // The token lived 3,600 s: it is refreshed 600 s before it expires.
    assert_eq!(s.next_wake(), Some(T0 + 3_000_000));
    let actions = s.on_timer(T0 + 3_000_000);
    assert!(matches!(actions.as_slice(), [Action::Disconnect, Action::StreamingDown, Action::Authenticate(_)]));
}

#[test]
fn conn_delay_waits_before_connecting() {
    let mut s = Session::new(config());
    let id = auth_id(&s.start(T0));
    assert!(s.on_auth(id, auth_ok(60), T0).is_empty());
    assert_eq!(s.next_wake(), Some(T0 + 60_000));
    assert!(s.on_timer(T0 + 59_999).is_empty());
    assert!(matches!(s.on_timer(T0 + 60_000).as_slice(), [Action::Connect { .. }]));
}

#[test]
fn push_disabled_or_a_refused_key_turns_streaming_off() {
    let mut s = Session::new(config());
    let id = auth_id(&s.start(T0));
    assert!(s.on_auth(id, HttpOutcome::response(200, r#"{"pushEnabled":false}"#), T0).is_empty());
    assert!(matches!(s.phase(), Phase::Off { .. }));
    assert_eq!(s.next_wake(), None, "nothing to wait for: the host polls");
    let mut s = Session::new(config());
    let id = auth_id(&s.start(T0));
    s.on_auth(id, HttpOutcome::response(401, ""), T0);
    assert!(matches!(s.phase(), Phase::Off { reason } if reason.contains("401")));
    // Any 4xx stops streaming (JS: non-retryable); a 5xx is retried.
    for (status, off) in [(404, true), (429, true), (500, false)] {
        let mut s = Session::new(config());
        let id = auth_id(&s.start(T0));
        s.on_auth(id, HttpOutcome::response(status, ""), T0);
        assert_eq!(matches!(s.phase(), Phase::Off { .. }), off, "{status}");
    }
}

#[test]
fn failures_back_off_doubling_and_reset_once_streaming_serves() {
    let mut s = Session::new(config());
    let mut now = T0;
    let mut waits = Vec::new();
    let mut actions = s.start(now);
    for _ in 0..4 {
        s.on_auth(auth_id(&actions), HttpOutcome::NetworkError("reset".into()), now);
        let at = s.next_wake().unwrap();
        waits.push(at - now);
        now = at;
        actions = s.on_timer(now);
    }
    assert_eq!(waits, [1_000, 2_000, 4_000, 8_000]);
    assert!(matches!(s.on_auth(auth_id(&actions), auth_ok(0), now).as_slice(), [Action::Connect { .. }]));
    s.on_open(now);
    // The stream drops: a new token after the base wait again.
    let actions = s.on_closed(Some("eof".into()), now);
    assert_eq!(actions, [Action::StreamingDown]);
    assert_eq!(s.next_wake(), Some(now + 1_000));
    assert!(matches!(s.on_timer(now + 1_000).as_slice(), [Action::Authenticate(_)]));
}

#[test]
fn every_update_type_becomes_an_action() {
    let mut s = connected();
    let ch = "MzM5_MTEx_splits";
    let d = base64::engine::general_purpose::STANDARD.encode(r#"{"name":"f"}"#);
    let mut stream = Vec::new();
    stream.extend(frame(ch, r#"{"type":"SPLIT_UPDATE","changeNumber":10}"#, None, 1));
    stream.extend(frame(
        ch,
        &format!(r#"{{"type":"SPLIT_UPDATE","changeNumber":11,"pcn":10,"c":0,"d":"{d}"}}"#),
        None,
        2,
    ));
    stream.extend(frame(
        ch,
        r#"{"type":"SPLIT_KILL","changeNumber":12,"splitName":"f","defaultTreatment":"off"}"#,
        None,
        3,
    ));
    stream.extend(frame(ch, r#"{"type":"SEGMENT_UPDATE","changeNumber":13,"segmentName":"beta"}"#, None, 4));
    stream.extend(frame(ch, r#"{"type":"RB_SEGMENT_UPDATE","changeNumber":14}"#, None, 5));
    stream.extend(frame(
        ch,
        r#"{"type":"LARGE_SEGMENT_UPDATE","changeNumber":15,"largeSegments":[{"n":"big"}]}"#,
        None,
        6,
    ));
    stream.extend(frame(ch, r#"{"type":"SOMETHING_NEW"}"#, None, 7));
    stream.extend(b": keepalive\n\n");
    let actions: Vec<Action> = stream.chunks(7).flat_map(|c| s.on_bytes(c, T0 + 100)).collect();
    assert_eq!(
        actions,
        [
            Action::Apply(Update::Flags { change_number: 10, previous: None, definition: None }),
            Action::Apply(Update::Flags {
                change_number: 11,
                previous: Some(10),
                definition: Some(r#"{"name":"f"}"#.into())
            }),
            Action::Apply(Update::Kill { change_number: 12, split_name: "f".into(), default_treatment: "off".into() }),
            Action::Apply(Update::Segment { change_number: 13, segment_name: "beta".into() }),
            Action::Apply(Update::RuleBasedSegments { change_number: 14, previous: None, definition: None }),
            Action::Apply(Update::LargeSegments { change_number: 15, names: vec!["big".into()] }),
        ]
    );
    assert_eq!((s.stats().notifications, s.stats().ignored), (6, 1));
    assert_eq!(s.stats().last_notification_ms, Some(T0 + 100));
}

#[test]
fn occupancy_and_control_move_streaming_up_and_down_in_timestamp_order() {
    let mut s = connected();
    let pri = "[?occupancy=metrics.publishers]control_pri";
    let sec = "[?occupancy=metrics.publishers]control_sec";
    let occ = |ch: &str, n: u64, ts: i64| {
        frame(ch, &format!(r#"{{"metrics":{{"publishers":{n}}}}}"#), Some("[meta]occupancy"), ts)
    };
    let control = |t: &str, ts: i64| frame(pri, &format!(r#"{{"type":"CONTROL","controlType":"{t}"}}"#), None, ts);
    assert!(s.on_bytes(&occ(pri, 0, 10), T0).is_empty(), "control_sec still has publishers (assumed)");
    assert_eq!(s.on_bytes(&occ(sec, 0, 10), T0), [Action::StreamingDown]);
    assert!(s.on_bytes(&occ(pri, 2, 5), T0).is_empty(), "an older occupancy message is ignored");
    assert_eq!(s.on_bytes(&occ(pri, 2, 11), T0), [Action::StreamingUp]);
    assert_eq!(s.on_bytes(&control("STREAMING_PAUSED", 20), T0), [Action::StreamingDown]);
    assert!(s.on_bytes(&control("STREAMING_RESUMED", 19), T0).is_empty(), "older than the pause");
    assert_eq!(s.on_bytes(&control("STREAMING_RESUMED", 21), T0), [Action::StreamingUp]);
    assert_eq!(s.on_bytes(&control("STREAMING_DISABLED", 22), T0), [Action::Disconnect, Action::StreamingDown]);
    assert!(matches!(s.phase(), Phase::Off { .. }));
    assert!(s.on_bytes(&occ(pri, 1, 30), T0).is_empty(), "nothing is read once off");
}

#[test]
fn streaming_reset_reconnects_with_a_new_token_without_going_down() {
    let mut s = connected();
    let reset = frame("control_pri", r#"{"type":"CONTROL","controlType":"STREAMING_RESET"}"#, None, 40);
    let actions = s.on_bytes(&reset, T0);
    assert!(matches!(actions.as_slice(), [Action::Disconnect, Action::Authenticate(_)]), "{actions:?}");
    assert!(!actions.contains(&Action::StreamingDown));
    let connect = s.on_auth(auth_id(&actions), auth_ok(0), T0 + 1);
    assert!(matches!(connect.as_slice(), [Action::Connect { .. }]), "{connect:?}");
}

#[test]
fn stream_errors_reauthenticate_retry_or_stop() {
    let error = |code: i64| {
        format!("event: error\ndata: {{\"message\":\"m\",\"code\":{code},\"statusCode\":401}}\n\n").into_bytes()
    };
    let mut s = connected();
    let actions = s.on_bytes(&error(40142), T0);
    assert!(
        matches!(actions.as_slice(), [Action::Disconnect, Action::StreamingDown, Action::Authenticate(_)]),
        "token expired: at once"
    );
    let mut s = connected();
    let actions = s.on_bytes(&error(40300), T0);
    assert_eq!(actions, [Action::Disconnect, Action::StreamingDown]);
    assert!(matches!(s.phase(), Phase::Off { .. }), "a non-retryable error stops streaming");
    let mut s = connected();
    let actions = s.on_bytes(&error(50000), T0);
    assert_eq!(actions, [Action::Disconnect, Action::StreamingDown]);
    assert_eq!(s.next_wake(), Some(T0 + 1_000), "retryable: after the backoff");
}

#[test]
fn stale_outcomes_and_bytes_out_of_phase_are_ignored() {
    let mut s = Session::new(config());
    let id = auth_id(&s.start(T0));
    assert!(s.on_auth(RequestId(id.0 + 5), auth_ok(0), T0).is_empty());
    assert!(s.on_bytes(b"data: x\n\n", T0).is_empty());
    assert!(s.on_open(T0).is_empty());
    assert!(s.on_closed(None, T0).is_empty());
    let bad = HttpOutcome::response(200, serde_json::json!({"pushEnabled": true, "token": "not-a-jwt"}).to_string());
    assert!(s.on_auth(id, bad, T0).is_empty());
    assert!(matches!(s.phase(), Phase::Waiting { connect: false, .. }));
    assert!(s.stats().last_error.as_deref().unwrap_or("").contains("JWT"));
}
