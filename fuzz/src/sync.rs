//! The synchronizer's response handling (`split_edge::sync::Synchronizer::on_response`): a run
//! is started and every request it asks for gets an outcome drawn from the bytes (network
//! errors, error statuses, malformed text, or generated `splitChanges`, `segmentChanges` and
//! `memberships` bodies whose `since`/`till` continue, repeat or jump), server side or client
//! side, until the run ends.
//!
//! Checks: no panic; every run ends once each of its requests has had an outcome, within a
//! bounded number of requests; a response that is not JSON leaves the snapshot as it was; after
//! the run the snapshot's listings agree with its lookups and a new run can start.

use serde_json::{json, Value};
use split_edge::http::{HttpOutcome, HttpRequest, Identity};
use split_edge::sync::{Step, SyncConfig, SyncMode, Synchronizer};
use split_edge::Snapshot;

use crate::gen;
use crate::input::Input;
use crate::load::fingerprint;

/// Requests after which a run that has not ended is a bug (pages are bounded by `max_pages`).
const MAX_REQUESTS: usize = 400;

/// Runs a synchronization whose responses come from `data`.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let mut config = SyncConfig::new(Identity::new("fuzz-key"));
    config.max_pages = 1 + u32::from(input.byte() % 4);
    if input.bool() {
        config.mode = SyncMode::ClientSide { keys: vec![gen::name(&mut input, gen::KEYS)] };
    }
    let mut sync = Synchronizer::new(config);
    let mut snapshot = Snapshot::new();
    for round in 0..2u64 {
        let now = 1_000 + round;
        let mut queue: std::collections::VecDeque<HttpRequest> =
            sync.start(&snapshot, now).expect("no run is in progress").into();
        let mut sent = 0usize;
        let mut ended = false;
        while let Some(request) = queue.pop_front() {
            sent += 1;
            assert!(sent <= MAX_REQUESTS, "a run asked for more than {MAX_REQUESTS} requests");
            let outcome = outcome(&mut input, &request);
            let not_json = matches!(&outcome, HttpOutcome::Response { body, .. }
                if serde_json::from_str::<Value>(body.strip_prefix('\u{feff}').unwrap_or(body)).is_err());
            let before = fingerprint(&snapshot);
            let step = sync.on_response(&mut snapshot, request.id, outcome, now);
            if not_json {
                assert_eq!(fingerprint(&snapshot), before, "a body that is not JSON changed the snapshot");
            }
            match step {
                Step::Send(more) => queue.extend(more),
                Step::Done(_) | Step::Failed { .. } => {
                    ended = true;
                    break;
                }
                Step::Ignored => panic!("the outcome of a request of the current run was ignored"),
            }
        }
        assert!(ended, "every request had its outcome, yet the run did not end");
        assert!(!sync.is_running(), "the run ended, yet the synchronizer says it is running");
        for name in snapshot.flag_names() {
            assert!(snapshot.flag(name).is_some(), "listed flag {name:?} not found");
        }
        if input.is_empty() {
            break;
        }
    }
}

/// `since=<n>` of a request's URL (`-1` when absent).
fn since(url: &str) -> i64 {
    url.split(['?', '&']).find_map(|piece| piece.strip_prefix("since=")).and_then(|n| n.parse().ok()).unwrap_or(-1)
}

fn till(input: &mut Input<'_>, since: i64) -> i64 {
    match input.below(4) {
        0 | 1 => since,
        2 => since.saturating_add(1 + i64::from(input.byte())),
        _ => input.i64(),
    }
}

fn outcome(input: &mut Input<'_>, request: &HttpRequest) -> HttpOutcome {
    let url = &request.url;
    let since = since(url);
    match input.below(10) {
        0 => return HttpOutcome::NetworkError("reset".into()),
        1 => {
            let status = *input.pick(&[304u16, 400, 401, 403, 404, 408, 409, 414, 429, 500, 503, 200, 204]);
            return HttpOutcome::response(status, input.text(64));
        }
        2 => return HttpOutcome::response(200, input.text(512)),
        _ => {}
    }
    let body = if url.contains("/splitChanges") {
        let flags: Vec<Value> = (0..input.below(3))
            .map(|_| {
                let name = gen::name(input, gen::FLAGS);
                gen::flag(input, &name)
            })
            .collect();
        let t = till(input, since);
        if input.byte() < 40 {
            json!({"splits": flags, "since": since, "till": t})
        } else {
            let rbs: Vec<Value> = (0..input.below(2))
                .map(|_| {
                    let name = gen::name(input, gen::RB_SEGMENTS);
                    gen::rule_based_segment(input, &name)
                })
                .collect();
            let rb_t = input.i64() % 1000;
            json!({"ff": {"d": flags, "s": since, "t": t}, "rbs": {"d": rbs, "s": -1, "t": rb_t}})
        }
    } else if url.contains("/segmentChanges/") {
        let name = url.rsplit('/').next().unwrap_or("").split('?').next().unwrap_or("").to_owned();
        let mut change = gen::segment_change(input, &name);
        let t = till(input, since);
        if let Some(obj) = change.as_object_mut() {
            obj.insert("since".into(), json!(since));
            obj.insert("till".into(), json!(t));
        }
        change
    } else {
        let segments: Vec<Value> = (0..input.below(3)).map(|_| json!({"n": gen::name(input, gen::SEGMENTS)})).collect();
        json!({"ms": {"k": segments, "cn": input.i64() % 1000}, "ls": {"k": [], "cn": input.byte()}})
    };
    let mut text = body.to_string();
    if input.byte() < 8 {
        // A truncated body.
        let cut = input.below(text.len());
        text.truncate(text.floor_char_boundary_compat(cut));
    }
    HttpOutcome::response(200, text)
}

/// `str::floor_char_boundary` for stable Rust.
trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for String {
    fn floor_char_boundary_compat(&self, index: usize) -> usize {
        (0..=index.min(self.len())).rev().find(|&i| self.is_char_boundary(i)).unwrap_or(0)
    }
}
