//! Feature flag ("split") definitions as served in `splitChanges` (spec §1.2–§1.4).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::present;

/// One feature flag definition.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct FeatureFlag {
    /// The flag's name: its storage key.
    pub name: String,
    /// The traffic type the flag targets (`user`, `account`, ...).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub traffic_type_name: Option<String>,
    /// Seed of the partition bucket (an int32 on the wire; taken as JS `seed >>> 0`).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub seed: Option<f64>,
    /// Percentage of traffic admitted to ROLLOUT conditions; missing behaves as 100.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub traffic_allocation: Option<f64>,
    /// Seed of the traffic-allocation bucket; missing is 0.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub traffic_allocation_seed: Option<f64>,
    /// `ACTIVE` or `ARCHIVED`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub status: Option<String>,
    /// The kill switch.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub killed: Option<bool>,
    /// Treatment for kill, not-in-split, no match and unmet prerequisites; a non-string means `control`.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub default_treatment: Option<Value>,
    /// The definition's version.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub change_number: Option<i64>,
    /// Ordered targeting rules.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub conditions: Option<Vec<Condition>>,
    /// Per-treatment configuration strings.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub configurations: Option<BTreeMap<String, Value>>,
    /// Flag sets the flag belongs to.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub sets: Option<Vec<String>>,
    /// Impressions for this flag go through the NONE strategy when true.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub impressions_disabled: Option<bool>,
    /// Flags that must evaluate to given treatments before this flag's rules apply.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub prerequisites: Option<Vec<Prerequisite>>,
    /// The hashing algorithm (ignored: always MurmurHash3, as the JS SDK).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub algo: Option<Value>,
}

/// One prerequisite: flag `n` must evaluate to one of `ts`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct Prerequisite {
    /// The prerequisite flag's name.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub n: Option<String>,
    /// The accepted treatments.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub ts: Option<Value>,
}

/// One targeting rule (spec §1.3).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `ROLLOUT` applies traffic allocation; anything else behaves as `WHITELIST`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub condition_type: Option<String>,
    /// The matchers, ANDed.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub matcher_group: Option<MatcherGroup>,
    /// Treatments and their percentages; must add up to exactly 100.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub partitions: Option<Vec<Partition>>,
    /// The impression label when this condition decides.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub label: Option<String>,
}

/// The matcher group of a condition.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct MatcherGroup {
    /// Always `AND` (ignored, as the JS SDK).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub combiner: Option<String>,
    /// The matchers; `null` makes the flag throw at evaluation, as in JS.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub matchers: Option<Vec<Matcher>>,
}

/// One partition of a condition.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct Partition {
    /// The treatment.
    pub treatment: String,
    /// Its percentage.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub size: Option<Value>,
}

/// One matcher (spec §1.4).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    /// Where the value comes from: an attribute, or the key.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub key_selector: Option<KeySelector>,
    /// The matcher type name (`ALL_KEYS`, `IN_SEGMENT`, ...).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub matcher_type: Option<String>,
    /// Negates the result.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub negate: Option<bool>,
    /// Data of `IN_SEGMENT` and `IN_RULE_BASED_SEGMENT`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub user_defined_segment_matcher_data: Option<SegmentMatcherData>,
    /// Data of `IN_LARGE_SEGMENT`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub user_defined_large_segment_matcher_data: Option<LargeSegmentMatcherData>,
    /// Data of whitelist, set, string-list and `IN_LIST_SEMVER` matchers.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub whitelist_matcher_data: Option<WhitelistMatcherData>,
    /// Data of `EQUAL_TO`, `GREATER_THAN_OR_EQUAL_TO`, `LESS_THAN_OR_EQUAL_TO`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub unary_numeric_matcher_data: Option<UnaryNumericMatcherData>,
    /// Data of `BETWEEN`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub between_matcher_data: Option<BetweenMatcherData>,
    /// Data of `BETWEEN_SEMVER`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub between_string_matcher_data: Option<BetweenStringMatcherData>,
    /// Data of `IN_SPLIT_TREATMENT`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub dependency_matcher_data: Option<DependencyMatcherData>,
    /// Data of `EQUAL_TO_BOOLEAN`.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub boolean_matcher_data: Option<Value>,
    /// Data of `MATCHES_STRING` and the single-version semver matchers.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub string_matcher_data: Option<Value>,
}

/// Where a matcher takes its value from.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct KeySelector {
    /// The traffic type (informational).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub traffic_type: Option<String>,
    /// The attribute name; empty or missing means the key.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub attribute: Option<String>,
}

/// `userDefinedSegmentMatcherData`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct SegmentMatcherData {
    /// The segment (or rule-based segment) name.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub segment_name: Option<String>,
}

/// `userDefinedLargeSegmentMatcherData`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct LargeSegmentMatcherData {
    /// The large segment name.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub large_segment_name: Option<String>,
}

/// `whitelistMatcherData`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct WhitelistMatcherData {
    /// The list; elements that are not strings never match.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub whitelist: Option<Vec<Value>>,
}

/// `unaryNumericMatcherData`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct UnaryNumericMatcherData {
    /// `NUMBER` (default) or `DATETIME`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub data_type: Option<String>,
    /// The value to compare with.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub value: Option<f64>,
}

/// `betweenMatcherData`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct BetweenMatcherData {
    /// `NUMBER` (default) or `DATETIME`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub data_type: Option<String>,
    /// Lower bound, inclusive.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub start: Option<f64>,
    /// Upper bound, inclusive.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub end: Option<f64>,
}

/// `betweenStringMatcherData` (semver bounds).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct BetweenStringMatcherData {
    /// Lower bound.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub start: Option<Value>,
    /// Upper bound.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub end: Option<Value>,
}

/// `dependencyMatcherData`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct DependencyMatcherData {
    /// The flag to evaluate.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub split: Option<String>,
    /// The treatments that make the matcher match.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub treatments: Option<Value>,
}
