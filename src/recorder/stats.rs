//! What the recorder reports: per-kind statistics and the outcome of each delivery.

use std::fmt;

use serde::Serialize;

use crate::http::RequestId;

/// The kinds of data the recorder posts, each with its own queue, schedule and bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordKind {
    /// `testImpressions/bulk`; items are impressions.
    Impressions,
    /// `testImpressions/count`; items are count rows (flag × hour).
    ImpressionCounts,
    /// `v1/keys/ss`; items are keys (per flag).
    UniqueKeys,
    /// `events/bulk`; items are events.
    Events,
    /// The impression-listener webhook; items are impressions.
    Listener,
}

impl RecordKind {
    /// Every kind, in the order requests are handed out (JS's submitter order, then the listener).
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Impressions,
        RecordKind::Events,
        RecordKind::ImpressionCounts,
        RecordKind::UniqueKeys,
        RecordKind::Listener,
    ];

    /// A short name: `impressions`, `impression counts`, `unique keys`, `events`, `listener`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Impressions => "impressions",
            RecordKind::ImpressionCounts => "impression counts",
            RecordKind::UniqueKeys => "unique keys",
            RecordKind::Events => "events",
            RecordKind::Listener => "listener",
        }
    }

    /// The kind named `name` ([`RecordKind::as_str`]'s inverse).
    #[must_use]
    pub fn from_name(name: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A dense index (0..5) for per-kind tables.
    pub(crate) fn index(self) -> usize {
        match self {
            RecordKind::Impressions => 0,
            RecordKind::ImpressionCounts => 1,
            RecordKind::UniqueKeys => 2,
            RecordKind::Events => 3,
            RecordKind::Listener => 4,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a post failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum DeliveryError {
    /// The host reported no response (DNS, connection, TLS, its own timeout).
    Network {
        /// What the host said went wrong.
        message: String,
    },
    /// A non-2xx response, with its body.
    Status {
        /// The status code.
        status: u16,
        /// The response body.
        body: String,
    },
    /// No outcome was reported within `in_flight_timeout_ms`.
    TimedOut {
        /// How long the recorder waited, in ms.
        after_ms: u64,
    },
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::Network { message } => write!(f, "network error: {message}"),
            DeliveryError::Status { status, body } if body.is_empty() => write!(f, "status {status}"),
            DeliveryError::Status { status, body } => write!(f, "status {status}: {body}"),
            DeliveryError::TimedOut { after_ms } => write!(f, "no outcome reported after {after_ms} ms"),
        }
    }
}

/// Why a batch was dropped without being delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DropReason {
    /// The kind's retained data exceeded `max_retained_bytes`; the oldest went first.
    BoundsExceeded,
    /// The batch was posted `max_attempts` times without success.
    AttemptsExhausted,
}

/// What became of a reported outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum DeliveryResult {
    /// A 2xx: the items are delivered.
    Delivered,
    /// A network error, timeout, 5xx, 408 or 429: the batch is kept and posted again at
    /// `retry_at_ms` (or at the next `flush`).
    Retrying {
        /// Posts made so far.
        attempts: u32,
        /// When the retry becomes due.
        retry_at_ms: u64,
        /// What went wrong.
        error: DeliveryError,
    },
    /// A retryable failure the batch cannot be retried after: dropped and counted.
    Dropped {
        /// Why it cannot be retried.
        reason: DropReason,
        /// Posts made.
        attempts: u32,
        /// The last failure.
        error: DeliveryError,
    },
    /// A response that retrying cannot fix (a 4xx other than 408/429, or any other non-2xx,
    /// non-5xx status): dropped and counted as rejected.
    Rejected {
        /// The status code.
        status: u16,
        /// The response body.
        body: String,
    },
    /// The id is not a request in flight (never handed out, already reported, or timed out and
    /// since handled as a network error).
    Unknown,
}

/// The outcome of one request, as [`crate::recorder::Recorder::on_outcome`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryReport {
    /// The request.
    pub id: RequestId,
    /// Its kind (`None` for an unknown id).
    pub kind: Option<RecordKind>,
    /// How many items it carried.
    pub items: u64,
    /// What happened.
    pub result: DeliveryResult,
}

/// Items dropped without being delivered, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DropCounts {
    /// Dropped to stay within `max_retained_bytes` (oldest first).
    pub bounds_exceeded: u64,
    /// Dropped after `max_attempts` failed posts.
    pub attempts_exhausted: u64,
    /// Dropped because the server rejected them (4xx other than 408/429).
    pub rejected: u64,
}

impl DropCounts {
    /// Adds `other`'s counts to these (a host summing recorders' figures).
    pub fn add(&mut self, other: &DropCounts) {
        self.bounds_exceeded = self.bounds_exceeded.saturating_add(other.bounds_exceeded);
        self.attempts_exhausted = self.attempts_exhausted.saturating_add(other.attempts_exhausted);
        self.rejected = self.rejected.saturating_add(other.rejected);
    }

    /// All dropped items.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.bounds_exceeded.saturating_add(self.attempts_exhausted).saturating_add(self.rejected)
    }
}

/// The last failure of a kind and when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastError {
    /// When the failure was reported (the `now_ms` of the call).
    pub at_ms: u64,
    /// The failure (a response body kept here is cut to 1 KiB).
    pub error: DeliveryError,
}

/// One kind's figures. Items are impressions, count rows, keys or events (see [`RecordKind`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindStats {
    /// Items held and not in flight: collected, or in batches waiting to be posted or retried.
    pub queued: u64,
    /// Of `queued`, items in batches that failed at least once and wait for a retry.
    pub retrying: u64,
    /// Items in posts handed out and not yet reported.
    pub in_flight: u64,
    /// Items delivered (2xx), cumulative.
    pub sent: u64,
    /// Item retries scheduled (each failed post of a batch adds its items), cumulative.
    pub retried: u64,
    /// Items dropped, by reason, cumulative.
    pub dropped: DropCounts,
    /// Bytes held: bodies of batches (exact) plus collected data (estimated).
    pub retained_bytes: usize,
    /// Requests handed out, cumulative.
    pub requests: u64,
    /// The last failure, if any.
    pub last_error: Option<LastError>,
}

/// Every kind's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecorderStats {
    /// Impressions (`testImpressions/bulk`).
    pub impressions: KindStats,
    /// Impression counts (`testImpressions/count`).
    pub impression_counts: KindStats,
    /// Unique keys (`v1/keys/ss`).
    pub unique_keys: KindStats,
    /// Events (`events/bulk`).
    pub events: KindStats,
    /// The impression-listener webhook.
    pub listener: KindStats,
    /// Impressions that OPTIMIZED mode counted instead of sending, cumulative.
    pub deduplicated: u64,
}

impl RecorderStats {
    /// One kind's figures.
    #[must_use]
    pub fn kind(&self, kind: RecordKind) -> &KindStats {
        match kind {
            RecordKind::Impressions => &self.impressions,
            RecordKind::ImpressionCounts => &self.impression_counts,
            RecordKind::UniqueKeys => &self.unique_keys,
            RecordKind::Events => &self.events,
            RecordKind::Listener => &self.listener,
        }
    }

    pub(crate) fn kind_mut(&mut self, kind: RecordKind) -> &mut KindStats {
        match kind {
            RecordKind::Impressions => &mut self.impressions,
            RecordKind::ImpressionCounts => &mut self.impression_counts,
            RecordKind::UniqueKeys => &mut self.unique_keys,
            RecordKind::Events => &mut self.events,
            RecordKind::Listener => &mut self.listener,
        }
    }
}
