//! The recorder: a sans-I/O state machine that queues impressions, impression counts, unique
//! keys, events and listener impressions, and hands out the posts that deliver them.
//!
//! No clocks, threads or network: every call takes the current time as `now_ms`, posts come out
//! as [`HttpRequest`]s, and the host reports each one's [`HttpOutcome`] back with
//! [`Recorder::on_outcome`]. A host drives it like this:
//!
//! ```
//! use split_edge::http::{HttpOutcome, Identity, Urls};
//! use split_edge::impressions::Impression;
//! use split_edge::recorder::{Recorder, RecorderConfig};
//!
//! let mut rec = Recorder::new(RecorderConfig::default(), Urls::default(), Identity::new("sdk-key"))?;
//! let imp = Impression { feature: "f".into(), key_name: "k".into(), treatment: "on".into(),
//!     time: 1_000, label: "default rule".into(), change_number: Some(7), ..Impression::default() };
//! rec.record_impressions(vec![(imp, false)], 1_000);
//! assert!(rec.poll(1_000).is_empty());              // nothing due yet
//! assert_eq!(rec.next_due(), Some(301_000));         // the impressions period (300 s)
//! for req in rec.poll(301_000) {                     // the host sends each request...
//!     let report = rec.on_outcome(req.id, HttpOutcome::response(200, ""), 301_050); // ...and reports
//!     assert_eq!(report.items, 1);
//! }
//! assert_eq!(rec.stats().impressions.sent, 1);
//! # Ok::<(), split_edge::recorder::ConfigError>(())
//! ```
//!
//! # What is recorded (as the JS SDK)
//!
//! [`Recorder::record_impressions`] runs each impression through the strategy of its mode
//! ([`crate::impressions::Strategy`]: OPTIMIZED de-duplicates per hour and counts repeats, DEBUG
//! sends all with `pt`, NONE and disabled impressions only count and track unique keys) and, when
//! an impression listener is configured, queues every impression for it regardless of mode or
//! de-duplication. [`Recorder::record_event`] queues a validated event
//! ([`crate::events::track`]).
//!
//! # When posts are due (JS schedules)
//!
//! Each kind has a period, started at the first call that passes a time: impressions 300 s
//! (60 s in DEBUG), events 60 s, impression counts 30 min, unique keys 15 min, listener 15 s. A
//! kind whose period elapsed posts what it collected (nothing if it collected nothing) and its
//! next deadline is one period after that `poll`. A kind is also posted early when its queue
//! reaches a size: 30,000 impressions (after the call that reached it, as JS), 500 events or
//! more than 5 MiB of estimated event sizes, 30,000 new unique keys, 30,000 count rows, or an
//! estimated body of `max_batch_bytes` (5 MiB) for any kind; these early posts do not move the
//! period, except the listener's (500 impressions), which restarts it as split-evaluator does.
//! [`Recorder::next_due`] tells the host when to call [`Recorder::poll`] next;
//! [`Recorder::flush`] hands out everything at once (for destroy and cron runs).
//!
//! # Delivery guarantees
//!
//! These are split-edge's, stronger than the JS SDK's (which retries impressions and counts once
//! and drops events and unique keys on the first failure):
//!
//! 1. **Retries.** A post that fails with a network error, a 5xx, a 408 or a 429 keeps its data
//!    and is posted again after an exponential backoff: `backoff_base_ms` (5 s) after the first
//!    failure, doubling at each further failure up to `backoff_max_ms` (5 min). A batch is posted
//!    at most `max_attempts` times (10, the first post included); after its last failed attempt
//!    it is dropped and its items are counted in `dropped.attempts_exhausted`. A retry resends the
//!    same body (with a new request id). `flush` also resends batches waiting for their backoff.
//! 2. **Rejections.** Any other non-2xx response (a 4xx other than 408 and 429, or a 1xx/3xx) is
//!    not retried: the batch is dropped, its items are counted in `dropped.rejected`, and the
//!    [`DeliveryReport`] carries the status and the full response body
//!    ([`DeliveryResult::Rejected`]).
//! 3. **A hard memory bound.** Per kind, the data retained — collected items not yet batched
//!    (measured by an estimate of their serialized size) plus every batch body waiting, retrying
//!    or in flight (measured exactly, plus [`BATCH_OVERHEAD_BYTES`] = 96 bytes of bookkeeping each) — never exceeds
//!    `max_retained_bytes` (10 MiB) after any call returns. When it would, whole batches are
//!    dropped **oldest first** and their items counted in `dropped.bounds_exceeded`; a batch in
//!    flight is not recalled, but its retained copy is released (if its post then fails, its items
//!    are counted as dropped for bounds, as it can no longer be retried). If the collected data
//!    alone still exceeds the bound, it is sealed into a batch and dropped the same way. The
//!    collected queues are themselves bounded by their size triggers and `max_batch_bytes`, so
//!    memory stays bounded even if the host never calls `poll`: data then accumulates as batches
//!    until the bound drops the oldest. The de-duplication observer is bounded separately by
//!    `dedup_cache_size` entries: 32 bytes each plus a table of 8-byte slots at most twice that
//!    number rounded up to a power of two (24 MiB when full at the default 500,000).
//! 4. **Nothing is dropped silently.** Every item that leaves the recorder without a 2xx is
//!    counted in [`KindStats::dropped`] under one reason, and [`KindStats::last_error`] keeps the
//!    last failure (with a response body cut to 1 KiB).
//! 5. **Lost outcomes.** A post whose outcome the host never reports is taken as a network error
//!    ([`DeliveryError::TimedOut`]) by the first `poll` or `flush` at or after
//!    `in_flight_timeout_ms` (5 min) past its hand-out, and retried or dropped under rule 1; an
//!    outcome reported afterwards for that id is answered [`DeliveryResult::Unknown`] and ignored.
//!    So delivery is at-least-once: a post that did arrive but was reported late (or not at all)
//!    may be delivered twice. `next_due` includes these timeouts.
//! 6. **Concurrency.** At most `max_in_flight` posts (1) per kind are handed out at a time by
//!    `poll`; `flush` hands out every batch not already in flight.
//!
//! Request ids increase from 1, and requests come out in a fixed order (impressions, events,
//! counts, unique keys, listener; oldest batch first), so runs are deterministic.

use std::mem;

use crate::events::Event;
use crate::http::{HttpOutcome, HttpRequest, Identity, RequestId, Urls};
use crate::impressions::{
    Impression, ImpressionCounts, ImpressionObserver, ImpressionRef, ImpressionsMode, Strategy, UniqueKeys,
};
use crate::wire;

mod config;
pub mod handoff;
mod lane;
mod stats;

pub use config::{
    ConfigError, ListenerConfig, RecorderConfig, DEFAULT_DEBUG_IMPRESSIONS_REFRESH_RATE_MS,
    DEFAULT_IMPRESSIONS_REFRESH_RATE_MS, MAX_DEDUP_CACHE_SIZE,
};
pub use stats::{
    DeliveryError, DeliveryReport, DeliveryResult, DropCounts, DropReason, KindStats, LastError, RecordKind,
    RecorderStats,
};

use lane::{Lane, Policy};

/// The most impressions [`Recorder::take_captured`] holds between two takes.
pub const MAX_CAPTURED: usize = 10_000;

/// Bytes charged per batch on top of its body (its bookkeeping) when measuring retained data.
pub const BATCH_OVERHEAD_BYTES: usize = 96;

/// Items collected for one kind, not yet serialized, with their estimated body size.
#[derive(Debug, Clone, Default)]
struct Collected<T> {
    items: Vec<T>,
    bytes: usize,
}

impl<T> Collected<T> {
    fn push(&mut self, item: T, bytes: usize) {
        self.items.push(item);
        self.bytes = self.bytes.saturating_add(bytes);
    }

    fn take(&mut self) -> Vec<T> {
        self.bytes = 0;
        mem::take(&mut self.items)
    }
}

/// A sealed post body taken out of a recorder ([`Recorder::take_unsent`]) or put back into one
/// ([`Recorder::restore`]): a host that hands undelivered posts to another recorder (the
/// Worker's queue consumer re-queues them) keeps them byte for byte, with the attempts made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBatch {
    /// What the body carries (its URL and headers follow from it).
    pub kind: RecordKind,
    /// The JSON body, as posted.
    pub body: String,
    /// How many items it carries (impressions, events, count rows, keys).
    pub items: u64,
    /// How many times it was posted without success; the recorder's `max_attempts` counts them.
    pub attempts: u32,
}

/// The recorder. See the module documentation for its schedule and delivery guarantees.
#[derive(Debug, Clone)]
pub struct Recorder {
    config: RecorderConfig,
    urls: Urls,
    identity: Identity,
    policy: Policy,
    strategy: Strategy,
    counts: ImpressionCounts,
    unique_keys: UniqueKeys,
    /// Impressions to send, serialized as they are recorded.
    impressions: wire::ImpressionsBody,
    events: Collected<Event>,
    /// The events' JS size estimates (for the 5 MiB trigger).
    events_js_size: usize,
    listener: Collected<Impression>,
    /// Indexed by [`RecordKind::index`].
    lanes: [Lane; 5],
    next_id: u64,
    started: bool,
    deduplicated: u64,
    /// Impressions kept for an in-process listener, when capturing (see [`Recorder::set_capture`]).
    captured: Option<Vec<Impression>>,
    /// In handoff mode, the raw records and their estimated bytes (see [`Recorder::set_handoff`]).
    handoff: Option<(handoff::Handoff, usize)>,
}

impl Recorder {
    /// A recorder with `config` (checked by [`RecorderConfig::validate`]), posting to `urls` as
    /// `identity`.
    pub fn new(config: RecorderConfig, urls: Urls, identity: Identity) -> Result<Recorder, ConfigError> {
        config.validate()?;
        let labels_enabled = config.labels_enabled;
        if urls.events.trim().is_empty() {
            return Err(ConfigError::EmptyUrl { field: "events" });
        }
        if urls.telemetry.trim().is_empty() {
            return Err(ConfigError::EmptyUrl { field: "telemetry" });
        }
        let policy = Policy {
            max_attempts: config.max_attempts,
            backoff_base_ms: config.backoff_base_ms,
            backoff_max_ms: config.backoff_max_ms,
            max_in_flight: config.max_in_flight,
            in_flight_timeout_ms: config.in_flight_timeout_ms,
        };
        let listener_rate = config.listener.as_ref().map_or(u64::MAX, |l| l.send_rate_ms);
        let lanes = [
            Lane::new(RecordKind::Impressions, config.impressions_refresh_rate_ms()),
            Lane::new(RecordKind::ImpressionCounts, config.counts_refresh_rate_ms),
            Lane::new(RecordKind::UniqueKeys, config.unique_keys_refresh_rate_ms),
            Lane::new(RecordKind::Events, config.events_push_rate_ms),
            Lane::new(RecordKind::Listener, listener_rate),
        ];
        let strategy = Strategy::new(config.impressions_mode, ImpressionObserver::new(config.dedup_cache_size));
        Ok(Recorder {
            config,
            urls,
            identity,
            policy,
            strategy,
            counts: ImpressionCounts::new(),
            unique_keys: UniqueKeys::new(),
            impressions: wire::ImpressionsBody::new(labels_enabled),
            events: Collected::default(),
            events_js_size: 0,
            listener: Collected::default(),
            lanes,
            next_id: 0,
            started: false,
            deduplicated: 0,
            captured: None,
            handoff: None,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &RecorderConfig {
        &self.config
    }

    /// The impressions mode.
    #[must_use]
    pub fn mode(&self) -> ImpressionsMode {
        self.config.impressions_mode
    }

    fn lane(&mut self, kind: RecordKind) -> Option<&mut Lane> {
        self.lanes.get_mut(kind.index())
    }

    /// Starts every period at the first time seen.
    fn start(&mut self, now: u64) {
        if !self.started {
            self.started = true;
            for lane in &mut self.lanes {
                lane.timer.start(now);
            }
        }
    }

    /// How many items of `kind` are collected and their estimated bytes.
    fn collected(&self, kind: RecordKind) -> (u64, usize) {
        let (n, bytes) = match kind {
            RecordKind::Impressions => (self.impressions.len(), self.impressions.byte_len()),
            RecordKind::ImpressionCounts => (self.counts.len(), self.counts.estimated_bytes()),
            RecordKind::UniqueKeys => (self.unique_keys.len(), self.unique_keys.estimated_bytes()),
            RecordKind::Events => (self.events.items.len(), self.events.bytes),
            RecordKind::Listener => (self.listener.items.len(), self.listener.bytes),
        };
        (n as u64, bytes)
    }

    // ----- recording ------------------------------------------------------------------------

    /// Records the impressions of one client call at `now_ms`: each `(impression, disabled)` goes
    /// through the mode's strategy (or NONE when disabled), and to the listener queue when one is
    /// configured. Posts that become due are handed out by the next [`Recorder::poll`].
    pub fn record_impressions(&mut self, batch: Vec<(Impression, bool)>, now_ms: u64) {
        self.record_call(batch.iter().map(|(imp, disabled)| (imp.as_ref(), *disabled)), now_ms);
    }

    /// [`Recorder::record_impressions`] on borrowed impressions: only those that are queued (or
    /// go to the listener) are copied, so an OPTIMIZED repeat allocates nothing.
    pub fn record_call<'a>(&mut self, batch: impl IntoIterator<Item = (ImpressionRef<'a>, bool)>, now_ms: u64) {
        if self.handoff.is_some() {
            for (imp, disabled) in batch {
                let bytes = imp.estimated_json_len();
                self.hand_off(RecordKind::Impressions, bytes, |h| {
                    h.impressions.push((imp.to_impression(None), disabled))
                });
            }
            return;
        }
        let was_empty = self.begin_call(now_ms);
        for (imp, disabled) in batch {
            self.record_one(&imp, disabled, now_ms);
        }
        self.end_impressions_call(was_empty, now_ms);
    }

    /// Turns handoff mode on or off. In handoff mode the recorder de-duplicates, counts and posts
    /// nothing: every impression (with whether it was disabled) and every event is kept raw for
    /// [`Recorder::take_handoff`], for a host that delivers elsewhere (the Worker's queue, whose
    /// consumer [`Recorder::absorb`]s them). What is kept is bounded by `max_retained_bytes`
    /// (estimated): records past it are dropped and counted as `bounds_exceeded` of their kind.
    /// Turning it off discards what was kept.
    pub fn set_handoff(&mut self, on: bool) {
        self.handoff = on.then(|| (handoff::Handoff::default(), 0));
    }

    /// Whether the recorder is in handoff mode.
    #[must_use]
    pub fn is_handoff(&self) -> bool {
        self.handoff.is_some()
    }

    /// Takes the records kept in handoff mode since the last take (empty when it is off).
    pub fn take_handoff(&mut self) -> handoff::Handoff {
        self.handoff
            .as_mut()
            .map(|(h, bytes)| {
                *bytes = 0;
                h.take()
            })
            .unwrap_or_default()
    }

    /// Whether handoff mode holds records not taken yet.
    #[must_use]
    pub fn has_handoff(&self) -> bool {
        self.handoff.as_ref().is_some_and(|(h, _)| !h.is_empty())
    }

    /// Puts records taken by [`Recorder::take_handoff`] back (their delivery failed), after
    /// those kept since, within the same bound: records past it, or all of them when handoff
    /// mode is off, are dropped and counted.
    pub fn keep_handoff(&mut self, records: handoff::Handoff) {
        for (imp, disabled) in records.impressions {
            let bytes = imp.estimated_json_len();
            self.hand_off(RecordKind::Impressions, bytes, |h| h.impressions.push((imp, disabled)));
        }
        for (event, size) in records.events {
            let bytes = event.estimated_json_len();
            self.hand_off(RecordKind::Events, bytes, |h| h.events.push((event, size)));
        }
    }

    fn count_dropped(&mut self, kind: RecordKind, items: u64) {
        if let Some(lane) = self.lane(kind) {
            lane.count_dropped(items);
        }
    }

    /// Keeps one record in handoff mode; `false` (and counted as dropped) past the bound.
    fn hand_off(&mut self, kind: RecordKind, bytes: usize, keep: impl FnOnce(&mut handoff::Handoff)) -> bool {
        let max = self.config.max_retained_bytes;
        let Some((h, held)) = self.handoff.as_mut().filter(|(_, held)| held.saturating_add(bytes) <= max) else {
            self.count_dropped(kind, 1);
            return false;
        };
        *held = held.saturating_add(bytes);
        keep(h);
        true
    }

    /// Records one impression: [`Recorder::record_impressions`] for a call that evaluated one
    /// flag, without building a list.
    pub fn record_impression(&mut self, impression: Impression, disabled: bool, now_ms: u64) {
        self.record_call([(impression.as_ref(), disabled)], now_ms);
    }

    /// Records what a producer collected in a [`handoff::Handoff`] at `now_ms`: its impressions
    /// as one call (through this recorder's mode, with this recorder's de-duplication and
    /// counts, their own times kept), then its events. Answers how many events were dropped for
    /// being over `max_retained_bytes` alone (counted, as [`Recorder::record_event`] does).
    pub fn absorb(&mut self, handoff: handoff::Handoff, now_ms: u64) -> usize {
        if !handoff.impressions.is_empty() {
            self.record_call(handoff.impressions.iter().map(|(imp, disabled)| (imp.as_ref(), *disabled)), now_ms);
        }
        let mut dropped: usize = 0;
        for (event, size) in handoff.events {
            if !self.record_event(event, size, now_ms) {
                dropped = dropped.saturating_add(1);
            }
        }
        dropped
    }

    /// Turns the in-process capture on or off. While on, every recorded impression (whatever
    /// the mode, de-duplicated or disabled, with its `pt`) is also kept for
    /// [`Recorder::take_captured`]: a host with an impression listener callback (the JS SDK's
    /// `impressionListener`) takes them after each call. Turning it off discards what was kept.
    pub fn set_capture(&mut self, on: bool) {
        self.captured = on.then(Vec::new);
    }

    /// The impressions captured since the last call (empty when capture is off). A host takes
    /// them after every evaluation call; a host that does not loses those past
    /// [`MAX_CAPTURED`] rather than growing without bound.
    pub fn take_captured(&mut self) -> Vec<Impression> {
        self.captured.as_mut().map(mem::take).unwrap_or_default()
    }

    /// Starts the periods on the first call and notes which kinds had nothing collected.
    fn begin_call(&mut self, now: u64) -> [bool; 5] {
        self.start(now);
        self.empty_flags()
    }

    fn end_impressions_call(&mut self, was_empty: [bool; 5], now: u64) {
        // JS checks the impressions queue once per call, after queuing the call's impressions.
        if self.impressions.len() >= self.config.impressions_queue_size
            || self.impressions.byte_len() >= self.config.max_batch_bytes
        {
            self.seal(RecordKind::Impressions, now);
        }
        for kind in
            [RecordKind::Impressions, RecordKind::ImpressionCounts, RecordKind::UniqueKeys, RecordKind::Listener]
        {
            self.enforce_bound(kind, now);
        }
        self.catch_up(was_empty, now);
    }

    fn record_one(&mut self, imp: &ImpressionRef<'_>, disabled: bool, now: u64) {
        let decision = self.strategy.decide(imp, disabled, now, &mut self.counts, &mut self.unique_keys);
        if !decision.send && !disabled && self.config.impressions_mode == ImpressionsMode::Optimized {
            self.deduplicated = self.deduplicated.saturating_add(1);
        }
        if self.counts.len() >= self.config.counts_queue_size
            || self.counts.estimated_bytes() >= self.config.max_batch_bytes
        {
            self.seal(RecordKind::ImpressionCounts, now);
        }
        if self.unique_keys.len() >= self.config.unique_keys_queue_size
            || self.unique_keys.estimated_bytes() >= self.config.max_batch_bytes
        {
            self.seal(RecordKind::UniqueKeys, now);
        }
        if let Some(captured) = self.captured.as_mut().filter(|c| c.len() < MAX_CAPTURED) {
            captured.push(imp.to_impression(decision.pt));
        }
        if let Some(per_post) = self.config.listener.as_ref().map(|l| l.per_post) {
            self.collect_listener(imp.to_impression(decision.pt), per_post, now);
        }
        if decision.send {
            if !self.impressions.is_empty()
                && self.impressions.byte_len().saturating_add(imp.estimated_json_len()) > self.config.max_batch_bytes
            {
                self.seal(RecordKind::Impressions, now);
            }
            self.impressions.push(imp, decision.pt);
        }
    }

    fn collect_listener(&mut self, imp: Impression, per_post: usize, now: u64) {
        let bytes = imp.estimated_json_len();
        if !self.listener.items.is_empty() && self.listener.bytes.saturating_add(bytes) > self.config.max_batch_bytes {
            self.seal(RecordKind::Listener, now);
        }
        self.listener.push(imp, bytes);
        if self.listener.items.len() >= per_post {
            // split-evaluator posts at once and restarts its period.
            self.seal(RecordKind::Listener, now);
            if let Some(lane) = self.lane(RecordKind::Listener) {
                lane.timer.reset(now);
            }
        }
    }

    /// Queues an event validated by [`crate::events::track`] at `now_ms`; `size` is its JS size
    /// estimate ([`crate::events::TrackedEvent::size`]). Returns `false` only when the event alone
    /// is larger than `max_retained_bytes` and is dropped (and counted) at once.
    pub fn record_event(&mut self, event: Event, size: usize, now_ms: u64) -> bool {
        if self.handoff.is_some() {
            let bytes = event.estimated_json_len();
            return self.hand_off(RecordKind::Events, bytes, |h| h.events.push((event, size)));
        }
        let was_empty = self.begin_call(now_ms);
        let bytes = event.estimated_json_len();
        if bytes > self.config.max_retained_bytes {
            self.count_dropped(RecordKind::Events, 1);
            return false;
        }
        if !self.events.items.is_empty() && self.events.bytes.saturating_add(bytes) > self.config.max_batch_bytes {
            self.seal(RecordKind::Events, now_ms);
        }
        self.events.push(event, bytes);
        self.events_js_size = self.events_js_size.saturating_add(size);
        if self.events.items.len() >= self.config.events_queue_size
            || self.events_js_size > self.config.events_queue_bytes
            || self.events.bytes >= self.config.max_batch_bytes
        {
            self.seal(RecordKind::Events, now_ms);
        }
        self.enforce_bound(RecordKind::Events, now_ms);
        self.catch_up(was_empty, now_ms);
        true
    }

    fn empty_flags(&self) -> [bool; 5] {
        let mut flags = [false; 5];
        for kind in RecordKind::ALL {
            if let Some(f) = flags.get_mut(kind.index()) {
                *f = self.collected(kind).0 == 0;
            }
        }
        flags
    }

    /// A kind that starts collecting after an idle spell waits for its next tick, not a stale one.
    fn catch_up(&mut self, was_empty: [bool; 5], now: u64) {
        for kind in RecordKind::ALL {
            let empty_before = was_empty.get(kind.index()).copied().unwrap_or(false);
            if empty_before && self.collected(kind).0 > 0 {
                if let Some(lane) = self.lane(kind) {
                    lane.timer.catch_up(now);
                }
            }
        }
    }

    // ----- batching and bounds ----------------------------------------------------------------

    /// Serializes what `kind` collected into batches, due at once.
    fn seal(&mut self, kind: RecordKind, now: u64) {
        let batches: Vec<(String, u64)> = match kind {
            RecordKind::Impressions => {
                if self.impressions.is_empty() {
                    return;
                }
                let n = self.impressions.len() as u64;
                vec![(self.impressions.finish(), n)]
            }
            RecordKind::ImpressionCounts => {
                let rows = self.counts.take();
                if rows.is_empty() {
                    return;
                }
                vec![(wire::impression_counts_body(&rows), rows.len() as u64)]
            }
            RecordKind::UniqueKeys => {
                let keys = self.unique_keys.take();
                if keys.is_empty() {
                    return;
                }
                let n = keys.iter().map(|f| f.keys.len() as u64).sum();
                vec![(wire::unique_keys_body(&keys), n)]
            }
            RecordKind::Events => {
                self.events_js_size = 0;
                let items = self.events.take();
                if items.is_empty() {
                    return;
                }
                vec![(wire::events_body(&items), items.len() as u64)]
            }
            RecordKind::Listener => {
                let per_post = self.config.listener.as_ref().map_or(500, |l| l.per_post).max(1);
                let items = self.listener.take();
                items.chunks(per_post).map(|c| (wire::listener_body(c), c.len() as u64)).collect()
            }
        };
        if let Some(lane) = self.lane(kind) {
            for (body, n) in batches {
                lane.push(body, n, now);
            }
        }
    }

    /// Drops the oldest data of `kind` until what it retains fits `max_retained_bytes`.
    fn enforce_bound(&mut self, kind: RecordKind, now: u64) {
        let max = self.config.max_retained_bytes;
        // Each round frees a batch or seals the collected data, so this ends; the cap is a guard.
        for _ in 0..1_000_000 {
            let (_, collected) = self.collected(kind);
            let Some(lane) = self.lanes.get_mut(kind.index()) else { return };
            if lane.retained().saturating_add(collected) <= max {
                return;
            }
            if lane.drop_oldest() {
                continue;
            }
            if collected == 0 {
                return;
            }
            self.seal(kind, now);
        }
    }

    // ----- delivery ---------------------------------------------------------------------------

    fn request(&self, kind: RecordKind, id: RequestId, body: String) -> HttpRequest {
        match kind {
            RecordKind::Impressions => {
                wire::impressions_request(id, &self.urls, &self.identity, self.config.impressions_mode, body)
            }
            RecordKind::ImpressionCounts => wire::impression_counts_request(id, &self.urls, &self.identity, body),
            RecordKind::UniqueKeys => wire::unique_keys_request(id, &self.urls, &self.identity, body),
            RecordKind::Events => wire::events_request(id, &self.urls, &self.identity, body),
            RecordKind::Listener => {
                wire::listener_request(id, self.config.listener.as_ref().map_or("", |l| l.url.as_str()), body)
            }
        }
    }

    fn hand_out(&mut self, now: u64, all: bool) -> Vec<HttpRequest> {
        let mut out = Vec::new();
        for kind in RecordKind::ALL {
            let policy = self.policy;
            let mut next_id = self.next_id;
            let ready = match self.lanes.get_mut(kind.index()) {
                Some(lane) => lane.take_ready(now, &policy, all, &mut next_id),
                None => Vec::new(),
            };
            self.next_id = next_id;
            for r in ready {
                out.push(self.request(kind, r.id, r.body));
            }
        }
        out
    }

    fn expire(&mut self, now: u64) {
        let policy = self.policy;
        for lane in &mut self.lanes {
            lane.expire(now, &policy);
        }
    }

    /// The posts due at `now_ms`: kinds whose period elapsed (what they collected), batches sealed
    /// by a size trigger, and retries whose backoff elapsed, within `max_in_flight` per kind.
    /// Posts in flight past `in_flight_timeout_ms` are first handled as network errors.
    pub fn poll(&mut self, now_ms: u64) -> Vec<HttpRequest> {
        self.start(now_ms);
        self.expire(now_ms);
        for kind in RecordKind::ALL {
            let due = self.lanes.get(kind.index()).is_some_and(|l| l.timer.is_due(now_ms));
            if due {
                self.seal(kind, now_ms);
                self.enforce_bound(kind, now_ms);
                if let Some(lane) = self.lane(kind) {
                    lane.timer.reset(now_ms);
                }
            }
        }
        self.hand_out(now_ms, false)
    }

    /// Everything now, for destroy and cron runs: all collected data is sealed and every batch not
    /// in flight is handed out, whatever its backoff and the in-flight limit. Periods are not
    /// moved.
    pub fn flush(&mut self, now_ms: u64) -> Vec<HttpRequest> {
        self.start(now_ms);
        self.expire(now_ms);
        for kind in RecordKind::ALL {
            self.seal(kind, now_ms);
            self.enforce_bound(kind, now_ms);
        }
        self.hand_out(now_ms, true)
    }

    /// Takes every sealed batch that is not in flight out of the recorder (after a
    /// [`Recorder::flush`] whose posts failed: those waiting for a retry), oldest first per kind,
    /// so that the host can deliver them elsewhere. Collected data not sealed yet stays.
    pub fn take_unsent(&mut self) -> Vec<SealedBatch> {
        let mut out = Vec::new();
        for lane in &mut self.lanes {
            let kind = lane.kind;
            out.extend(lane.take_waiting().into_iter().map(|(body, items, attempts)| SealedBatch {
                kind,
                body,
                items,
                attempts,
            }));
        }
        out
    }

    /// Puts a batch taken by [`Recorder::take_unsent`] (of this or another recorder with the
    /// same settings) into its kind's queue at `now_ms`, due at once; its attempts count toward
    /// `max_attempts`, and the memory bound applies (oldest batches dropped first).
    pub fn restore(&mut self, batch: SealedBatch, now_ms: u64) {
        self.start(now_ms);
        let kind = batch.kind;
        if let Some(lane) = self.lane(kind) {
            lane.push_attempted(batch.body, batch.items, batch.attempts, now_ms);
        }
        self.enforce_bound(kind, now_ms);
    }

    /// Applies the outcome of request `id` at `now_ms`: delivered, retried later, or dropped (see
    /// the delivery guarantees).
    pub fn on_outcome(&mut self, id: RequestId, outcome: HttpOutcome, now_ms: u64) -> DeliveryReport {
        let policy = self.policy;
        match self.lanes.iter_mut().find(|l| l.owns(id)) {
            Some(lane) => lane.on_outcome(id, outcome, now_ms, &policy),
            None => DeliveryReport { id, kind: None, items: 0, result: DeliveryResult::Unknown },
        }
    }

    /// When the host should call [`Recorder::poll`] next: the earliest period end of a kind that
    /// collected something, backoff end of a batch that can be posted, or in-flight timeout.
    /// A batch sealed by a size trigger is due at the time it was sealed. `None`: nothing to do
    /// until something is recorded.
    #[must_use]
    pub fn next_due(&self) -> Option<u64> {
        let policy = self.policy;
        RecordKind::ALL
            .iter()
            .filter_map(|&kind| {
                let lane = self.lanes.get(kind.index())?;
                let period = if self.collected(kind).0 > 0 { lane.timer.deadline } else { None };
                match (period, lane.next_due(&policy)) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            })
            .min()
    }

    /// Every kind's figures.
    #[must_use]
    pub fn stats(&self) -> RecorderStats {
        let mut stats = RecorderStats { deduplicated: self.deduplicated, ..RecorderStats::default() };
        for kind in RecordKind::ALL {
            if let Some(lane) = self.lanes.get(kind.index()) {
                let (n, bytes) = self.collected(kind);
                *stats.kind_mut(kind) = lane.stats(n, bytes);
            }
        }
        stats
    }

    /// Bytes retained over all kinds (see the memory bound).
    #[must_use]
    pub fn pending_bytes(&self) -> usize {
        RecordKind::ALL.iter().fold(0usize, |acc, &kind| {
            let lane = self.lanes.get(kind.index()).map_or(0, Lane::retained);
            acc.saturating_add(lane).saturating_add(self.collected(kind).1)
        })
    }

    /// Whether nothing is collected, waiting or in flight (a destroying host can stop once
    /// `flush` made this true and outcomes were reported).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        RecordKind::ALL
            .iter()
            .all(|&k| self.collected(k).0 == 0 && self.lanes.get(k.index()).is_none_or(Lane::is_empty))
    }

    /// The de-duplication observer (its size, for diagnostics).
    #[must_use]
    pub fn observer(&self) -> &ImpressionObserver {
        self.strategy.observer()
    }
}
