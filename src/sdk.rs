//! [`SplitEdge`]: everything a host runs, in one sans-I/O object.
//!
//! It holds the rollout data ([`Snapshot`]), the client configuration, the [`Recorder`]
//! (impressions, counts, unique keys, events, listener) and the [`Synchronizer`] (Split's SDK
//! API). Evaluations through it record impressions as Split's SDK does; `track` queues events.
//! Requests to Split come out as [`HttpRequest`]s in one id space, whichever part made them:
//! the host sends them and reports every outcome to [`SplitEdge::on_outcome`], which routes it
//! and returns follow-up requests. Time is always passed in (`now_ms`, milliseconds since the
//! epoch); nothing here reads a clock.
//!
//! ```
//! use split_edge::{sdk::{SplitEdge, SplitEdgeConfig}, EvaluationOptions, Key};
//!
//! let mut edge = SplitEdge::new(SplitEdgeConfig::new("SDK_KEY"))?;
//! edge.snapshot_mut().apply_split_changes_json(r#"{"ff":{"d":[],"s":-1,"t":5}}"#)?;
//! let now = 1_700_000_000_000;
//! let r = edge.get_treatment(now, &Key::new("user-1"), "missing_flag", None, &EvaluationOptions::default());
//! assert_eq!(r.treatment, "control");
//! edge.track(now, &Key::new("user-1"), "user", "checkout", Some(42.0), None).unwrap();
//! let requests = edge.flush(now); // the host POSTs these with fetch and reports back
//! assert_eq!(requests.len(), 1);
//! assert!(requests[0].url.ends_with("/events/bulk"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde_json::Value;
use std::collections::VecDeque;

use crate::client::{Client, ClientConfig, EvaluationOptions, Evaluations, TreatmentResult};
use crate::eval::{AttributeView, Attributes};
use crate::events::{self, TrackRejected, TrackWarning};
use crate::http::{HttpOutcome, HttpRequest, Identity, RequestId, Urls};
use crate::impressions::ImpressionRef;
use crate::key::Key;
use crate::manager::Manager;
use crate::recorder::{ConfigError, DeliveryReport, Recorder, RecorderConfig, RecorderStats};
use crate::snapshot::Snapshot;
use crate::sync::{FlagFilter, SyncError, SyncMode, SyncStatus};
#[cfg(feature = "sync")]
use crate::sync::{Step, SyncConfig, Synchronizer};
use crate::validate::ValidKey;

/// How a [`SplitEdge`] is set up.
#[derive(Debug, Clone)]
pub struct SplitEdgeConfig {
    /// The SDK key and the metadata headers sent to Split.
    pub identity: Identity,
    /// Split's API base URLs.
    pub urls: Urls,
    /// Fallback treatments (the flag-set filter is taken from [`SplitEdgeConfig::filter`]).
    pub client: ClientConfig,
    /// Impression mode, queue sizes, rates and delivery bounds.
    pub recorder: RecorderConfig,
    /// Which flags synchronization keeps (`bySet`, or names and prefixes).
    pub filter: FlagFilter,
    /// The most pages synchronization fetches per change list in one run.
    pub max_sync_pages: u32,
    /// Segments by `segmentChanges` (server-side, the default) or by `memberships` of bound keys
    /// (client-side, as the browser SDK).
    pub sync_mode: SyncMode,
}

impl SplitEdgeConfig {
    /// Defaults for an SDK key: Split's URLs, OPTIMIZED impressions, the JS SDK's queue sizes
    /// and rates, no filter, no fallbacks.
    pub fn new(sdk_key: impl Into<String>) -> SplitEdgeConfig {
        SplitEdgeConfig {
            identity: Identity::new(sdk_key),
            urls: Urls::default(),
            client: ClientConfig::default(),
            recorder: RecorderConfig::default(),
            filter: FlagFilter::none(),
            max_sync_pages: crate::sync::DEFAULT_MAX_PAGES,
            sync_mode: SyncMode::ServerSide,
        }
    }
}

/// Which part made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Recorder(RequestId),
    #[cfg(feature = "sync")]
    Sync(RequestId),
}

/// What reporting an outcome led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A post of impressions, counts, unique keys, events or listener data was settled.
    Delivery(DeliveryReport),
    /// Synchronization goes on: send these requests too.
    Sync(Vec<HttpRequest>),
    /// A synchronization run ended (successfully or not; see [`SyncStatus`]).
    SyncFinished(Result<(), SyncError>),
    /// The id is unknown, or its run was abandoned.
    Ignored,
}

/// Everything a host runs: data, evaluation with impressions, events, delivery, synchronization.
#[derive(Debug)]
pub struct SplitEdge {
    snapshot: Snapshot,
    client: ClientConfig,
    recorder: Recorder,
    #[cfg(feature = "sync")]
    synchronizer: Synchronizer,
    /// Without the `sync` feature: the configured flag filter, and a status of no runs.
    #[cfg(not(feature = "sync"))]
    filter: FlagFilter,
    #[cfg(not(feature = "sync"))]
    status: SyncStatus,
    /// Which part made each request still awaiting its outcome, oldest first (bounded by
    /// [`MAX_ROUTES`]). Ids are handed out in increasing order, so this is sorted by id.
    routes: VecDeque<(RequestId, Part)>,
    next_id: u64,
    /// Within [`SplitEdge::without_recording`]: nothing is queued.
    probing: bool,
}

/// How many requests awaiting an outcome are remembered. Past it the oldest are forgotten (their
/// outcomes are then ignored): a host that never reports cannot grow memory without bound, and
/// the recorder still takes such posts as failed after its in-flight timeout.
pub const MAX_ROUTES: usize = 4096;

/// Why a [`SplitEdge`] could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupError {
    /// The recorder configuration is invalid.
    Recorder(ConfigError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Recorder(e) => write!(f, "invalid recorder configuration: {e}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl SplitEdge {
    /// Sets up with empty data (answers are `control` / `not ready` until data is loaded).
    ///
    /// # Errors
    /// [`SetupError`] when the recorder configuration is invalid.
    pub fn new(config: SplitEdgeConfig) -> Result<SplitEdge, SetupError> {
        SplitEdge::with_snapshot(config, Snapshot::new())
    }

    /// Sets up with data already loaded (its flag filter is replaced by the configured one).
    ///
    /// # Errors
    /// [`SetupError`] when the recorder configuration is invalid.
    pub fn with_snapshot(config: SplitEdgeConfig, mut snapshot: Snapshot) -> Result<SplitEdge, SetupError> {
        let recorder = Recorder::new(config.recorder, config.urls.clone(), config.identity.clone())
            .map_err(SetupError::Recorder)?;
        let mut client = config.client;
        client.flag_set_filter = config.filter.sets().to_vec();
        snapshot.set_filter(config.filter.clone());
        #[cfg(feature = "sync")]
        let synchronizer = {
            let mut sync = SyncConfig::new(config.identity);
            sync.urls = config.urls;
            sync.filter = config.filter;
            sync.max_pages = config.max_sync_pages;
            sync.mode = config.sync_mode;
            Synchronizer::new(sync)
        };
        Ok(SplitEdge {
            snapshot,
            client,
            recorder,
            #[cfg(feature = "sync")]
            synchronizer,
            #[cfg(not(feature = "sync"))]
            filter: config.filter,
            #[cfg(not(feature = "sync"))]
            status: SyncStatus::default(),
            routes: VecDeque::new(),
            next_id: 1,
            probing: false,
        })
    }

    /// Runs `f` with nothing recorded: evaluations and `track` answer as usual, and no
    /// impression, count, unique key or event is queued. For a host that evaluates once to learn
    /// what to look up before it answers (remote large segments:
    /// [`Snapshot::take_large_misses`]).
    pub fn without_recording<T>(&mut self, f: impl FnOnce(&mut SplitEdge) -> T) -> T {
        let was = std::mem::replace(&mut self.probing, true);
        let out = f(self);
        self.probing = was;
        out
    }

    // ----- data ----------------------------------------------------------------------------

    /// The rollout data.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The rollout data, to apply `splitChanges` / `segmentChanges` bodies pushed in.
    pub fn snapshot_mut(&mut self) -> &mut Snapshot {
        &mut self.snapshot
    }

    /// Replaces the rollout data wholesale (keeping the configured flag filter).
    pub fn replace_snapshot(&mut self, mut snapshot: Snapshot) {
        snapshot.set_filter(self.filter().clone());
        self.snapshot = snapshot;
    }

    /// The configured flag filter.
    fn filter(&self) -> &FlagFilter {
        #[cfg(feature = "sync")]
        return &self.synchronizer.config().filter;
        #[cfg(not(feature = "sync"))]
        return &self.filter;
    }

    /// A client over the current data (evaluations through it record no impressions).
    pub fn client(&self) -> Client<'_> {
        Client::new(&self.snapshot, &self.client)
    }

    /// The manager views of the current data.
    pub fn manager(&self) -> Manager<'_> {
        Manager::new(&self.snapshot)
    }

    // ----- evaluation with impressions ---------------------------------------------------------

    /// `getTreatment` / `getTreatmentWithConfig`, recording the impression.
    pub fn get_treatment(
        &mut self,
        now_ms: u64,
        key: &Key,
        flag: &str,
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> TreatmentResult<'_> {
        let (result, valid) =
            Client::new(&self.snapshot, &self.client).evaluate_validated(key, flag, attributes, options);
        if let Some((k, name)) = valid {
            if !self.probing {
                record(&mut self.recorder, now_ms, &k, [(name, &result)], impression_properties(options));
            }
        }
        result
    }

    /// [`SplitEdge::get_treatment`] of a key validated beforehand ([`crate::validate::key_parts`]: a
    /// host that has the key's parts as strings need not build a [`Key`]).
    pub fn get_treatment_for_key(
        &mut self,
        now_ms: u64,
        key: &ValidKey<'_>,
        flag: &str,
        attributes: Option<AttributeView<'_>>,
        options: &EvaluationOptions,
    ) -> TreatmentResult<'_> {
        let (result, name) = Client::new(&self.snapshot, &self.client).evaluate_for_key(key, flag, attributes, options);
        if let Some(name) = name {
            if !self.probing {
                record(&mut self.recorder, now_ms, key, [(name, &result)], impression_properties(options));
            }
        }
        result
    }

    /// `getTreatments` / `getTreatmentsWithConfig`, recording the impressions.
    pub fn get_treatments<S: AsRef<str>>(
        &mut self,
        now_ms: u64,
        key: &Key,
        flags: &[S],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Evaluations<'_> {
        let (results, valid) =
            Client::new(&self.snapshot, &self.client).evaluate_flags_validated(key, flags, attributes, options);
        if !self.probing {
            record_all(&mut self.recorder, now_ms, valid, &results, options);
        }
        results
    }

    /// `getTreatmentsByFlagSets` and the with-config variant, recording the impressions.
    pub fn get_treatments_by_flag_sets<S: AsRef<str>>(
        &mut self,
        now_ms: u64,
        key: &Key,
        sets: &[S],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Evaluations<'_> {
        let (results, valid) =
            Client::new(&self.snapshot, &self.client).evaluate_flag_sets_validated(key, sets, attributes, options);
        if !self.probing {
            record_all(&mut self.recorder, now_ms, valid, &results, options);
        }
        results
    }

    /// split-evaluator's `get-all-treatments`: for each `(key, traffic type)`, every flag of that
    /// traffic type, recording the impressions.
    pub fn get_all_treatments(
        &mut self,
        now_ms: u64,
        keys: &[(Key, String)],
        attributes: Option<&Attributes>,
        options: &EvaluationOptions,
    ) -> Vec<(String, Evaluations<'_>)> {
        let all =
            Client::new(&self.snapshot, &self.client).evaluate_by_traffic_types_validated(keys, attributes, options);
        all.into_iter()
            .map(|(traffic_type, results, valid)| {
                if !self.probing {
                    record_all(&mut self.recorder, now_ms, valid, &results, options);
                }
                (traffic_type, results)
            })
            .collect()
    }

    /// [`SplitEdge::get_treatment`] with inputs as a JavaScript caller or HTTP request gives them.
    pub fn get_treatment_json(
        &mut self,
        now_ms: u64,
        key: Option<&Value>,
        flag: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> TreatmentResult<'_> {
        let (result, valid) =
            Client::new(&self.snapshot, &self.client).evaluate_json_validated(key, flag, attributes, options);
        if let Some((k, name)) = valid {
            if !self.probing {
                record(&mut self.recorder, now_ms, &k, [(name, &result)], impression_properties(options));
            }
        }
        result
    }

    /// [`SplitEdge::get_treatments`] with untyped inputs.
    pub fn get_treatments_json(
        &mut self,
        now_ms: u64,
        key: Option<&Value>,
        flags: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> Evaluations<'_> {
        let (results, valid) =
            Client::new(&self.snapshot, &self.client).evaluate_flags_json_validated(key, flags, attributes, options);
        if !self.probing {
            record_all(&mut self.recorder, now_ms, valid, &results, options);
        }
        results
    }

    /// [`SplitEdge::get_treatments_by_flag_sets`] with untyped inputs.
    pub fn get_treatments_by_flag_sets_json(
        &mut self,
        now_ms: u64,
        key: Option<&Value>,
        sets: Option<&Value>,
        attributes: Option<&Value>,
        options: &EvaluationOptions,
    ) -> Evaluations<'_> {
        let (results, valid) =
            Client::new(&self.snapshot, &self.client).evaluate_flag_sets_json_validated(key, sets, attributes, options);
        if !self.probing {
            record_all(&mut self.recorder, now_ms, valid, &results, options);
        }
        results
    }

    /// [`SplitEdge::get_treatments`] of a validated key and of flag names validated beforehand
    /// ([`crate::validate::unique_flag_names`]; bulk evaluation, [`crate::bulk`], validates
    /// them once for every key): the same evaluation and impressions, one result per name in
    /// `names` order.
    pub fn get_treatments_valid<S: AsRef<str>>(
        &mut self,
        now_ms: u64,
        key: &ValidKey<'_>,
        names: &[S],
        attributes: Option<AttributeView<'_>>,
        options: &EvaluationOptions,
    ) -> Vec<TreatmentResult<'_>> {
        let results = Client::new(&self.snapshot, &self.client).evaluate_valid_names(key, names, attributes, options);
        if !self.probing {
            let named = names.iter().map(AsRef::as_ref).zip(results.iter());
            record(&mut self.recorder, now_ms, key, named, impression_properties(options));
        }
        results
    }

    // ----- events --------------------------------------------------------------------------------

    /// `track`: validates and queues an event. A traffic type that no loaded flag has is a
    /// warning only, as in the SDK.
    ///
    /// # Errors
    /// [`TrackRejected`] with every validation error, in parameter order.
    pub fn track(
        &mut self,
        now_ms: u64,
        key: &Key,
        traffic_type: &str,
        event_type: &str,
        value: Option<f64>,
        properties: Option<&Attributes>,
    ) -> Result<Vec<TrackWarning>, TrackRejected> {
        let tracked = events::track(key, traffic_type, event_type, value, properties, now_ms)?;
        Ok(self.queue_event(tracked, now_ms))
    }

    /// [`SplitEdge::track`] with untyped inputs (`value` may be a numeric string, as in a query).
    ///
    /// # Errors
    /// [`TrackRejected`] with every validation error, in parameter order.
    pub fn track_json(
        &mut self,
        now_ms: u64,
        key: Option<&Value>,
        traffic_type: Option<&Value>,
        event_type: Option<&Value>,
        value: Option<&Value>,
        properties: Option<&Value>,
    ) -> Result<Vec<TrackWarning>, TrackRejected> {
        let tracked = events::track_json(key, traffic_type, event_type, value, properties, now_ms)?;
        Ok(self.queue_event(tracked, now_ms))
    }

    fn queue_event(&mut self, tracked: events::TrackedEvent, now_ms: u64) -> Vec<TrackWarning> {
        let mut warnings = tracked.warnings;
        if self.client().is_ready() {
            warnings.extend(events::traffic_type_warning(&self.snapshot, &tracked.event.traffic_type_name));
        }
        if !self.probing {
            self.recorder.record_event(tracked.event, tracked.size, now_ms);
        }
        warnings
    }

    // ----- delivery and synchronization --------------------------------------------------------

    /// Posts that are due now (size triggers, periods, retries after backoff).
    pub fn poll(&mut self, now_ms: u64) -> Vec<HttpRequest> {
        let requests = self.recorder.poll(now_ms);
        self.route(requests, Part::Recorder)
    }

    /// Every queued post now (on destroy, or a host's scheduled run).
    pub fn flush(&mut self, now_ms: u64) -> Vec<HttpRequest> {
        let requests = self.recorder.flush(now_ms);
        self.route(requests, Part::Recorder)
    }

    /// When [`SplitEdge::poll`] has something to do next, if anything is queued.
    pub fn next_due(&self) -> Option<u64> {
        self.recorder.next_due()
    }

    /// Starts a synchronization run with Split's SDK API (feature `sync`).
    ///
    /// # Errors
    /// [`SyncError::RunInProgress`] when a run is still open.
    #[cfg(feature = "sync")]
    pub fn start_sync(&mut self, now_ms: u64) -> Result<Vec<HttpRequest>, SyncError> {
        let requests = self.synchronizer.start(&self.snapshot, now_ms)?;
        Ok(self.route(requests, Part::Sync))
    }

    /// Binds another key in client-side mode and answers the requests that fetch its memberships
    /// now ([`Synchronizer::add_key`]; feature `sync`).
    ///
    /// # Errors
    /// [`SyncError::NotClientSide`] in server-side mode.
    #[cfg(feature = "sync")]
    pub fn add_sync_key(&mut self, key: &str, now_ms: u64) -> Result<Vec<HttpRequest>, SyncError> {
        let requests = self.synchronizer.add_key(key, now_ms)?;
        Ok(self.route(requests, Part::Sync))
    }

    /// Unbinds a key in client-side mode ([`Synchronizer::remove_key`]); false when not bound.
    #[cfg(feature = "sync")]
    pub fn remove_sync_key(&mut self, key: &str) -> bool {
        self.synchronizer.remove_key(key, &mut self.snapshot)
    }

    /// Puts in a key's cached memberships ([`Synchronizer::restore_memberships`]).
    ///
    /// # Errors
    /// [`SyncError::NotClientSide`] in server-side mode.
    #[cfg(feature = "sync")]
    pub fn restore_memberships(
        &mut self,
        key: &str,
        memberships: crate::sync::memberships::Memberships,
    ) -> Result<(), SyncError> {
        self.synchronizer.restore_memberships(key, memberships, &mut self.snapshot)
    }

    /// Client-side mode's bound keys and their memberships (`None` in server-side mode).
    #[cfg(feature = "sync")]
    pub fn client_side(&self) -> Option<&crate::sync::memberships::ClientSide> {
        self.synchronizer.client_side()
    }

    /// Reports the outcome of a request this object handed out.
    pub fn on_outcome(&mut self, id: RequestId, outcome: HttpOutcome, now_ms: u64) -> Progress {
        let route = self.routes.binary_search_by_key(&id, |(i, _)| *i).ok().and_then(|at| self.routes.remove(at));
        match route.map(|(_, part)| part) {
            None => Progress::Ignored,
            Some(Part::Recorder(inner)) => {
                let mut report = self.recorder.on_outcome(inner, outcome, now_ms);
                report.id = id;
                Progress::Delivery(report)
            }
            #[cfg(feature = "sync")]
            Some(Part::Sync(inner)) => {
                match self.synchronizer.on_response(&mut self.snapshot, inner, outcome, now_ms) {
                    Step::Send(requests) => Progress::Sync(self.route(requests, Part::Sync)),
                    Step::Done(_) => Progress::SyncFinished(Ok(())),
                    Step::Failed { error, .. } => Progress::SyncFinished(Err(error)),
                    Step::Ignored => Progress::Ignored,
                }
            }
        }
    }

    /// Turns the recorder's handoff mode on or off ([`Recorder::set_handoff`]): impressions and
    /// events are kept raw for [`SplitEdge::take_handoff`] instead of being posted from here.
    pub fn set_handoff(&mut self, on: bool) {
        self.recorder.set_handoff(on);
    }

    /// The records kept in handoff mode since the last take ([`Recorder::take_handoff`]).
    pub fn take_handoff(&mut self) -> crate::recorder::handoff::Handoff {
        self.recorder.take_handoff()
    }

    /// Whether handoff mode holds records not taken yet ([`Recorder::has_handoff`]).
    #[must_use]
    pub fn has_handoff(&self) -> bool {
        self.recorder.has_handoff()
    }

    /// Puts taken records back after a failed delivery ([`Recorder::keep_handoff`]).
    pub fn keep_handoff(&mut self, records: crate::recorder::handoff::Handoff) {
        self.recorder.keep_handoff(records);
    }

    /// Records what a producer handed off ([`Recorder::absorb`]); answers the events dropped.
    pub fn absorb(&mut self, handoff: crate::recorder::handoff::Handoff, now_ms: u64) -> usize {
        self.recorder.absorb(handoff, now_ms)
    }

    /// Turns the in-process impression capture on or off ([`Recorder::set_capture`]): for hosts
    /// that hand every impression to a listener callback.
    pub fn set_capture_impressions(&mut self, on: bool) {
        self.recorder.set_capture(on);
    }

    /// The impressions recorded since the last call, when capture is on
    /// ([`Recorder::take_captured`]).
    pub fn take_captured_impressions(&mut self) -> Vec<crate::impressions::Impression> {
        self.recorder.take_captured()
    }

    /// Counters of the recorder (sent, retried, dropped, queued, per kind).
    pub fn recorder_stats(&self) -> RecorderStats {
        self.recorder.stats()
    }

    /// Synchronization status (last success, last error, change numbers); without the `sync`
    /// feature, that of no run.
    pub fn sync_status(&self) -> &SyncStatus {
        #[cfg(feature = "sync")]
        return self.synchronizer.status();
        #[cfg(not(feature = "sync"))]
        return &self.status;
    }

    /// Gives each request an id of this object's id space and remembers which part made it.
    fn route(&mut self, requests: Vec<HttpRequest>, part: fn(RequestId) -> Part) -> Vec<HttpRequest> {
        requests
            .into_iter()
            .map(|mut r| {
                let id = RequestId(self.next_id);
                self.next_id = self.next_id.wrapping_add(1);
                self.routes.push_back((id, part(r.id)));
                if self.routes.len() > MAX_ROUTES {
                    self.routes.pop_front();
                }
                r.id = id;
                r
            })
            .collect()
    }
}

/// The impression `properties` of a call's options (validated; JSON text when non-empty).
fn impression_properties(options: &EvaluationOptions) -> Option<String> {
    options.properties.as_ref().and_then(|p| events::evaluation_properties(Some(p)).json)
}

/// Records the impressions of a multi-flag call whose key validated.
fn record_all(
    recorder: &mut Recorder,
    now_ms: u64,
    key: Option<ValidKey<'_>>,
    results: &Evaluations<'_>,
    options: &EvaluationOptions,
) {
    if let Some(k) = key {
        let named = results.iter().map(|(n, r)| (n.as_str(), r));
        record(recorder, now_ms, &k, named, impression_properties(options));
    }
}

/// Records the impressions of one call: one per evaluated flag whose answer the SDK queues,
/// borrowed (the recorder copies only what it queues).
fn record<'r, 's: 'r>(
    recorder: &mut Recorder,
    now_ms: u64,
    key: &ValidKey<'_>,
    results: impl IntoIterator<Item = (&'r str, &'r TreatmentResult<'s>)>,
    properties: Option<String>,
) {
    let batch = results.into_iter().filter(|(_, r)| r.records_impression()).map(|(name, r)| {
        let impression = ImpressionRef {
            feature: name,
            key_name: &key.matching,
            treatment: &r.treatment,
            time: now_ms,
            bucketing_key: key.bucketing.as_deref(),
            label: r.label.as_deref().unwrap_or_default(),
            change_number: r.change_number,
            properties: properties.as_deref(),
        };
        (impression, r.impressions_disabled)
    });
    recorder.record_call(batch, now_ms);
}
