//! The synchronization state machine: which requests a run makes, and what their outcomes do to
//! the snapshot (spec §7.1–7.3).

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::error::{Resource, SyncError};
use super::filter::FlagFilter;
use super::memberships::{memberships_url, ClientSide, Memberships, SyncMode};
use super::status::{RunReport, SyncStatus};
use super::urls::{segment_changes_url, split_changes_url, SpecVersion};
use crate::http::{HttpOutcome, HttpRequest, Identity, Method, RequestId, Urls};
use crate::model::{SegmentChange, SplitChange};
use crate::snapshot::Snapshot;

pub use super::DEFAULT_MAX_PAGES;

/// How long a run may wait for outcomes before `start` abandons it: 5 minutes.
pub const DEFAULT_RUN_TIMEOUT_MS: u64 = 5 * 60 * 1000;

/// After falling back to spec 1.2 for a Split Proxy, how long before 1.3 is tried again (JS,
/// server side: 24 hours).
pub const PROXY_RECHECK_MS: u64 = 24 * 60 * 60 * 1000;

/// What a [`Synchronizer`] needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// Split's API URLs; only `sdk` is used. A non-default `sdk` enables the Split Proxy fallback.
    pub urls: Urls,
    /// The SDK key and metadata headers.
    pub identity: Identity,
    /// Which flags to fetch and keep (`sync.splitFilters`).
    pub filter: FlagFilter,
    /// Pages per change list (flags, each segment) in one run: [`DEFAULT_MAX_PAGES`].
    pub max_pages: u32,
    /// How long a run may wait for outcomes before `start` replaces it: [`DEFAULT_RUN_TIMEOUT_MS`].
    pub run_timeout_ms: u64,
    /// `segmentChanges` per segment (server-side, the default) or `memberships` per key
    /// (client-side, the browser SDK's way).
    pub mode: SyncMode,
}

impl SyncConfig {
    /// Default URLs, no filter, default limits.
    pub fn new(identity: Identity) -> SyncConfig {
        SyncConfig {
            urls: Urls::default(),
            identity,
            filter: FlagFilter::none(),
            max_pages: DEFAULT_MAX_PAGES,
            run_timeout_ms: DEFAULT_RUN_TIMEOUT_MS,
            mode: SyncMode::ServerSide,
        }
    }
}

/// What to do after reporting an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these requests (possibly none, while others are still out) and report each outcome.
    Send(Vec<HttpRequest>),
    /// The run is over and everything was applied.
    Done(RunReport),
    /// The run is over with an error. What was applied before it is kept; outcomes of requests
    /// still out are [`Step::Ignored`].
    Failed {
        /// The first error of the run (or the one that stopped it).
        error: SyncError,
        /// What the run did.
        report: RunReport,
    },
    /// The id is not a request of the current run (an abandoned run's, or reported twice).
    Ignored,
}

/// A request of the current run waiting for its outcome.
#[derive(Debug, Clone)]
enum Pending {
    SplitChanges(SplitRequest),
    Segment { name: String, since: i64 },
    Memberships { key: String },
}

#[derive(Debug, Clone, Copy)]
struct SplitRequest {
    since: i64,
    rb_since: i64,
    spec: SpecVersion,
}

#[derive(Debug)]
struct Run {
    started_ms: u64,
    pending: FxHashMap<RequestId, Pending>,
    flag_pages: u32,
    segment_pages: FxHashMap<String, u32>,
    /// The first retryable error; the run goes on with what it can still do.
    error: Option<SyncError>,
    /// Split Proxy recovery: the next applied body replaces every flag and rule-based segment.
    replace_rules: bool,
    /// Whether the segments (or memberships) part has begun: a key bound now is fetched at once.
    segments_started: bool,
    report: RunReport,
}

/// Synchronizes a [`Snapshot`] with Split's SDK API, sans I/O: it says which requests to make;
/// the host sends them and reports each outcome. See the [module docs](super) for a walkthrough.
#[derive(Debug)]
pub struct Synchronizer {
    config: SyncConfig,
    headers: Vec<(String, String)>,
    filter_query: String,
    spec: SpecVersion,
    /// When the Split Proxy fallback to spec 1.2 was taken (JS `lastProxyCheckTimestamp`).
    proxy_fallback_ms: Option<u64>,
    next_id: u64,
    registered: BTreeSet<String>,
    /// Client-side mode: the bound keys and their memberships.
    members: Option<ClientSide>,
    run: Option<Run>,
    status: SyncStatus,
}

impl Synchronizer {
    /// A synchronizer with this configuration and no run in progress.
    pub fn new(config: SyncConfig) -> Synchronizer {
        let members = match &config.mode {
            SyncMode::ServerSide => None,
            SyncMode::ClientSide { keys } => Some(ClientSide::new(keys.iter().cloned())),
        };
        Synchronizer {
            members,
            headers: config.identity.headers(),
            filter_query: config.filter.query_string(),
            config,
            spec: SpecVersion::V1_3,
            proxy_fallback_ms: None,
            next_id: 1,
            registered: BTreeSet::new(),
            run: None,
            status: SyncStatus::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// Totals and latest state, for a status page.
    pub fn status(&self) -> &SyncStatus {
        &self.status
    }

    /// Whether a run is waiting for outcomes.
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// The flag spec version the next `splitChanges` request uses.
    pub fn spec_version(&self) -> SpecVersion {
        self.spec
    }

    /// The segments registered for synchronization, sorted (never unregistered, as JS).
    pub fn registered_segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.registered.iter().map(String::as_str)
    }

    /// Client-side mode's bound keys and their memberships (`None` in server-side mode).
    pub fn client_side(&self) -> Option<&ClientSide> {
        self.members.as_ref()
    }

    /// Binds another key (client-side mode; `factory.client(otherKey)`) and answers the requests
    /// that fetch its memberships now: none when it was bound already or when the running run
    /// will fetch it after `splitChanges`; with no run going, a run of that one request starts
    /// (its end is [`Step::Done`] or [`Step::Failed`] as for any run).
    ///
    /// # Errors
    /// [`SyncError::NotClientSide`] in server-side mode.
    pub fn add_key(&mut self, key: &str, now_ms: u64) -> Result<Vec<HttpRequest>, SyncError> {
        let members = self.members.as_mut().ok_or(SyncError::NotClientSide)?;
        if !members.add_key(key.to_owned()) {
            return Ok(Vec::new());
        }
        let stale =
            self.run.as_ref().is_some_and(|r| now_ms.saturating_sub(r.started_ms) >= self.config.run_timeout_ms);
        if stale {
            self.abort();
        }
        if let Some(mut run) = self.run.take() {
            let requests = if run.segments_started {
                vec![self.memberships_request(&mut run, key.to_owned())]
            } else {
                Vec::new()
            };
            self.run = Some(run);
            return Ok(requests);
        }
        self.status.runs_started = self.status.runs_started.saturating_add(1);
        self.status.last_run_started_ms = Some(now_ms);
        self.status.running = true;
        let mut run = Run::new(now_ms);
        run.segments_started = true;
        let request = self.memberships_request(&mut run, key.to_owned());
        self.run = Some(run);
        Ok(vec![request])
    }

    /// Unbinds a key (client-side mode), taking it out of the snapshot's segments; false when it
    /// was not bound.
    pub fn remove_key(&mut self, key: &str, snapshot: &mut Snapshot) -> bool {
        self.members.as_mut().is_some_and(|m| m.remove_key(key, snapshot))
    }

    /// Puts in a key's memberships kept from an earlier session (a cache), binding the key
    /// (client-side mode): evaluations use them until Split answers; the key does not count as
    /// fetched. Bind a key with [`Synchronizer::add_key`] first to have it fetched at once (a key
    /// bound here is fetched by the next run).
    ///
    /// # Errors
    /// [`SyncError::NotClientSide`] in server-side mode.
    pub fn restore_memberships(
        &mut self,
        key: &str,
        memberships: Memberships,
        snapshot: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let members = self.members.as_mut().ok_or(SyncError::NotClientSide)?;
        members.apply(key, memberships, snapshot, false);
        Ok(())
    }

    /// Starts a run: the `splitChanges` request from the snapshot's change numbers (from `-1`
    /// when the snapshot was loaded with another flag filter than the configured one).
    ///
    /// A run older than `run_timeout_ms` is abandoned first.
    ///
    /// # Errors
    /// [`SyncError::RunInProgress`] when a younger run is still waiting for outcomes.
    pub fn start(&mut self, snapshot: &Snapshot, now_ms: u64) -> Result<Vec<HttpRequest>, SyncError> {
        if let Some(run) = &self.run {
            if now_ms.saturating_sub(run.started_ms) < self.config.run_timeout_ms {
                return Err(SyncError::RunInProgress { started_ms: run.started_ms });
            }
            self.abort();
        }
        if self.spec == SpecVersion::V1_2
            && self.proxy_fallback_ms.is_some_and(|at| now_ms.saturating_sub(at) > PROXY_RECHECK_MS)
        {
            self.spec = SpecVersion::V1_3;
        }
        let (since, rb_since) = if snapshot.filter() == &self.config.filter {
            (snapshot.flags_change_number(), snapshot.rule_based_segments_change_number())
        } else {
            (-1, -1)
        };
        self.status.runs_started = self.status.runs_started.saturating_add(1);
        self.status.last_run_started_ms = Some(now_ms);
        self.status.running = true;
        self.status.spec_version = self.spec;
        self.note_change_numbers(snapshot);
        let mut run = Run::new(now_ms);
        let request = self.split_changes_request(&mut run, since, rb_since);
        self.run = Some(run);
        Ok(vec![request])
    }

    /// Abandons the current run, if any: outcomes of its requests will be [`Step::Ignored`]. What
    /// it applied is kept. Returns whether there was one.
    pub fn abort(&mut self) -> bool {
        let aborted = self.run.take().is_some();
        if aborted {
            self.status.runs_abandoned = self.status.runs_abandoned.saturating_add(1);
            self.status.running = false;
        }
        aborted
    }

    /// Reports the outcome of request `id`: applies a 2xx body to `snapshot` and says what to
    /// do next. `now_ms` is the current time (only recorded, never compared with the clock).
    pub fn on_response(&mut self, snapshot: &mut Snapshot, id: RequestId, outcome: HttpOutcome, now_ms: u64) -> Step {
        let Some(mut run) = self.run.take() else { return Step::Ignored };
        let Some(pending) = run.pending.remove(&id) else {
            self.run = Some(run);
            return Step::Ignored;
        };
        let mut out = Vec::new();
        let fatal = match pending {
            Pending::SplitChanges(request) => {
                self.on_split_changes(&mut run, snapshot, request, outcome, now_ms, &mut out)
            }
            Pending::Segment { name, since } => {
                self.on_segment_changes(&mut run, snapshot, name, since, outcome, &mut out)
            }
            Pending::Memberships { key } => self.on_memberships(&mut run, snapshot, key, outcome),
        };
        if fatal.is_some() || run.pending.is_empty() {
            let error = fatal.or_else(|| run.error.take());
            return self.finish(run, snapshot, error, now_ms);
        }
        self.run = Some(run);
        Step::Send(out)
    }

    /// Drives a whole run with a blocking `send` (requests one at a time, in order): for hosts
    /// and tests that can wait on each request.
    ///
    /// # Errors
    /// The run's error ([`Step::Failed`]), or [`SyncError::RunInProgress`].
    pub fn run_to_completion<F>(
        &mut self,
        snapshot: &mut Snapshot,
        now_ms: u64,
        mut send: F,
    ) -> Result<RunReport, SyncError>
    where
        F: FnMut(&HttpRequest) -> HttpOutcome,
    {
        let mut queue: std::collections::VecDeque<HttpRequest> = self.start(snapshot, now_ms)?.into();
        while let Some(request) = queue.pop_front() {
            let outcome = send(&request);
            match self.on_response(snapshot, request.id, outcome, now_ms) {
                Step::Send(more) => queue.extend(more),
                Step::Done(report) => return Ok(report),
                Step::Failed { error, .. } => return Err(error),
                Step::Ignored => {}
            }
        }
        // Unreachable: the last outcome of a run always ends it.
        Err(SyncError::RunInProgress { started_ms: now_ms })
    }

    fn on_split_changes(
        &mut self,
        run: &mut Run,
        snapshot: &mut Snapshot,
        request: SplitRequest,
        outcome: HttpOutcome,
        now_ms: u64,
        out: &mut Vec<HttpRequest>,
    ) -> Option<SyncError> {
        let body = match outcome {
            HttpOutcome::Response { status, body } if (200..300).contains(&status) => body,
            failed => {
                self.count_failure(run);
                let no_status_or_400 =
                    matches!(failed, HttpOutcome::NetworkError(_) | HttpOutcome::Response { status: 400, .. });
                if no_status_or_400 && request.spec == SpecVersion::V1_3 && self.sdk_url_overridden() {
                    // JS: a Split Proxy older than spec 1.3; retry now with 1.2 and no rbSince.
                    self.spec = SpecVersion::V1_2;
                    self.status.spec_version = SpecVersion::V1_2;
                    self.proxy_fallback_ms = Some(now_ms);
                    out.push(self.split_changes_request(run, request.since, request.rb_since));
                    return None;
                }
                let error = classify(Resource::SplitChanges, failed);
                if error.is_fatal() {
                    return Some(error);
                }
                run.record(error);
                self.begin_segments(run, snapshot, out);
                return None;
            }
        };
        let change = match SplitChange::from_json(&body) {
            Ok(change) => change,
            Err(error) => {
                self.count_failure(run);
                run.record(SyncError::MalformedBody { resource: Resource::SplitChanges, error });
                self.begin_segments(run, snapshot, out);
                return None;
            }
        };
        if request.spec == SpecVersion::V1_3 && self.proxy_fallback_ms.is_some() && !is_legacy_body(&body) {
            // JS: the proxy serves 1.3 again; fetch everything from -1 and replace what is stored.
            self.proxy_fallback_ms = None;
            run.replace_rules = true;
            out.push(self.split_changes_request(run, -1, -1));
            return None;
        }
        if run.replace_rules {
            run.replace_rules = false;
            snapshot.clear_rules();
        }
        if snapshot.filter() != &self.config.filter {
            snapshot.set_filter(self.config.filter.clone());
        }
        let ff = change.flags.as_ref().map(|c| (c.since, c.till));
        let rbs = change.rule_based_segments.as_ref().map(|c| (c.since, c.till));
        let summary = snapshot.apply_split_changes(change);
        run.flag_pages = run.flag_pages.saturating_add(1);
        let report = &mut run.report;
        report.flags_upserted = report.flags_upserted.saturating_add(summary.flags_upserted);
        report.flags_removed = report.flags_removed.saturating_add(summary.flags_removed);
        report.rule_based_segments_upserted =
            report.rule_based_segments_upserted.saturating_add(summary.rule_based_segments_upserted);
        report.rule_based_segments_removed =
            report.rule_based_segments_removed.saturating_add(summary.rule_based_segments_removed);
        self.note_change_numbers(snapshot);

        // Converged when the server says since == till, or made no progress since the request.
        let converged = ff.is_none_or(|(s, t)| s == t || t == request.since)
            && rbs.is_none_or(|(s, t)| s == t || t == request.rb_since);
        if converged {
            self.begin_segments(run, snapshot, out);
        } else if run.flag_pages >= self.config.max_pages {
            run.record(SyncError::PageLimit { resource: Resource::SplitChanges, pages: run.flag_pages });
            self.begin_segments(run, snapshot, out);
        } else {
            let since = snapshot.flags_change_number();
            let rb_since = snapshot.rule_based_segments_change_number();
            out.push(self.split_changes_request(run, since, rb_since));
        }
        None
    }

    /// After the flags: registers the segments the rules reference and fetches every registered
    /// segment from its change number.
    fn begin_segments(&mut self, run: &mut Run, snapshot: &Snapshot, out: &mut Vec<HttpRequest>) {
        run.segments_started = true;
        if let Some(members) = &self.members {
            let keys: Vec<String> = members.keys().map(str::to_owned).collect();
            out.extend(keys.into_iter().map(|key| self.memberships_request(run, key)));
            return;
        }
        self.registered.extend(snapshot.referenced_segments());
        self.status.registered_segments = self.registered.len();
        let names: Vec<String> = self.registered.iter().cloned().collect();
        for name in names {
            // JS sends `since || -1`: a change number of 0 is fetched as -1.
            let since = snapshot.segment(&name).map_or(-1, |s| s.change_number);
            let since = if since == 0 { -1 } else { since };
            out.push(self.segment_request(run, name, since));
        }
    }

    fn on_segment_changes(
        &mut self,
        run: &mut Run,
        snapshot: &mut Snapshot,
        name: String,
        since: i64,
        outcome: HttpOutcome,
        out: &mut Vec<HttpRequest>,
    ) -> Option<SyncError> {
        let body = match outcome {
            HttpOutcome::Response { status, body } if (200..300).contains(&status) => body,
            failed => {
                self.count_failure(run);
                let error = classify(Resource::SegmentChanges(name), failed);
                if error.is_fatal() {
                    return Some(error);
                }
                run.record(error);
                return None;
            }
        };
        let mut change = match SegmentChange::from_json(&body) {
            Ok(change) => change,
            Err(error) => {
                self.count_failure(run);
                run.record(SyncError::MalformedBody { resource: Resource::SegmentChanges(name), error });
                return None;
            }
        };
        // JS updates the segment it asked for, whatever name the body carries.
        change.name.clone_from(&name);
        let (body_since, till) = (change.since, change.till);
        snapshot.apply_segment_change(change);
        run.report.segment_pages_applied = run.report.segment_pages_applied.saturating_add(1);
        let pages = run.segment_pages.entry(name.clone()).or_insert(0);
        *pages = pages.saturating_add(1);
        let pages = *pages;
        if body_since == Some(till) || till == since {
            return None;
        }
        if pages >= self.config.max_pages {
            run.record(SyncError::PageLimit { resource: Resource::SegmentChanges(name), pages });
            return None;
        }
        out.push(self.segment_request(run, name, till));
        None
    }

    fn on_memberships(
        &mut self,
        run: &mut Run,
        snapshot: &mut Snapshot,
        key: String,
        outcome: HttpOutcome,
    ) -> Option<SyncError> {
        let body = match outcome {
            HttpOutcome::Response { status, body } if (200..300).contains(&status) => body,
            failed => {
                self.count_failure(run);
                let error = classify(Resource::Memberships(key), failed);
                if error.is_fatal() {
                    return Some(error);
                }
                run.record(error);
                return None;
            }
        };
        match Memberships::from_json(&body) {
            Ok(memberships) => {
                // A key unbound while its request was out is not bound again.
                if let Some(members) = self.members.as_mut().filter(|m| m.contains(&key)) {
                    members.apply(&key, memberships, snapshot, true);
                }
                run.report.memberships_applied = run.report.memberships_applied.saturating_add(1);
            }
            Err(error) => {
                self.count_failure(run);
                run.record(SyncError::MalformedMemberships { key, error });
            }
        }
        None
    }

    fn memberships_request(&mut self, run: &mut Run, key: String) -> HttpRequest {
        let url = memberships_url(&self.config.urls.sdk, &key);
        let id = self.next_request_id();
        run.pending.insert(id, Pending::Memberships { key });
        run.report.memberships_requests = run.report.memberships_requests.saturating_add(1);
        self.status.requests.memberships = self.status.requests.memberships.saturating_add(1);
        self.get(id, url)
    }

    fn finish(&mut self, mut run: Run, snapshot: &Snapshot, error: Option<SyncError>, now_ms: u64) -> Step {
        self.note_change_numbers(snapshot);
        run.report.finished_ms = now_ms;
        run.report.flags_change_number = snapshot.flags_change_number();
        run.report.rule_based_segments_change_number = snapshot.rule_based_segments_change_number();
        let report = run.report;
        self.status.running = false;
        self.status.last_report = Some(report.clone());
        match error {
            None => {
                self.status.runs_succeeded = self.status.runs_succeeded.saturating_add(1);
                self.status.last_success_ms = Some(now_ms);
                Step::Done(report)
            }
            Some(error) => {
                self.status.runs_failed = self.status.runs_failed.saturating_add(1);
                self.status.last_error = Some(error.clone());
                self.status.last_error_ms = Some(now_ms);
                Step::Failed { error, report }
            }
        }
    }

    fn split_changes_request(&mut self, run: &mut Run, since: i64, rb_since: i64) -> HttpRequest {
        let url = split_changes_url(&self.config.urls.sdk, self.spec, since, rb_since, &self.filter_query);
        let id = self.next_request_id();
        run.pending.insert(id, Pending::SplitChanges(SplitRequest { since, rb_since, spec: self.spec }));
        run.report.split_changes_requests = run.report.split_changes_requests.saturating_add(1);
        self.status.requests.split_changes = self.status.requests.split_changes.saturating_add(1);
        self.get(id, url)
    }

    fn segment_request(&mut self, run: &mut Run, name: String, since: i64) -> HttpRequest {
        let url = segment_changes_url(&self.config.urls.sdk, &name, since);
        let id = self.next_request_id();
        run.pending.insert(id, Pending::Segment { name, since });
        run.report.segment_changes_requests = run.report.segment_changes_requests.saturating_add(1);
        self.status.requests.segment_changes = self.status.requests.segment_changes.saturating_add(1);
        self.get(id, url)
    }

    fn get(&self, id: RequestId, url: String) -> HttpRequest {
        HttpRequest { id, method: Method::Get, url, headers: self.headers.clone(), body: None }
    }

    fn next_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn count_failure(&mut self, run: &mut Run) {
        run.report.failed_requests = run.report.failed_requests.saturating_add(1);
        self.status.requests.failed = self.status.requests.failed.saturating_add(1);
    }

    fn note_change_numbers(&mut self, snapshot: &Snapshot) {
        self.status.flags_change_number = snapshot.flags_change_number();
        self.status.rule_based_segments_change_number = snapshot.rule_based_segments_change_number();
    }

    fn sdk_url_overridden(&self) -> bool {
        self.config.urls.sdk != Urls::default().sdk
    }
}

impl Run {
    fn new(now_ms: u64) -> Run {
        Run {
            started_ms: now_ms,
            pending: FxHashMap::default(),
            flag_pages: 0,
            segment_pages: FxHashMap::default(),
            error: None,
            replace_rules: false,
            segments_started: false,
            report: RunReport { started_ms: now_ms, ..RunReport::default() },
        }
    }

    /// Keeps the first retryable error of the run.
    fn record(&mut self, error: SyncError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }
}

/// The error for a failed request.
fn classify(resource: Resource, outcome: HttpOutcome) -> SyncError {
    match outcome {
        HttpOutcome::NetworkError(message) => SyncError::Network { resource, message },
        HttpOutcome::Response { status, .. } => match (status, resource) {
            (401, resource) | (403, resource @ Resource::SplitChanges) => SyncError::KeyRejected { status, resource },
            (403, Resource::SegmentChanges(segment)) => SyncError::WrongKeyType { segment },
            (403, resource @ Resource::Memberships(_)) => SyncError::KeyRejected { status, resource },
            (404, Resource::SplitChanges) => SyncError::NotFound,
            (414, Resource::SplitChanges) => SyncError::TooManySets,
            (status, resource) => SyncError::Status { resource, status },
        },
    }
}

/// Whether a `splitChanges` body has the legacy shape (a non-null `splits`), as JS tells them.
fn is_legacy_body(body: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        splits: Option<IgnoredAny>,
    }
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    serde_json::from_str::<Probe>(body).is_ok_and(|p| p.splits.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_000_000;

    fn sync() -> Synchronizer {
        Synchronizer::new(SyncConfig::new(Identity::new("key")))
    }

    fn flag_in_segment(name: &str, segment: &str, status: &str) -> String {
        format!(
            r#"{{"name":"{name}","status":"{status}","seed":1,"defaultTreatment":"off","conditions":[{{"matcherGroup":
            {{"combiner":"AND","matchers":[{{"matcherType":"IN_SEGMENT","negate":false,
            "userDefinedSegmentMatcherData":{{"segmentName":"{segment}"}}}}]}},"partitions":[{{"treatment":"on","size":100}}]}}]}}"#
        )
    }

    fn ok(body: &str) -> HttpOutcome {
        HttpOutcome::response(200, body)
    }

    #[test]
    fn one_run_at_a_time_and_stale_runs_are_replaced() {
        let mut s = sync();
        let snapshot = Snapshot::new();
        let first = s.start(&snapshot, NOW).unwrap();
        assert!(s.is_running() && s.status().running);
        assert_eq!(s.start(&snapshot, NOW + 1), Err(SyncError::RunInProgress { started_ms: NOW }));
        // Past the run timeout, `start` abandons the old run; its outcome is then ignored.
        let second = s.start(&snapshot, NOW + DEFAULT_RUN_TIMEOUT_MS).unwrap();
        assert_ne!(first[0].id, second[0].id);
        assert_eq!(s.status().runs_abandoned, 1);
        let mut snapshot = Snapshot::new();
        let body = r#"{"ff":{"d":[],"s":-1,"t":3}}"#;
        assert_eq!(s.on_response(&mut snapshot, first[0].id, ok(body), NOW), Step::Ignored);
        assert_eq!(snapshot.flags_change_number(), -1);
        assert!(matches!(s.on_response(&mut snapshot, second[0].id, ok(body), NOW), Step::Send(r) if r.len() == 1));
        assert!(s.abort());
        assert!(!s.abort());
        assert!(!s.is_running());
        assert_eq!(s.status().runs_abandoned, 2);
        assert_eq!(s.on_response(&mut snapshot, RequestId(999), ok(body), NOW), Step::Ignored);
        assert_eq!(s.status().runs_started, 2);
    }

    #[test]
    fn a_run_without_segments_ends_with_the_flags() {
        let mut s = sync();
        let mut snapshot = Snapshot::new();
        let req = s.start(&snapshot, NOW).unwrap();
        let step = s.on_response(&mut snapshot, req[0].id, ok(r#"{"ff":{"d":[],"s":-1,"t":-1}}"#), NOW + 5);
        let Step::Done(report) = step else { panic!("{step:?}") };
        assert_eq!((report.started_ms, report.finished_ms, report.split_changes_requests), (NOW, NOW + 5, 1));
        assert_eq!(s.status().last_success_ms, Some(NOW + 5));
        // Reported twice: ignored.
        assert_eq!(s.on_response(&mut snapshot, req[0].id, ok("{}"), NOW), Step::Ignored);
    }

    #[test]
    fn segments_stay_registered_and_change_number_zero_is_fetched_as_minus_one() {
        let mut s = sync();
        let mut snapshot = Snapshot::new();
        let body = format!(r#"{{"ff":{{"d":[{}],"s":-1,"t":1}}}}"#, flag_in_segment("f", "seg", "ACTIVE"));
        let segment = r#"{"name":"seg","added":["a"],"removed":[],"since":-1,"till":0}"#;
        s.run_to_completion(
            &mut snapshot,
            NOW,
            |r| if r.url.contains("splitChanges") { ok(&body) } else { ok(segment) },
        )
        .unwrap();
        assert_eq!(snapshot.segment("seg").map(|s| s.change_number), Some(0));

        // The flag is archived; the segment is still synchronized, from -1 as JS `since || -1`.
        let archived = format!(r#"{{"ff":{{"d":[{}],"s":1,"t":2}}}}"#, flag_in_segment("f", "seg", "ARCHIVED"));
        let mut urls = Vec::new();
        s.run_to_completion(&mut snapshot, NOW, |r| {
            urls.push(r.url.clone());
            if r.url.contains("since=1") {
                ok(&archived)
            } else if r.url.contains("splitChanges") {
                ok(r#"{"ff":{"d":[],"s":2,"t":2}}"#)
            } else {
                ok(r#"{"name":"seg","added":[],"removed":[],"since":-1,"till":-1}"#)
            }
        })
        .unwrap();
        assert!(snapshot.flag("f").is_none());
        assert_eq!(urls.last().map(String::as_str), Some("https://sdk.split.io/api/segmentChanges/seg?since=-1"));
        assert_eq!(s.registered_segments().collect::<Vec<_>>(), ["seg"]);
    }

    #[test]
    fn a_segment_body_is_applied_to_the_segment_requested() {
        let mut s = sync();
        let mut snapshot = Snapshot::new();
        let body = format!(r#"{{"ff":{{"d":[{}],"s":-1,"t":1}}}}"#, flag_in_segment("f", "wanted", "ACTIVE"));
        s.run_to_completion(&mut snapshot, NOW, |r| {
            if r.url.contains("splitChanges") {
                ok(&body)
            } else {
                ok(r#"{"name":"other","added":["k"],"since":-1,"till":4}"#)
            }
        })
        .unwrap();
        assert!(snapshot.in_segment("wanted", "k"));
        assert!(snapshot.segment("other").is_none());
    }

    #[test]
    fn a_segment_body_without_since_stops_when_no_progress_is_made() {
        let mut s = sync();
        let mut snapshot = Snapshot::new();
        let body = format!(r#"{{"ff":{{"d":[{}],"s":-1,"t":1}}}}"#, flag_in_segment("f", "seg", "ACTIVE"));
        let mut requests = 0;
        s.run_to_completion(&mut snapshot, NOW, |r| {
            requests += 1;
            if r.url.contains("splitChanges") {
                ok(&body)
            } else {
                ok(r#"{"name":"seg","added":["k"],"till":4}"#)
            }
        })
        .unwrap();
        // Flags: since=-1 → till 1, since=1 → till 1 (the same body: no progress). The segment:
        // since=-1 → till 4 (no `since` in the body: not converged), since=4 → till 4: done.
        assert_eq!(requests, 4);
    }

    #[test]
    fn a_401_on_a_segment_rejects_the_key() {
        let mut s = sync();
        let mut snapshot = Snapshot::new();
        let body = format!(r#"{{"ff":{{"d":[{}],"s":-1,"t":1}}}}"#, flag_in_segment("f", "seg", "ACTIVE"));
        let error = s
            .run_to_completion(&mut snapshot, NOW, |r| {
                if r.url.contains("splitChanges") {
                    ok(&body)
                } else {
                    HttpOutcome::response(401, "")
                }
            })
            .unwrap_err();
        assert_eq!(error, SyncError::KeyRejected { status: 401, resource: Resource::SegmentChanges("seg".into()) });
        // 404 on a segment is not fatal.
        let error = s
            .run_to_completion(&mut snapshot, NOW, |r| {
                if r.url.contains("splitChanges") {
                    ok(r#"{"ff":{"d":[],"s":1,"t":1}}"#)
                } else {
                    HttpOutcome::response(404, "")
                }
            })
            .unwrap_err();
        assert_eq!(error, SyncError::Status { resource: Resource::SegmentChanges("seg".into()), status: 404 });
        assert!(!error.is_fatal());
    }

    #[test]
    fn a_proxy_network_error_falls_back_once_per_request() {
        let mut config = SyncConfig::new(Identity::new("key"));
        config.urls.sdk = "http://proxy:3000/api".into();
        let mut s = Synchronizer::new(config);
        let mut snapshot = Snapshot::new();
        let mut urls = Vec::new();
        let error = s
            .run_to_completion(&mut snapshot, NOW, |r| {
                urls.push(r.url.clone());
                HttpOutcome::NetworkError("refused".into())
            })
            .unwrap_err();
        assert_eq!(
            urls,
            [
                "http://proxy:3000/api/splitChanges?s=1.3&since=-1&rbSince=-1",
                "http://proxy:3000/api/splitChanges?s=1.2&since=-1"
            ]
        );
        assert_eq!(error, SyncError::Network { resource: Resource::SplitChanges, message: "refused".into() });
        assert_eq!(s.status().spec_version, SpecVersion::V1_2);
        assert_eq!(s.status().requests.failed, 2);
    }

    #[test]
    fn legacy_detection() {
        assert!(is_legacy_body(r#"{"splits":[],"since":1,"till":1}"#));
        assert!(is_legacy_body("\u{feff}{\"splits\":[]}"));
        assert!(!is_legacy_body(r#"{"splits":null,"ff":{"d":[],"s":1,"t":1}}"#));
        assert!(!is_legacy_body(r#"{"ff":{"d":[],"s":1,"t":1}}"#));
        assert!(!is_legacy_body("not json"));
    }
}
