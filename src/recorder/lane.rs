//! One kind's delivery: its serialized batches (waiting, retrying, in flight), retries with
//! exponential backoff, the retained-bytes bound, and its periodic timer.

use std::collections::VecDeque;

use super::stats::{
    DeliveryError, DeliveryReport, DeliveryResult, DropCounts, DropReason, KindStats, LastError, RecordKind,
};
use super::BATCH_OVERHEAD_BYTES as BATCH_OVERHEAD;
use crate::http::{HttpOutcome, RequestId};

/// Response bodies kept in `last_error` are cut to this many bytes.
const LAST_ERROR_BODY_MAX: usize = 1024;

/// The retry rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub max_in_flight: usize,
    pub in_flight_timeout_ms: u64,
}

impl Policy {
    /// The wait after the `attempts`-th failed post: base × 2^(attempts − 1), at most the max.
    pub(crate) fn backoff(&self, attempts: u32) -> u64 {
        let factor = 1u64.checked_shl(attempts.saturating_sub(1)).unwrap_or(u64::MAX);
        self.backoff_base_ms.saturating_mul(factor).min(self.backoff_max_ms)
    }
}

/// A periodic deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timer {
    pub period_ms: u64,
    pub deadline: Option<u64>,
}

impl Timer {
    pub(crate) fn new(period_ms: u64) -> Timer {
        Timer { period_ms, deadline: None }
    }

    /// Starts the timer (first deadline one period from `now`) unless started.
    pub(crate) fn start(&mut self, now: u64) {
        if self.deadline.is_none() {
            self.deadline = Some(now.saturating_add(self.period_ms));
        }
    }

    pub(crate) fn is_due(&self, now: u64) -> bool {
        self.deadline.is_some_and(|d| d <= now)
    }

    /// The next deadline one period from `now` (after a periodic or early post that resets it).
    pub(crate) fn reset(&mut self, now: u64) {
        self.deadline = Some(now.saturating_add(self.period_ms));
    }

    /// Moves a past deadline to the first tick of its schedule after `now`, as a JS interval
    /// that kept ticking over an empty queue would be.
    pub(crate) fn catch_up(&mut self, now: u64) {
        if let Some(d) = self.deadline.filter(|d| *d <= now) {
            let periods = now.saturating_sub(d).checked_div(self.period_ms).unwrap_or(0).saturating_add(1);
            self.deadline = Some(d.saturating_add(periods.saturating_mul(self.period_ms)));
        }
    }
}

#[derive(Debug, Clone)]
enum State {
    Waiting { not_before: u64 },
    InFlight { id: RequestId, since: u64 },
}

#[derive(Debug, Clone)]
struct Batch {
    /// The body; `None` once released to honour the retained bound while in flight.
    body: Option<String>,
    items: u64,
    attempts: u32,
    failed: bool,
    state: State,
}

impl Batch {
    fn retained(&self) -> usize {
        self.body.as_ref().map_or(0, |b| b.len().saturating_add(BATCH_OVERHEAD))
    }
}

/// A request to build: its id and body.
pub(crate) struct Ready {
    pub id: RequestId,
    pub body: String,
}

/// One kind's batches and counters.
#[derive(Debug, Clone)]
pub(crate) struct Lane {
    pub kind: RecordKind,
    pub timer: Timer,
    /// Oldest first.
    batches: VecDeque<Batch>,
    retained: usize,
    sent: u64,
    retried: u64,
    requests: u64,
    dropped: DropCounts,
    last_error: Option<LastError>,
}

fn truncated(error: DeliveryError) -> DeliveryError {
    match error {
        DeliveryError::Status { status, mut body } if body.len() > LAST_ERROR_BODY_MAX => {
            let mut cut = LAST_ERROR_BODY_MAX;
            while !body.is_char_boundary(cut) {
                cut = cut.saturating_sub(1);
            }
            body.truncate(cut);
            DeliveryError::Status { status, body }
        }
        other => other,
    }
}

impl Lane {
    pub(crate) fn new(kind: RecordKind, period_ms: u64) -> Lane {
        Lane {
            kind,
            timer: Timer::new(period_ms),
            batches: VecDeque::new(),
            retained: 0,
            sent: 0,
            retried: 0,
            requests: 0,
            dropped: DropCounts::default(),
            last_error: None,
        }
    }

    /// Bytes held by batches.
    pub(crate) fn retained(&self) -> usize {
        self.retained
    }

    /// Adds a sealed batch, due at once.
    pub(crate) fn push(&mut self, body: String, items: u64, now: u64) {
        self.push_attempted(body, items, 0, now);
    }

    /// Adds a sealed batch that was already posted `attempts` times (elsewhere), due at once.
    pub(crate) fn push_attempted(&mut self, body: String, items: u64, attempts: u32, now: u64) {
        let batch = Batch {
            body: Some(body),
            items,
            attempts,
            failed: attempts > 0,
            state: State::Waiting { not_before: now },
        };
        self.retained = self.retained.saturating_add(batch.retained());
        self.batches.push_back(batch);
    }

    /// Removes every batch that is not in flight and still holds its body, oldest first, as
    /// `(body, items, attempts)`.
    pub(crate) fn take_waiting(&mut self) -> Vec<(String, u64, u32)> {
        let mut out = Vec::new();
        let mut kept = VecDeque::with_capacity(self.batches.len());
        for mut b in self.batches.drain(..) {
            match (&b.state, b.body.take()) {
                (State::Waiting { .. }, Some(body)) => {
                    self.retained = self.retained.saturating_sub(body.len().saturating_add(BATCH_OVERHEAD));
                    out.push((body, b.items, b.attempts));
                }
                (_, body) => {
                    b.body = body;
                    kept.push_back(b);
                }
            }
        }
        self.batches = kept;
        out
    }

    /// Counts items dropped before they were batched.
    pub(crate) fn count_dropped(&mut self, items: u64) {
        self.dropped.bounds_exceeded = self.dropped.bounds_exceeded.saturating_add(items);
    }

    /// Frees the oldest batch holding a body: a waiting one is dropped (its items counted), an
    /// in-flight one keeps going but without a copy for retries. Returns whether anything was
    /// freed.
    pub(crate) fn drop_oldest(&mut self) -> bool {
        let Some(pos) = self.batches.iter().position(|b| b.body.is_some()) else { return false };
        let in_flight = self.batches.get(pos).is_some_and(|b| matches!(b.state, State::InFlight { .. }));
        if in_flight {
            if let Some(b) = self.batches.get_mut(pos) {
                let freed = b.retained();
                b.body = None;
                self.retained = self.retained.saturating_sub(freed);
            }
        } else if let Some(b) = self.batches.remove(pos) {
            self.retained = self.retained.saturating_sub(b.retained());
            self.dropped.bounds_exceeded = self.dropped.bounds_exceeded.saturating_add(b.items);
        }
        true
    }

    fn in_flight(&self) -> usize {
        self.batches.iter().filter(|b| matches!(b.state, State::InFlight { .. })).count()
    }

    /// Hands out due batches: waiting ones whose backoff elapsed, oldest first, while fewer than
    /// `max_in_flight` are in flight; with `all`, every waiting batch regardless of backoff and
    /// limit (a flush).
    pub(crate) fn take_ready(&mut self, now: u64, policy: &Policy, all: bool, next_id: &mut u64) -> Vec<Ready> {
        let mut slots = policy.max_in_flight.saturating_sub(self.in_flight());
        let mut out = Vec::new();
        for b in self.batches.iter_mut() {
            if !all && slots == 0 {
                break;
            }
            let due = matches!(b.state, State::Waiting { not_before } if all || not_before <= now);
            let Some(body) = b.body.as_ref().filter(|_| due) else { continue };
            *next_id = next_id.saturating_add(1);
            let id = RequestId(*next_id);
            b.state = State::InFlight { id, since: now };
            b.attempts = b.attempts.saturating_add(1);
            slots = slots.saturating_sub(1);
            self.requests = self.requests.saturating_add(1);
            out.push(Ready { id, body: body.clone() });
        }
        out
    }

    /// Whether `id` is in flight here.
    pub(crate) fn owns(&self, id: RequestId) -> bool {
        self.batches.iter().any(|b| matches!(b.state, State::InFlight { id: i, .. } if i == id))
    }

    /// Applies a reported outcome to the in-flight batch `id`.
    pub(crate) fn on_outcome(
        &mut self,
        id: RequestId,
        outcome: HttpOutcome,
        now: u64,
        policy: &Policy,
    ) -> DeliveryReport {
        let Some(pos) = self.batches.iter().position(|b| matches!(b.state, State::InFlight { id: i, .. } if i == id))
        else {
            return DeliveryReport { id, kind: None, items: 0, result: DeliveryResult::Unknown };
        };
        let items = self.batches.get(pos).map_or(0, |b| b.items);
        let result = match outcome {
            o if o.is_success() => {
                self.remove(pos);
                self.sent = self.sent.saturating_add(items);
                DeliveryResult::Delivered
            }
            o if o.is_retryable() => {
                let error = match o {
                    HttpOutcome::NetworkError(e) => DeliveryError::Network { message: e },
                    HttpOutcome::Response { status, body } => DeliveryError::Status { status, body },
                };
                self.fail(pos, error, now, policy)
            }
            HttpOutcome::Response { status, body } => {
                self.remove(pos);
                self.dropped.rejected = self.dropped.rejected.saturating_add(items);
                self.record_error(DeliveryError::Status { status, body: body.clone() }, now);
                DeliveryResult::Rejected { status, body }
            }
            HttpOutcome::NetworkError(e) => self.fail(pos, DeliveryError::Network { message: e }, now, policy),
        };
        DeliveryReport { id, kind: Some(self.kind), items, result }
    }

    /// Treats posts in flight for longer than the timeout as network errors.
    pub(crate) fn expire(&mut self, now: u64, policy: &Policy) {
        let timeout = policy.in_flight_timeout_ms;
        while let Some(pos) = self
            .batches
            .iter()
            .position(|b| matches!(b.state, State::InFlight { since, .. } if since.saturating_add(timeout) <= now))
        {
            self.fail(pos, DeliveryError::TimedOut { after_ms: timeout }, now, policy);
        }
    }

    fn record_error(&mut self, error: DeliveryError, now: u64) {
        self.last_error = Some(LastError { at_ms: now, error: truncated(error) });
    }

    fn remove(&mut self, pos: usize) -> Option<Batch> {
        let b = self.batches.remove(pos)?;
        self.retained = self.retained.saturating_sub(b.retained());
        Some(b)
    }

    /// A retryable failure of the batch at `pos`: retried after backoff, or dropped when its
    /// attempts are spent or its body was released.
    fn fail(&mut self, pos: usize, error: DeliveryError, now: u64, policy: &Policy) -> DeliveryResult {
        self.record_error(error.clone(), now);
        let Some(b) = self.batches.get_mut(pos) else { return DeliveryResult::Unknown };
        let (items, attempts) = (b.items, b.attempts);
        let reason = if b.body.is_none() {
            Some(DropReason::BoundsExceeded)
        } else if attempts >= policy.max_attempts {
            Some(DropReason::AttemptsExhausted)
        } else {
            None
        };
        match reason {
            None => {
                let retry_at_ms = now.saturating_add(policy.backoff(attempts));
                b.failed = true;
                b.state = State::Waiting { not_before: retry_at_ms };
                self.retried = self.retried.saturating_add(items);
                DeliveryResult::Retrying { attempts, retry_at_ms, error }
            }
            Some(reason) => {
                self.remove(pos);
                let counter = match reason {
                    DropReason::BoundsExceeded => &mut self.dropped.bounds_exceeded,
                    DropReason::AttemptsExhausted => &mut self.dropped.attempts_exhausted,
                };
                *counter = counter.saturating_add(items);
                DeliveryResult::Dropped { reason, attempts, error }
            }
        }
    }

    /// When this lane's batches next need a `poll`: a waiting batch's backoff end (when a slot is
    /// free), or an in-flight post's timeout.
    pub(crate) fn next_due(&self, policy: &Policy) -> Option<u64> {
        let slot_free = self.in_flight() < policy.max_in_flight;
        self.batches
            .iter()
            .filter_map(|b| match b.state {
                State::Waiting { not_before } if slot_free && b.body.is_some() => Some(not_before),
                State::Waiting { .. } => None,
                State::InFlight { since, .. } => Some(since.saturating_add(policy.in_flight_timeout_ms)),
            })
            .min()
    }

    /// Whether any batch is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// The lane's figures; `collected` items and `collected_bytes` are the kind's unbatched data.
    pub(crate) fn stats(&self, collected: u64, collected_bytes: usize) -> KindStats {
        let mut s = KindStats {
            queued: collected,
            retained_bytes: self.retained.saturating_add(collected_bytes),
            sent: self.sent,
            retried: self.retried,
            requests: self.requests,
            dropped: self.dropped,
            last_error: self.last_error.clone(),
            ..KindStats::default()
        };
        for b in &self.batches {
            match b.state {
                State::Waiting { .. } => {
                    s.queued = s.queued.saturating_add(b.items);
                    if b.failed {
                        s.retrying = s.retrying.saturating_add(b.items);
                    }
                }
                State::InFlight { .. } => s.in_flight = s.in_flight.saturating_add(b.items),
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            max_attempts: 3,
            backoff_base_ms: 5_000,
            backoff_max_ms: 12_000,
            max_in_flight: 1,
            in_flight_timeout_ms: 60_000,
        }
    }

    #[test]
    fn backoff_doubles_to_the_max() {
        let p = policy();
        assert_eq!([p.backoff(1), p.backoff(2), p.backoff(3), p.backoff(200)], [5_000, 10_000, 12_000, 12_000]);
    }

    #[test]
    fn timer_catches_up_on_its_schedule() {
        let mut t = Timer::new(100);
        t.start(1_000);
        assert_eq!(t.deadline, Some(1_100));
        t.start(5_000);
        assert_eq!(t.deadline, Some(1_100), "start is idempotent");
        t.catch_up(1_050);
        assert_eq!(t.deadline, Some(1_100));
        t.catch_up(1_100);
        assert_eq!(t.deadline, Some(1_200));
        t.catch_up(1_555);
        assert_eq!(t.deadline, Some(1_600));
    }

    #[test]
    fn retries_then_drops_after_max_attempts() {
        let p = policy();
        let mut lane = Lane::new(RecordKind::Events, 1_000);
        let mut id = 0;
        lane.push("[1]".into(), 1, 0);
        let r = lane.take_ready(0, &p, false, &mut id);
        assert_eq!(r[0].id, RequestId(1));
        let rep = lane.on_outcome(RequestId(1), HttpOutcome::response(503, "busy"), 10, &p);
        assert!(matches!(rep.result, DeliveryResult::Retrying { attempts: 1, retry_at_ms: 5_010, .. }));
        assert!(lane.take_ready(5_009, &p, false, &mut id).is_empty());
        assert_eq!(lane.next_due(&p), Some(5_010));
        let r = lane.take_ready(5_010, &p, false, &mut id);
        assert_eq!(r[0].id, RequestId(2));
        lane.expire(65_010, &p);
        assert_eq!(lane.stats(0, 0).retrying, 1);
        let r = lane.take_ready(100_000, &p, false, &mut id);
        let rep = lane.on_outcome(r[0].id, HttpOutcome::NetworkError("reset".into()), 100_001, &p);
        assert!(matches!(
            rep.result,
            DeliveryResult::Dropped { reason: DropReason::AttemptsExhausted, attempts: 3, .. }
        ));
        let s = lane.stats(0, 0);
        assert_eq!((s.dropped.attempts_exhausted, s.retried, s.requests, s.queued), (1, 2, 3, 0));
        assert!(lane.is_empty());
        assert_eq!(lane.retained(), 0);
    }

    #[test]
    fn waiting_batches_are_taken_with_their_attempts() {
        let p = policy();
        let mut lane = Lane::new(RecordKind::Impressions, 1_000);
        let mut id = 0;
        lane.push("[1]".into(), 1, 0);
        lane.push_attempted("[2,3]".into(), 2, 2, 0);
        let r = lane.take_ready(0, &p, true, &mut id);
        assert_eq!(r.len(), 2);
        lane.on_outcome(RequestId(1), HttpOutcome::response(500, ""), 1, &p);
        lane.push("[4]".into(), 1, 2);
        let taken = lane.take_waiting();
        assert_eq!(taken, vec![("[1]".to_owned(), 1, 1), ("[4]".to_owned(), 1, 0)]);
        assert!(lane.owns(RequestId(2)), "the batch in flight stays");
        assert_eq!(lane.retained(), "[2,3]".len() + BATCH_OVERHEAD);
        let rep = lane.on_outcome(RequestId(2), HttpOutcome::response(503, ""), 3, &p);
        assert!(
            matches!(rep.result, DeliveryResult::Dropped { reason: DropReason::AttemptsExhausted, attempts: 3, .. }),
            "attempts made elsewhere count toward max_attempts"
        );
    }
}
