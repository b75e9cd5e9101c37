//! The wire data model: serde types for the JSON bodies Split's SDK API serves.
//!
//! These types mirror the JSON exactly and stay as lenient as the JavaScript SDK is: fields the
//! SDK tolerates as missing or `null` are `Option`s, and rule data whose type the SDK checks only
//! at evaluation time is kept as raw [`serde_json::Value`]. Turning them into something the
//! evaluator can run is the job of [`crate::compiled`].

mod changes;
mod flag;
pub mod json_path;

pub use changes::{ChangeSet, Excluded, ExcludedSegment, RuleBasedSegment, SegmentChange, SplitChange};
pub use flag::{
    BetweenMatcherData, BetweenStringMatcherData, Condition, DependencyMatcherData, FeatureFlag, KeySelector,
    LargeSegmentMatcherData, Matcher, MatcherGroup, Partition, Prerequisite, SegmentMatcherData,
    UnaryNumericMatcherData, WhitelistMatcherData,
};

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Deserializes a field that is present in the JSON, keeping `null` as `Some(Value::Null)`.
///
/// Used with `#[serde(default)]` so that a missing field is `None` while an explicit `null` is
/// kept: the SDK treats the two differently in a few places (a `MATCHES_STRING` pattern of `null`
/// is the regex `/null/`, a missing one is `/(?:)/`).
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}
