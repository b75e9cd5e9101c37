//! The recorder's settings: the JS SDK's sizes and rates (spec §6.7, §8.8) and split-edge's
//! delivery bounds.

use std::fmt;

use crate::impressions::{ImpressionsMode, DEFAULT_DEDUP_CACHE_SIZE};

/// The impressions post period in OPTIMIZED and NONE modes: 300 s.
pub const DEFAULT_IMPRESSIONS_REFRESH_RATE_MS: u64 = 300_000;
/// The impressions post period in DEBUG mode when none is set: 60 s.
pub const DEFAULT_DEBUG_IMPRESSIONS_REFRESH_RATE_MS: u64 = 60_000;
/// The largest dedup cache accepted (the LRU indexes entries with 32-bit numbers).
pub const MAX_DEDUP_CACHE_SIZE: usize = 1 << 30;

/// The impression-listener webhook (split-evaluator's `SPLIT_EVALUATOR_IMPRESSION_LISTENER_ENDPOINT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Where impressions are posted (`http://` or `https://`).
    pub url: String,
    /// The post period (`impressionsSendRate`), default 15,000 ms.
    pub send_rate_ms: u64,
    /// The most impressions per post (`impressionsPerPost`), default 500; reaching it posts at
    /// once and restarts the period.
    pub per_post: usize,
}

impl ListenerConfig {
    /// A listener posting to `url` with split-evaluator's defaults (15 s, 500 per post).
    pub fn new(url: impl Into<String>) -> ListenerConfig {
        ListenerConfig { url: url.into(), send_rate_ms: 15_000, per_post: 500 }
    }
}

/// Every size and rate of the recorder. `Default` gives the JS SDK's defaults (spec §6.7) and
/// split-edge's delivery bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecorderConfig {
    /// `sync.impressionsMode`; default OPTIMIZED.
    pub impressions_mode: ImpressionsMode,
    /// Impressions post period (`scheduler.impressionsRefreshRate`); `None`: 300,000 ms, or
    /// 60,000 ms in DEBUG mode (see [`RecorderConfig::impressions_refresh_rate_ms`]).
    pub impressions_refresh_rate_ms: Option<u64>,
    /// Queued impressions that trigger an early post (`scheduler.impressionsQueueSize`); 30,000.
    pub impressions_queue_size: usize,
    /// Events post period (`scheduler.eventsPushRate`); 60,000 ms.
    pub events_push_rate_ms: u64,
    /// Queued events that trigger an early post (`scheduler.eventsQueueSize`); 500.
    pub events_queue_size: usize,
    /// Estimated event bytes (the sizes `track` computes) over which events are posted early;
    /// 5 MiB (5,242,880), as JS.
    pub events_queue_bytes: usize,
    /// Impression counts post period; 1,800,000 ms (30 min).
    pub counts_refresh_rate_ms: u64,
    /// Count rows (flag × hour) that trigger an early post; 30,000. (JS has no such trigger on
    /// server side; this bounds the rows a host that never polls can accumulate.)
    pub counts_queue_size: usize,
    /// Unique keys post period; 900,000 ms (15 min).
    pub unique_keys_refresh_rate_ms: u64,
    /// New unique keys that trigger an early post; 30,000.
    pub unique_keys_queue_size: usize,
    /// Whether impressions carry their label (`core.labelsEnabled`); true.
    pub labels_enabled: bool,
    /// Impressions the de-duplication observer remembers; 500,000.
    pub dedup_cache_size: usize,
    /// The impression-listener webhook, if any; none.
    pub listener: Option<ListenerConfig>,

    /// Posts per batch before it is dropped (the first post included); 10.
    pub max_attempts: u32,
    /// The wait before the first retry; doubled at each further retry. 5,000 ms.
    pub backoff_base_ms: u64,
    /// The longest wait between retries; 300,000 ms (5 min).
    pub backoff_max_ms: u64,
    /// The most data retained per kind (queued plus batches waiting, retrying or in flight),
    /// measured as serialized body bytes (estimated for data not yet serialized); the oldest
    /// batches are dropped beyond it. 10 MiB (10,485,760).
    pub max_retained_bytes: usize,
    /// The largest body built for one post, estimated; a queue reaching it is posted early.
    /// 5 MiB (5,242,880). Must not exceed `max_retained_bytes`.
    pub max_batch_bytes: usize,
    /// Posts of one kind in flight at once; 1 (JS runs each submitter's posts one at a time).
    pub max_in_flight: usize,
    /// A post whose outcome was not reported after this long is taken as a network error
    /// ("timed out") by `poll`/`flush`; 300,000 ms (5 min).
    pub in_flight_timeout_ms: u64,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        RecorderConfig {
            impressions_mode: ImpressionsMode::Optimized,
            impressions_refresh_rate_ms: None,
            impressions_queue_size: 30_000,
            events_push_rate_ms: 60_000,
            events_queue_size: 500,
            events_queue_bytes: 5 * 1024 * 1024,
            counts_refresh_rate_ms: 1_800_000,
            counts_queue_size: 30_000,
            unique_keys_refresh_rate_ms: 900_000,
            unique_keys_queue_size: 30_000,
            labels_enabled: true,
            dedup_cache_size: DEFAULT_DEDUP_CACHE_SIZE,
            listener: None,
            max_attempts: 10,
            backoff_base_ms: 5_000,
            backoff_max_ms: 300_000,
            max_retained_bytes: 10 * 1024 * 1024,
            max_batch_bytes: 5 * 1024 * 1024,
            max_in_flight: 1,
            in_flight_timeout_ms: 300_000,
        }
    }
}

/// A nonsensical recorder setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A size, rate or count that must be positive is zero.
    Zero {
        /// The setting.
        field: &'static str,
    },
    /// A setting is above what the recorder supports.
    TooLarge {
        /// The setting.
        field: &'static str,
        /// The largest value accepted.
        max: u64,
    },
    /// `backoff_max_ms` is below `backoff_base_ms`.
    BackoffMaxBelowBase {
        /// `backoff_base_ms`.
        base_ms: u64,
        /// `backoff_max_ms`.
        max_ms: u64,
    },
    /// `max_batch_bytes` exceeds `max_retained_bytes`, so no batch could be retained.
    BatchLargerThanRetained {
        /// `max_batch_bytes`.
        batch: usize,
        /// `max_retained_bytes`.
        retained: usize,
    },
    /// The listener URL is not an `http://` or `https://` URL.
    ListenerUrl(String),
    /// A Split API base URL is empty.
    EmptyUrl {
        /// Which one (`events`, `telemetry`).
        field: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Zero { field } => write!(f, "recorder setting `{field}` must be greater than 0"),
            ConfigError::TooLarge { field, max } => write!(f, "recorder setting `{field}` must be at most {max}"),
            ConfigError::BackoffMaxBelowBase { base_ms, max_ms } => {
                write!(f, "recorder setting `backoff_max_ms` ({max_ms}) must be at least `backoff_base_ms` ({base_ms})")
            }
            ConfigError::BatchLargerThanRetained { batch, retained } => write!(
                f,
                "recorder setting `max_batch_bytes` ({batch}) must not exceed `max_retained_bytes` ({retained})"
            ),
            ConfigError::ListenerUrl(url) => {
                write!(f, "impression listener URL {url:?} must start with http:// or https://")
            }
            ConfigError::EmptyUrl { field } => write!(f, "the `{field}` URL must not be empty"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl RecorderConfig {
    /// The impressions post period in effect: the one set, else 60 s in DEBUG mode and 300 s
    /// otherwise (JS applies the DEBUG default only when the user set none).
    #[must_use]
    pub fn impressions_refresh_rate_ms(&self) -> u64 {
        self.impressions_refresh_rate_ms.unwrap_or(match self.impressions_mode {
            ImpressionsMode::Debug => DEFAULT_DEBUG_IMPRESSIONS_REFRESH_RATE_MS,
            _ => DEFAULT_IMPRESSIONS_REFRESH_RATE_MS,
        })
    }

    /// Checks every setting: sizes, rates and counts positive, backoff bounds ordered, a batch
    /// fitting the retained bound, the dedup cache at most 2^30, the listener URL http(s).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive: [(&'static str, u64); 15] = [
            ("impressions_refresh_rate_ms", self.impressions_refresh_rate_ms()),
            ("impressions_queue_size", self.impressions_queue_size as u64),
            ("events_push_rate_ms", self.events_push_rate_ms),
            ("events_queue_size", self.events_queue_size as u64),
            ("events_queue_bytes", self.events_queue_bytes as u64),
            ("counts_refresh_rate_ms", self.counts_refresh_rate_ms),
            ("counts_queue_size", self.counts_queue_size as u64),
            ("unique_keys_refresh_rate_ms", self.unique_keys_refresh_rate_ms),
            ("unique_keys_queue_size", self.unique_keys_queue_size as u64),
            ("dedup_cache_size", self.dedup_cache_size as u64),
            ("max_attempts", u64::from(self.max_attempts)),
            ("backoff_base_ms", self.backoff_base_ms),
            ("max_retained_bytes", self.max_retained_bytes as u64),
            ("max_batch_bytes", self.max_batch_bytes as u64),
            ("max_in_flight", self.max_in_flight as u64),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Zero { field });
        }
        if self.in_flight_timeout_ms == 0 {
            return Err(ConfigError::Zero { field: "in_flight_timeout_ms" });
        }
        if self.dedup_cache_size > MAX_DEDUP_CACHE_SIZE {
            return Err(ConfigError::TooLarge { field: "dedup_cache_size", max: MAX_DEDUP_CACHE_SIZE as u64 });
        }
        if self.backoff_max_ms < self.backoff_base_ms {
            return Err(ConfigError::BackoffMaxBelowBase {
                base_ms: self.backoff_base_ms,
                max_ms: self.backoff_max_ms,
            });
        }
        if self.max_batch_bytes > self.max_retained_bytes {
            return Err(ConfigError::BatchLargerThanRetained {
                batch: self.max_batch_bytes,
                retained: self.max_retained_bytes,
            });
        }
        if let Some(l) = &self.listener {
            let url = l.url.trim();
            let scheme_ok = ["http://", "https://"]
                .iter()
                .any(|p| url.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p)) && url.len() > p.len());
            if !scheme_ok {
                return Err(ConfigError::ListenerUrl(l.url.clone()));
            }
            if l.send_rate_ms == 0 {
                return Err(ConfigError::Zero { field: "listener.send_rate_ms" });
            }
            if l.per_post == 0 {
                return Err(ConfigError::Zero { field: "listener.per_post" });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let c = RecorderConfig::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.impressions_refresh_rate_ms(), 300_000);
        let debug = RecorderConfig { impressions_mode: ImpressionsMode::Debug, ..RecorderConfig::default() };
        assert_eq!(debug.impressions_refresh_rate_ms(), 60_000);
        let set = RecorderConfig { impressions_refresh_rate_ms: Some(1_000), ..debug };
        assert_eq!(set.impressions_refresh_rate_ms(), 1_000);
    }

    #[test]
    fn nonsense_is_rejected() {
        let bad = |c: RecorderConfig| c.validate().unwrap_err().to_string();
        let d = RecorderConfig::default;
        assert_eq!(
            bad(RecorderConfig { events_queue_size: 0, ..d() }),
            "recorder setting `events_queue_size` must be greater than 0"
        );
        assert_eq!(
            RecorderConfig { impressions_refresh_rate_ms: Some(0), ..d() }.validate(),
            Err(ConfigError::Zero { field: "impressions_refresh_rate_ms" })
        );
        assert!(matches!(
            RecorderConfig { backoff_max_ms: 1, ..d() }.validate(),
            Err(ConfigError::BackoffMaxBelowBase { .. })
        ));
        assert!(matches!(
            RecorderConfig { max_batch_bytes: 11 << 20, ..d() }.validate(),
            Err(ConfigError::BatchLargerThanRetained { .. })
        ));
        assert!(matches!(
            RecorderConfig { dedup_cache_size: (1 << 30) + 1, ..d() }.validate(),
            Err(ConfigError::TooLarge { .. })
        ));
        assert_eq!(
            RecorderConfig { listener: Some(ListenerConfig::new("ftp://x")), ..d() }.validate(),
            Err(ConfigError::ListenerUrl("ftp://x".into()))
        );
        assert_eq!(RecorderConfig { listener: Some(ListenerConfig::new("HTTPS://x/y")), ..d() }.validate(), Ok(()));
        let zero_rate = ListenerConfig { send_rate_ms: 0, ..ListenerConfig::new("http://x") };
        assert_eq!(
            RecorderConfig { listener: Some(zero_rate), ..d() }.validate(),
            Err(ConfigError::Zero { field: "listener.send_rate_ms" })
        );
    }
}
