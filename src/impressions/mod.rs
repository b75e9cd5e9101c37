//! Impressions (spec §6.1–§6.4): the record of one evaluation, the de-duplication observer, the
//! per-hour impression counts, the unique keys, and the strategies that decide, per impression,
//! what is sent, counted or tracked, exactly as javascript-commons' `impressionsTracker.ts` and
//! `trackers/strategy/*.ts`.
//!
//! Everything is sans-I/O: the current time is passed in as `now_ms`.

use std::fmt;
use std::str::FromStr;

mod counts;
mod lru;
mod observer;
mod strategy;
mod unique_keys;

pub use counts::{ImpressionCount, ImpressionCounts};
pub use observer::{dedup_key, ImpressionObserver, DEFAULT_DEDUP_CACHE_SIZE};
pub use strategy::{Decision, Strategy};
pub use unique_keys::{FeatureKeys, UniqueKeys};

/// The length of the de-duplication and counting window: one hour.
pub const HOUR_MS: u64 = 3_600_000;

/// The start of the clock hour holding `now_ms` (JS `truncateTimeFrame`: `now - now % 3600000`).
#[must_use]
pub fn hour_start(now_ms: u64) -> u64 {
    now_ms.saturating_sub(now_ms.checked_rem(HOUR_MS).unwrap_or(0))
}

/// One impression: the record of one flag evaluated for one key (JS `ImpressionDTO`, spec §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Impression {
    /// The flag name.
    pub feature: String,
    /// The matching key.
    pub key_name: String,
    /// The final treatment (after fallback).
    pub treatment: String,
    /// When the evaluation happened, in ms since the epoch.
    pub time: u64,
    /// The bucketing key, only for keys given as `{matchingKey, bucketingKey}`.
    pub bucketing_key: Option<String>,
    /// The final label (after fallback).
    pub label: String,
    /// The flag's change number; `None` for `not ready` answers.
    pub change_number: Option<i64>,
    /// The previous time this impression was seen, set by the observer.
    pub pt: Option<u64>,
    /// The JSON text of the evaluation options' properties (see
    /// [`crate::events::evaluation_properties`]), when there were any.
    pub properties: Option<String>,
}

/// An impression borrowed from an evaluation, before anything is copied: the strategies decide
/// on it, and only impressions that are queued (or go to the listener) become owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImpressionRef<'a> {
    /// The flag name.
    pub feature: &'a str,
    /// The matching key.
    pub key_name: &'a str,
    /// The final treatment.
    pub treatment: &'a str,
    /// When the evaluation happened, in ms since the epoch.
    pub time: u64,
    /// The bucketing key, only for keys given as `{matchingKey, bucketingKey}`.
    pub bucketing_key: Option<&'a str>,
    /// The final label.
    pub label: &'a str,
    /// The flag's change number.
    pub change_number: Option<i64>,
    /// The evaluation options' properties as JSON text.
    pub properties: Option<&'a str>,
}

impl ImpressionRef<'_> {
    /// Whether the impression carries properties (JS truthiness of `impression.properties`).
    #[must_use]
    pub fn has_properties(&self) -> bool {
        self.properties.is_some_and(|p| !p.is_empty())
    }

    /// A rough upper estimate of this impression's share of a `testImpressions/bulk` body, in
    /// bytes, used to bound queued data before it is serialized.
    #[must_use]
    pub fn estimated_json_len(&self) -> usize {
        let props = self.properties.map_or(0, |p| p.len().saturating_add(p.len() / 2).saturating_add(16));
        // {"k":,"t":,"m":,"c":,"r":,"b":,"pt":} with quotes and numbers ≈ 110 bytes; the flag name
        // is counted per impression (an over-estimate for grouped bodies).
        110usize
            .saturating_add(self.feature.len())
            .saturating_add(self.key_name.len())
            .saturating_add(self.treatment.len())
            .saturating_add(self.label.len())
            .saturating_add(self.bucketing_key.map_or(0, str::len))
            .saturating_add(props)
    }

    /// An owned impression with the previous time `pt`.
    #[must_use]
    pub fn to_impression(&self, pt: Option<u64>) -> Impression {
        Impression {
            feature: self.feature.to_owned(),
            key_name: self.key_name.to_owned(),
            treatment: self.treatment.to_owned(),
            time: self.time,
            bucketing_key: self.bucketing_key.map(str::to_owned),
            label: self.label.to_owned(),
            change_number: self.change_number,
            pt,
            properties: self.properties.map(str::to_owned),
        }
    }
}

impl Impression {
    /// A borrowed view (without `pt`).
    #[must_use]
    pub fn as_ref(&self) -> ImpressionRef<'_> {
        ImpressionRef {
            feature: &self.feature,
            key_name: &self.key_name,
            treatment: &self.treatment,
            time: self.time,
            bucketing_key: self.bucketing_key.as_deref(),
            label: &self.label,
            change_number: self.change_number,
            properties: self.properties.as_deref(),
        }
    }

    /// Whether the impression carries properties (JS truthiness of `impression.properties`).
    #[must_use]
    pub fn has_properties(&self) -> bool {
        self.as_ref().has_properties()
    }

    /// A rough upper estimate of this impression's share of a `testImpressions/bulk` body, in
    /// bytes, used to bound queued data before it is serialized.
    #[must_use]
    pub fn estimated_json_len(&self) -> usize {
        self.as_ref().estimated_json_len()
    }
}

/// How impressions are handled (`sync.impressionsMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ImpressionsMode {
    /// Sent once per hour per distinct impression; repeats are counted.
    #[default]
    Optimized,
    /// Every impression sent, with the previous time it was seen.
    Debug,
    /// Nothing sent: counts and unique keys only.
    None,
}

impl ImpressionsMode {
    /// `OPTIMIZED`, `DEBUG` or `NONE`, as sent in the `SplitSDKImpressionsMode` header.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ImpressionsMode::Optimized => "OPTIMIZED",
            ImpressionsMode::Debug => "DEBUG",
            ImpressionsMode::None => "NONE",
        }
    }
}

impl fmt::Display for ImpressionsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An impressions mode that is not `OPTIMIZED`, `DEBUG` or `NONE` (in any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseImpressionsModeError(pub String);

impl fmt::Display for ParseImpressionsModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown impressions mode {:?}: expected OPTIMIZED, DEBUG or NONE", self.0)
    }
}

impl std::error::Error for ParseImpressionsModeError {}

impl FromStr for ImpressionsMode {
    type Err = ParseImpressionsModeError;

    /// Parses a mode case-insensitively: JS uppercases the setting (`toUpperCase`, Unicode-aware:
    /// `"optımızed"` with dotless i is `OPTIMIZED`) before comparing.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match crate::js::to_ascii_upper_case(s).as_deref().unwrap_or_default() {
            "OPTIMIZED" => Ok(ImpressionsMode::Optimized),
            "DEBUG" => Ok(ImpressionsMode::Debug),
            "NONE" => Ok(ImpressionsMode::None),
            _ => Err(ParseImpressionsModeError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_case_insensitively() {
        assert_eq!("optimized".parse(), Ok(ImpressionsMode::Optimized));
        assert_eq!("Debug".parse(), Ok(ImpressionsMode::Debug));
        assert_eq!("NONE".parse(), Ok(ImpressionsMode::None));
        assert!("verbose".parse::<ImpressionsMode>().is_err());
        // JS `toUpperCase` maps the dotless ı to I.
        assert_eq!("optımızed".parse(), Ok(ImpressionsMode::Optimized));
        assert_eq!(ImpressionsMode::default().as_str(), "OPTIMIZED");
        assert_eq!(ImpressionsMode::Debug.to_string(), "DEBUG");
    }

    #[test]
    fn hours_truncate() {
        assert_eq!(hour_start(1_700_000_000_000), 1_699_999_200_000);
        assert_eq!(hour_start(3_600_000), 3_600_000);
        assert_eq!(hour_start(3_599_999), 0);
    }
}
