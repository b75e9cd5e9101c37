//! Synchronization against recorded Split API responses (`tests/fixtures/sync/`): multi-page
//! since/till for flags and segments, ARCHIVED removal, rule-based segments, segment discovery,
//! exact URLs and headers, failures, the flag filter, the page limit and the Split Proxy fallback.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::json;
use split_edge::http::{HttpOutcome, HttpRequest, Identity, Method, Urls};
use split_edge::sync::{
    FlagFilter, Resource, SpecVersion, Step, SyncConfig, SyncError, Synchronizer, PROXY_RECHECK_MS,
};
use split_edge::{Client, ClientConfig, Key, Manager, Snapshot};

const SDK: &str = "https://sdk.split.io/api";
const PROXY: &str = "https://split-proxy.internal/api";
const NOW: u64 = 1_700_000_000_000;

fn fixtures(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sync")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(fixtures(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Split's API replaying a scenario's recorded responses (`routes.json`: path and query → file),
/// with outcomes overridden per path; any other request fails the test. Logs every request.
struct FakeSplit {
    base: String,
    scenario: String,
    routes: BTreeMap<String, String>,
    overrides: HashMap<String, HttpOutcome>,
    log: Vec<HttpRequest>,
}

impl FakeSplit {
    fn new(scenario: &str, base: &str) -> FakeSplit {
        let routes = serde_json::from_str(&read(&format!("{scenario}/routes.json"))).unwrap();
        FakeSplit {
            base: base.to_owned(),
            scenario: scenario.to_owned(),
            routes,
            overrides: HashMap::new(),
            log: Vec::new(),
        }
    }

    fn set(&mut self, path: &str, outcome: HttpOutcome) {
        self.overrides.insert(path.to_owned(), outcome);
    }

    fn respond(&mut self, request: &HttpRequest) -> HttpOutcome {
        self.log.push(request.clone());
        let path = request.url.strip_prefix(&self.base).unwrap_or_else(|| panic!("wrong base: {}", request.url));
        if let Some(outcome) = self.overrides.get(path) {
            return outcome.clone();
        }
        let file = self.routes.get(path).unwrap_or_else(|| panic!("unexpected request {path}"));
        HttpOutcome::response(200, read(&format!("{}/{file}", self.scenario)))
    }

    /// The logged requests' paths, then clears the log.
    fn take_paths(&mut self) -> Vec<String> {
        let base = self.base.clone();
        self.log.drain(..).map(|r| r.url.strip_prefix(&base).unwrap().to_owned()).collect()
    }
}

fn synchronizer(base: &str, filter: FlagFilter) -> Synchronizer {
    let mut config = SyncConfig::new(Identity::new("sdk-key-1234"));
    config.urls.sdk = base.to_owned();
    config.filter = filter;
    Synchronizer::new(config)
}

fn run(sync: &mut Synchronizer, snapshot: &mut Snapshot, split: &mut FakeSplit, now: u64) -> Result<(), SyncError> {
    sync.run_to_completion(snapshot, now, |r| split.respond(r)).map(|_| ())
}

/// The multi-page scenario's data, loaded from files.
fn final_snapshot() -> Snapshot {
    let mut s = Snapshot::new();
    s.apply_split_changes_json(&read("multipage/final/splitChanges.json")).unwrap();
    for name in ["beta_testers", "blocked_users", "employees", "premium_users"] {
        s.apply_segment_change_json(&read(&format!("multipage/final/segments/{name}.json"))).unwrap();
    }
    s
}

fn segments(s: &Snapshot) -> BTreeMap<String, (Vec<String>, i64)> {
    s.segments()
        .map(|(name, seg)| {
            let mut keys: Vec<String> = seg.keys.iter().cloned().collect();
            keys.sort();
            (name.to_owned(), (keys, seg.change_number))
        })
        .collect()
}

/// Same flags (order and definitions), rule-based segments, segments, change numbers and answers.
fn assert_same_data(a: &Snapshot, b: &Snapshot) {
    assert_eq!(a.flag_names(), b.flag_names());
    assert_eq!(Manager::new(a).splits(), Manager::new(b).splits());
    assert_eq!(a.flags_change_number(), b.flags_change_number());
    assert_eq!(a.rule_based_segments_change_number(), b.rule_based_segments_change_number());
    assert_eq!(a.rule_based_segment_count(), b.rule_based_segment_count());
    assert_eq!(
        a.rule_based_segment("beta_program").map(|r| r.change_number),
        b.rule_based_segment("beta_program").map(|r| r.change_number)
    );
    assert_eq!(segments(a), segments(b));
    assert_eq!(a.referenced_segments(), b.referenced_segments());
    let config = ClientConfig::default();
    let (ca, cb) = (Client::new(a, &config), Client::new(b, &config));
    let keys = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "mallory", "oscar", "trent", "zoe"];
    for key in keys {
        for email in ["x@split.io", "y@example.com", "z@other.org"] {
            let attrs = json!({ "email": email });
            let attrs = attrs.as_object();
            for flag in a.flag_names() {
                let k = Key::new(key);
                assert_eq!(
                    ca.get_treatment(&k, flag, attrs),
                    cb.get_treatment(&k, flag, attrs),
                    "{flag} {key} {email}"
                );
            }
        }
    }
}

fn multipage_synced() -> (Synchronizer, Snapshot, FakeSplit) {
    let mut split = FakeSplit::new("multipage", SDK);
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let mut snapshot = Snapshot::new();
    run(&mut sync, &mut snapshot, &mut split, NOW).unwrap();
    split.take_paths();
    (sync, snapshot, split)
}

#[test]
fn a_multi_page_sync_equals_loading_the_final_data_from_files() {
    let mut split = FakeSplit::new("multipage", SDK);
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let mut snapshot = Snapshot::new();
    let report = sync.run_to_completion(&mut snapshot, NOW, |r| split.respond(r)).unwrap();

    assert_same_data(&snapshot, &final_snapshot());
    assert_eq!(snapshot.flags_change_number(), 2000);
    assert_eq!(snapshot.rule_based_segments_change_number(), 600);
    // ARCHIVED in the second page: removed.
    assert!(snapshot.flag("old_feature").is_none());
    assert!(snapshot.flag("banner").unwrap().killed);

    assert_eq!(
        split.take_paths(),
        [
            "/splitChanges?s=1.3&since=-1&rbSince=-1",
            "/splitChanges?s=1.3&since=1000&rbSince=500",
            "/splitChanges?s=1.3&since=2000&rbSince=600",
            "/segmentChanges/beta_testers?since=-1",
            "/segmentChanges/blocked_users?since=-1",
            "/segmentChanges/employees?since=-1",
            "/segmentChanges/premium_users?since=-1",
            "/segmentChanges/beta_testers?since=30",
            "/segmentChanges/blocked_users?since=40",
            "/segmentChanges/employees?since=10",
            "/segmentChanges/premium_users?since=50",
            "/segmentChanges/employees?since=20",
            "/segmentChanges/premium_users?since=55",
        ]
    );
    // Discovery: IN_SEGMENT of flags (premium_users only appears in the second page) and of the
    // rule-based segment, its `standard` exclusion; not its `large` one.
    assert_eq!(
        sync.registered_segments().collect::<Vec<_>>(),
        ["beta_testers", "blocked_users", "employees", "premium_users"]
    );

    assert_eq!(report.split_changes_requests, 3);
    assert_eq!(report.segment_changes_requests, 10);
    assert_eq!(report.segment_pages_applied, 10);
    assert_eq!(report.failed_requests, 0);
    assert_eq!((report.flags_upserted, report.flags_removed), (6, 1));
    assert_eq!((report.rule_based_segments_upserted, report.rule_based_segments_removed), (2, 0));
    assert_eq!((report.flags_change_number, report.rule_based_segments_change_number), (2000, 600));
    assert_eq!((report.started_ms, report.finished_ms), (NOW, NOW));

    let status = sync.status();
    assert!(!status.running);
    assert_eq!((status.runs_started, status.runs_succeeded, status.runs_failed), (1, 1, 0));
    assert_eq!(status.last_success_ms, Some(NOW));
    assert_eq!(status.last_error, None);
    assert_eq!(status.requests.split_changes, 3);
    assert_eq!(status.requests.segment_changes, 10);
    assert_eq!((status.flags_change_number, status.rule_based_segments_change_number), (2000, 600));
    assert_eq!(status.registered_segments, 4);
    assert_eq!(status.last_report.as_ref(), Some(&report));
}

#[test]
fn every_request_is_a_get_with_the_identity_headers() {
    let mut split = FakeSplit::new("multipage", SDK);
    let mut identity = Identity::new("sdk-key-1234");
    identity.sdk_version = "evaluator-2.9.0".into();
    identity.machine_ip = Some("10.0.0.7".into());
    identity.machine_name = Some("edge-1".into());
    let mut config = SyncConfig::new(identity.clone());
    config.urls = Urls::default();
    let mut sync = Synchronizer::new(config);
    let mut snapshot = Snapshot::new();
    run(&mut sync, &mut snapshot, &mut split, NOW).unwrap();
    assert_eq!(split.log.len(), 13);
    for request in &split.log {
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.body, None);
        assert_eq!(request.headers, identity.headers());
        assert_eq!(request.header("authorization"), Some("Bearer sdk-key-1234"));
        assert_eq!(request.header("SplitSDKMachineName"), Some("edge-1"));
    }
}

#[test]
fn the_next_run_continues_from_the_stored_change_numbers() {
    let (mut sync, mut snapshot, mut split) = multipage_synced();
    run(&mut sync, &mut snapshot, &mut split, NOW + 60_000).unwrap();
    assert_eq!(
        split.take_paths(),
        [
            "/splitChanges?s=1.3&since=2000&rbSince=600",
            "/segmentChanges/beta_testers?since=30",
            "/segmentChanges/blocked_users?since=40",
            "/segmentChanges/employees?since=20",
            "/segmentChanges/premium_users?since=55",
        ]
    );
    assert_same_data(&snapshot, &final_snapshot());
    assert_eq!(sync.status().runs_succeeded, 2);
    assert_eq!(sync.status().last_success_ms, Some(NOW + 60_000));
}

#[test]
fn rb_since_is_omitted_when_zero_and_sent_when_minus_one() {
    let mut snapshot = Snapshot::new();
    snapshot.apply_split_changes_json(r#"{"ff":{"d":[],"s":-1,"t":7},"rbs":{"d":[],"s":-1,"t":0}}"#).unwrap();
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let requests = sync.start(&snapshot, NOW).unwrap();
    assert_eq!(requests[0].url, format!("{SDK}/splitChanges?s=1.3&since=7"));
    sync.abort();
    let requests = sync.start(&Snapshot::new(), NOW).unwrap();
    assert_eq!(requests[0].url, format!("{SDK}/splitChanges?s=1.3&since=-1&rbSince=-1"));
}

#[test]
fn rejected_keys_stop_the_run_with_a_clear_error() {
    for (status, expected) in [
        (401, SyncError::KeyRejected { status: 401, resource: Resource::SplitChanges }),
        (403, SyncError::KeyRejected { status: 403, resource: Resource::SplitChanges }),
        (404, SyncError::NotFound),
        (414, SyncError::TooManySets),
    ] {
        let (mut sync, mut snapshot, mut split) = multipage_synced();
        split.set("/splitChanges?s=1.3&since=2000&rbSince=600", HttpOutcome::response(status, "{}"));
        let error = run(&mut sync, &mut snapshot, &mut split, NOW + 1).unwrap_err();
        assert_eq!(error, expected);
        assert!(error.is_fatal());
        // Stopped: no segment request was made; the data is intact.
        assert_eq!(split.take_paths(), ["/splitChanges?s=1.3&since=2000&rbSince=600"]);
        assert_same_data(&snapshot, &final_snapshot());
        assert_eq!(sync.status().last_error.as_ref(), Some(&expected));
        assert_eq!(sync.status().last_error_ms, Some(NOW + 1));
        assert_eq!(sync.status().last_success_ms, Some(NOW));
    }
    assert!(SyncError::KeyRejected { status: 401, resource: Resource::SplitChanges }
        .to_string()
        .starts_with("the SDK key was rejected (401) on splitChanges"));
    assert!(SyncError::NotFound.to_string().starts_with("Invalid SDK key or resource not found (404)"));
}

#[test]
fn a_403_on_a_segment_means_a_client_side_key_and_stops_the_run() {
    let mut split = FakeSplit::new("multipage", SDK);
    split.set("/segmentChanges/blocked_users?since=-1", HttpOutcome::response(403, ""));
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let mut snapshot = Snapshot::new();
    // Drive by hand: the segment requests go out together.
    let mut to_send = sync.start(&snapshot, NOW).unwrap();
    let mut segment_batch = Vec::new();
    while let Some(request) = to_send.pop() {
        let outcome = split.respond(&request);
        match sync.on_response(&mut snapshot, request.id, outcome, NOW) {
            Step::Send(more) if more.len() > 1 => segment_batch = more,
            Step::Send(more) => to_send.extend(more),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(segment_batch.len(), 4);
    let mut steps = Vec::new();
    for request in &segment_batch {
        let outcome = split.respond(request);
        steps.push(sync.on_response(&mut snapshot, request.id, outcome, NOW));
    }
    // beta_testers is answered first (its next page is requested), blocked_users stops the run,
    // the outcomes still out are ignored.
    assert!(matches!(&steps[0], Step::Send(next) if next.len() == 1));
    let error = SyncError::WrongKeyType { segment: "blocked_users".into() };
    assert!(matches!(&steps[1], Step::Failed { error: e, .. } if *e == error));
    assert_eq!(steps[2], Step::Ignored);
    assert_eq!(steps[3], Step::Ignored);
    assert!(error.is_fatal());
    assert!(error.to_string().contains("client-side type SDK key"));
    assert!(!sync.is_running());
    // What was applied stays.
    assert_eq!(snapshot.flags_change_number(), 2000);
    assert_eq!(snapshot.segment("beta_testers").unwrap().change_number, 30);
}

#[test]
fn server_and_network_failures_keep_the_data_and_the_next_run_retries() {
    for failure in [
        HttpOutcome::response(500, "oops"),
        HttpOutcome::response(429, ""),
        HttpOutcome::response(304, ""),
        HttpOutcome::NetworkError("connection reset".into()),
    ] {
        // A failure in the middle of the flags loop: the first page stays applied.
        let mut split = FakeSplit::new("multipage", SDK);
        split.set("/splitChanges?s=1.3&since=1000&rbSince=500", failure.clone());
        let mut sync = synchronizer(SDK, FlagFilter::none());
        let mut snapshot = Snapshot::new();
        let error = run(&mut sync, &mut snapshot, &mut split, NOW).unwrap_err();
        assert!(!error.is_fatal(), "{error}");
        assert_eq!(error.resource(), Some(Resource::SplitChanges));
        assert_eq!((snapshot.flags_change_number(), snapshot.rule_based_segments_change_number()), (1000, 500));
        assert!(snapshot.flag("old_feature").is_some());
        // The segments the loaded rules reference were still synchronized.
        let paths = split.take_paths();
        assert_eq!(
            &paths[..2],
            ["/splitChanges?s=1.3&since=-1&rbSince=-1", "/splitChanges?s=1.3&since=1000&rbSince=500"]
        );
        assert!(paths.contains(&"/segmentChanges/employees?since=-1".to_owned()));
        assert!(!paths.iter().any(|p| p.contains("premium_users")));
        assert_eq!(sync.status().requests.failed, 1);
        assert_eq!(sync.status().last_report.as_ref().unwrap().failed_requests, 1);

        // The next run retries from where the data is.
        split.overrides.clear();
        run(&mut sync, &mut snapshot, &mut split, NOW + 60_000).unwrap();
        assert_eq!(split.take_paths()[0], "/splitChanges?s=1.3&since=1000&rbSince=500");
        assert_same_data(&snapshot, &final_snapshot());
        let status = sync.status();
        assert_eq!((status.runs_failed, status.runs_succeeded), (1, 1));
        assert_eq!(status.last_error_ms, Some(NOW));
        assert_eq!(status.last_success_ms, Some(NOW + 60_000));
    }
    let error = SyncError::Status { resource: Resource::SegmentChanges("employees".into()), status: 500 };
    assert_eq!(
        error.to_string(),
        "segmentChanges/employees answered HTTP 500; the data loaded so far is kept and the next run retries"
    );
}

#[test]
fn a_failing_segment_fails_the_run_but_the_others_complete() {
    let mut split = FakeSplit::new("multipage", SDK);
    split.set("/segmentChanges/employees?since=10", HttpOutcome::response(503, ""));
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let mut snapshot = Snapshot::new();
    let error = run(&mut sync, &mut snapshot, &mut split, NOW).unwrap_err();
    assert_eq!(error, SyncError::Status { resource: Resource::SegmentChanges("employees".into()), status: 503 });
    assert_eq!(snapshot.segment("employees").unwrap().change_number, 10);
    assert_eq!(snapshot.segment("premium_users").unwrap().change_number, 55);
    split.overrides.clear();
    split.take_paths();
    run(&mut sync, &mut snapshot, &mut split, NOW + 1).unwrap();
    assert!(split.take_paths().contains(&"/segmentChanges/employees?since=10".to_owned()));
    assert_same_data(&snapshot, &final_snapshot());
}

#[test]
fn a_malformed_body_is_rejected_and_changes_nothing() {
    let (mut sync, mut snapshot, mut split) = multipage_synced();
    let bodies = [
        r#"{"ff":{"d":[{"name":"broken","conditions":"not a list"}],"s":2000,"t":3000}}"#,
        r#"{"ff":{"d":[],"s":2000,"t":3000"#,
        "<html>Service Unavailable</html>",
        r#"{"ff":{"d":[],"s":2000}}"#,
    ];
    for body in bodies {
        split.set("/splitChanges?s=1.3&since=2000&rbSince=600", HttpOutcome::response(200, body));
        let error = run(&mut sync, &mut snapshot, &mut split, NOW + 1).unwrap_err();
        assert!(matches!(&error, SyncError::MalformedBody { resource: Resource::SplitChanges, .. }), "{error}");
        assert!(!error.is_fatal());
        assert_same_data(&snapshot, &final_snapshot());
    }
    split.set("/segmentChanges/employees?since=20", HttpOutcome::response(200, r#"{"name":"employees","added":[1]}"#));
    split.overrides.remove("/splitChanges?s=1.3&since=2000&rbSince=600");
    let error = run(&mut sync, &mut snapshot, &mut split, NOW + 2).unwrap_err();
    assert!(
        matches!(&error, SyncError::MalformedBody { resource: Resource::SegmentChanges(n), .. } if n == "employees")
    );
    assert!(error.to_string().starts_with("segmentChanges/employees returned a body that does not parse"));
    assert_same_data(&snapshot, &final_snapshot());
}

#[test]
fn the_flag_filter_is_sent_and_flags_outside_it_are_removed() {
    let filter = FlagFilter::by_sets(&["pricing", "Checkout"]).unwrap();
    let mut split = FakeSplit::new("filter", SDK);
    let mut sync = synchronizer(SDK, filter.clone());
    // Loaded without a filter: fetched again from -1, and what the filter leaves out goes.
    let mut snapshot = final_snapshot();
    run(&mut sync, &mut snapshot, &mut split, NOW).unwrap();
    let paths = split.take_paths();
    assert_eq!(
        &paths[..2],
        [
            "/splitChanges?s=1.3&since=-1&rbSince=-1&sets=checkout,pricing",
            "/splitChanges?s=1.3&since=2000&rbSince=600&sets=checkout,pricing",
        ]
    );
    // `banner` (sets: marketing) was in the response, `rbs_gated` (no sets) was loaded: both out.
    assert_eq!(snapshot.flag_names(), ["checkout_v2", "pricing"]);
    assert_eq!(snapshot.filter(), &filter);
    assert_eq!(snapshot.flag_names_in_set("marketing"), Vec::<&str>::new());
    assert_eq!(snapshot.rule_based_segment_count(), 1);

    // Now the snapshot's filter is the configured one: incremental.
    run(&mut sync, &mut snapshot, &mut split, NOW + 1).unwrap();
    assert_eq!(split.take_paths()[0], "/splitChanges?s=1.3&since=2000&rbSince=600&sets=checkout,pricing");
}

#[test]
fn names_and_prefixes_filter_query() {
    let filter = FlagFilter::by_names_and_prefixes(&["zeta", "alpha beta"], &["exp_", "a/b"]).unwrap();
    let mut sync = synchronizer(SDK, filter.clone());
    let requests = sync.start(&Snapshot::new().with_filter(filter), NOW).unwrap();
    assert_eq!(
        requests[0].url,
        format!("{SDK}/splitChanges?s=1.3&since=-1&rbSince=-1&names=alpha%20beta,zeta&prefixes=a%2Fb,exp_")
    );
}

/// A server whose change numbers never converge.
fn endless(request: &HttpRequest) -> HttpOutcome {
    let since: i64 = request.url.split("since=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    let till = since.max(0) + 1;
    if request.url.contains("/splitChanges") {
        let flag = json!({"name": format!("f{till}"), "status": "ACTIVE", "seed": 1, "defaultTreatment": "off",
            "conditions": [{"matcherGroup": {"combiner": "AND", "matchers": [{"matcherType": "IN_SEGMENT",
            "userDefinedSegmentMatcherData": {"segmentName": "seg"}, "negate": false}]},
            "partitions": [{"treatment": "on", "size": 100}]}]});
        HttpOutcome::response(200, json!({"ff": {"d": [flag], "s": since, "t": till}}).to_string())
    } else {
        HttpOutcome::response(
            200,
            json!({"name": "seg", "added": [format!("k{till}")], "since": since, "till": till}).to_string(),
        )
    }
}

#[test]
fn a_server_that_never_converges_is_bounded_by_the_page_limit() {
    let mut config = SyncConfig::new(Identity::new("k"));
    config.max_pages = 5;
    let mut sync = Synchronizer::new(config);
    let mut snapshot = Snapshot::new();
    let mut requests = 0;
    let error = sync
        .run_to_completion(&mut snapshot, NOW, |r| {
            requests += 1;
            endless(r)
        })
        .unwrap_err();
    assert_eq!(error, SyncError::PageLimit { resource: Resource::SplitChanges, pages: 5 });
    assert!(error.to_string().contains("did not converge"));
    // Five flag pages applied, then the segment's five pages.
    assert_eq!(requests, 10);
    assert_eq!(snapshot.flags_change_number(), 5);
    assert_eq!(snapshot.flag_count(), 5);
    assert_eq!(snapshot.segment("seg").unwrap().change_number, 5);
    // The next run continues from there.
    let error = sync.run_to_completion(&mut snapshot, NOW + 1, endless).unwrap_err();
    assert_eq!(error, SyncError::PageLimit { resource: Resource::SplitChanges, pages: 5 });
    assert_eq!(snapshot.flags_change_number(), 10);

    // The default limit is 100 pages.
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let mut snapshot = Snapshot::new();
    let error = sync.run_to_completion(&mut snapshot, NOW, endless).unwrap_err();
    assert_eq!(error, SyncError::PageLimit { resource: Resource::SplitChanges, pages: 100 });
    assert_eq!(sync.status().requests.split_changes, 100);
    assert_eq!(sync.status().requests.segment_changes, 100);
}

#[test]
fn a_split_proxy_without_spec_1_3_gets_legacy_requests_until_it_recovers() {
    let mut split = FakeSplit::new("legacy", PROXY);
    split.set("/splitChanges?s=1.3&since=-1&rbSince=-1", HttpOutcome::response(400, "unknown spec"));
    let mut sync = synchronizer(PROXY, FlagFilter::none());
    let mut snapshot = Snapshot::new();
    run(&mut sync, &mut snapshot, &mut split, NOW).unwrap();
    assert_eq!(
        split.take_paths(),
        [
            "/splitChanges?s=1.3&since=-1&rbSince=-1",
            "/splitChanges?s=1.2&since=-1",
            "/splitChanges?s=1.2&since=1000",
            "/splitChanges?s=1.2&since=1900",
            "/segmentChanges/employees?since=-1",
            "/segmentChanges/employees?since=10",
        ]
    );
    assert_eq!(sync.spec_version(), SpecVersion::V1_2);
    assert_eq!(snapshot.flag_names(), ["checkout_v2", "banner"]);
    assert!(snapshot.flag("banner").unwrap().killed);
    assert_eq!((snapshot.flags_change_number(), snapshot.rule_based_segments_change_number()), (1900, -1));

    // Within 24 hours: still 1.2.
    run(&mut sync, &mut snapshot, &mut split, NOW + PROXY_RECHECK_MS).unwrap();
    assert_eq!(split.take_paths()[0], "/splitChanges?s=1.2&since=1900");

    // After 24 hours 1.3 is probed again; a 1.3 body means the proxy was upgraded: everything is
    // fetched again from -1 and replaces what was stored.
    let later = NOW + PROXY_RECHECK_MS + 1;
    let body_1_3 = r#"{"ff":{"d":[],"s":1900,"t":1900},"rbs":{"d":[],"s":-1,"t":-1}}"#;
    split.set("/splitChanges?s=1.3&since=1900&rbSince=-1", HttpOutcome::response(200, body_1_3));
    split.set(
        "/splitChanges?s=1.3&since=-1&rbSince=-1",
        HttpOutcome::response(200, read("multipage/final/splitChanges.json")),
    );
    split.set(
        "/splitChanges?s=1.3&since=2000&rbSince=600",
        HttpOutcome::response(200, read("multipage/splitChanges_3.json")),
    );
    for name in ["beta_testers", "blocked_users", "premium_users"] {
        let body = json!({"name": name, "added": [], "removed": [], "since": -1, "till": -1}).to_string();
        split.set(&format!("/segmentChanges/{name}?since=-1"), HttpOutcome::response(200, body));
    }
    run(&mut sync, &mut snapshot, &mut split, later).unwrap();
    assert_eq!(
        split.take_paths(),
        [
            "/splitChanges?s=1.3&since=1900&rbSince=-1",
            "/splitChanges?s=1.3&since=-1&rbSince=-1",
            "/splitChanges?s=1.3&since=2000&rbSince=600",
            "/segmentChanges/beta_testers?since=-1",
            "/segmentChanges/blocked_users?since=-1",
            "/segmentChanges/employees?since=10",
            "/segmentChanges/premium_users?since=-1",
        ]
    );
    assert_eq!(sync.spec_version(), SpecVersion::V1_3);
    assert_eq!(snapshot.flag_names(), final_snapshot().flag_names());
    assert_eq!((snapshot.flags_change_number(), snapshot.rule_based_segments_change_number()), (2000, 600));
}

#[test]
fn the_default_sdk_url_never_falls_back() {
    let mut split = FakeSplit::new("multipage", SDK);
    split.set("/splitChanges?s=1.3&since=-1&rbSince=-1", HttpOutcome::response(400, ""));
    let mut sync = synchronizer(SDK, FlagFilter::none());
    let error = run(&mut sync, &mut Snapshot::new(), &mut split, NOW).unwrap_err();
    assert_eq!(error, SyncError::Status { resource: Resource::SplitChanges, status: 400 });
    assert_eq!(split.take_paths(), ["/splitChanges?s=1.3&since=-1&rbSince=-1"]);
    assert_eq!(sync.spec_version(), SpecVersion::V1_3);
}
