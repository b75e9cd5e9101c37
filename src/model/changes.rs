//! `splitChanges` and `segmentChanges` bodies (spec §1.1, §1.5, §1.6), with a parser that names
//! the flag, rule-based segment and field at fault when a body is malformed.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::flag::{Condition, FeatureFlag};
use super::json_path;
use crate::error::LoadError;

/// One list of changes with its change numbers (`{"d": [...], "s": since, "t": till}`).
#[derive(Debug, Clone)]
pub struct ChangeSet<T> {
    /// Changed definitions: ACTIVE ones are upserted, ARCHIVED ones deleted.
    pub items: Vec<T>,
    /// The change number the response was computed from (`-1`: from scratch).
    pub since: i64,
    /// The change number after applying these changes.
    pub till: i64,
}

/// A `splitChanges` response in either shape: spec 1.3 `{"ff": ..., "rbs": ...}` or the legacy
/// `{"splits": [...], "since": n, "till": n}` (normalized to `flags`).
#[derive(Debug, Clone)]
pub struct SplitChange {
    /// Feature flag changes; `None` when the body has no `ff` (nothing about flags moves).
    pub flags: Option<ChangeSet<FeatureFlag>>,
    /// Rule-based segment changes; `None` when the body has no `rbs`.
    pub rule_based_segments: Option<ChangeSet<RuleBasedSegment>>,
}

/// A rule-based segment definition (spec §1.5).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct RuleBasedSegment {
    /// Its name, referenced by `IN_RULE_BASED_SEGMENT` matchers.
    pub name: String,
    /// Its version.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub change_number: Option<i64>,
    /// `ACTIVE` or `ARCHIVED`.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub status: Option<String>,
    /// The traffic type (informational).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub traffic_type_name: Option<String>,
    /// Keys and segments excluded before the conditions are considered.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub excluded: Option<Excluded>,
    /// Conditions without partitions: any one matching puts the key in the segment.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub conditions: Option<Vec<Condition>>,
}

/// What a rule-based segment excludes.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct Excluded {
    /// Excluded matching keys (non-string entries never match).
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub keys: Option<Vec<Value>>,
    /// Excluded segments, checked in order.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub segments: Option<Vec<ExcludedSegment>>,
}

/// One excluded segment: `standard`, `large` or `rule-based`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "binary", derive(serde::Serialize))]
pub struct ExcludedSegment {
    /// The segment kind.
    #[serde(default, rename = "type")]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub kind: Option<String>,
    /// The segment name.
    #[serde(default)]
    #[cfg_attr(feature = "binary", serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<String>,
}

/// A `segmentChanges` response (spec §1.6); also the shape split-edge accepts for large-segment
/// key lists.
#[derive(Debug, Clone, Deserialize)]
pub struct SegmentChange {
    /// The segment name.
    pub name: String,
    /// Keys added by this change (applied first).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub added: Vec<String>,
    /// Keys removed by this change (applied after `added`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub removed: Vec<String>,
    /// The change number this change starts from.
    #[serde(default)]
    pub since: Option<i64>,
    /// The segment's change number after this change.
    pub till: i64,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Removes a leading UTF-8 byte-order mark (some exported snapshots carry one).
pub(crate) fn strip_bom(json: &str) -> &str {
    json.strip_prefix('\u{feff}').unwrap_or(json)
}

#[derive(Deserialize)]
struct RawBody<'a> {
    #[serde(borrow, default)]
    splits: Option<Option<Vec<&'a RawValue>>>,
    #[serde(default)]
    since: Option<i64>,
    #[serde(default)]
    till: Option<i64>,
    #[serde(borrow, default)]
    ff: Option<RawSet<'a>>,
    #[serde(borrow, default)]
    rbs: Option<RawSet<'a>>,
}

#[derive(Deserialize)]
struct RawSet<'a> {
    #[serde(borrow, default)]
    d: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    s: Option<i64>,
    #[serde(default)]
    t: Option<i64>,
}

#[derive(Deserialize)]
struct NameOnly {
    #[serde(default)]
    name: Option<Value>,
}

impl SplitChange {
    /// Parses a `splitChanges` body in either shape.
    ///
    /// # Errors
    /// [`LoadError`] naming the part of the body at fault: which flag or rule-based segment
    /// (by position and name) and which field.
    pub fn from_json(json: &str) -> Result<SplitChange, LoadError> {
        let json = strip_bom(json);
        let raw: Option<RawBody<'_>> =
            serde_json::from_str(json).map_err(|e| LoadError::body("splitChanges", json, &e))?;
        let raw = raw.ok_or(LoadError::NotAnObject { what: "splitChanges" })?;

        if let Some(splits) = raw.splits {
            // Legacy shape, normalized as the JS fetcher does.
            let till = raw.till.ok_or(LoadError::MissingField { what: "splitChanges", field: "till" })?;
            let items = parse_items(splits.unwrap_or_default(), ItemKind::Flag)?;
            return Ok(SplitChange {
                flags: Some(ChangeSet { items, since: raw.since.unwrap_or(-1), till }),
                rule_based_segments: None,
            });
        }
        if raw.ff.is_none() && raw.rbs.is_none() {
            return Err(LoadError::MissingField { what: "splitChanges", field: "ff (or splits)" });
        }
        let flags = raw.ff.map(|set| parse_set(set, "ff.t", ItemKind::Flag)).transpose()?;
        let rule_based_segments = raw.rbs.map(|set| parse_set(set, "rbs.t", ItemKind::RuleBasedSegment)).transpose()?;
        Ok(SplitChange { flags, rule_based_segments })
    }
}

impl SegmentChange {
    /// Parses a `segmentChanges` body.
    ///
    /// # Errors
    /// [`LoadError::Segment`] naming the segment (when its name could be read) and the field.
    pub fn from_json(json: &str) -> Result<SegmentChange, LoadError> {
        let json = strip_bom(json);
        serde_json::from_str(json).map_err(|e| LoadError::Segment {
            name: name_of(json),
            path: json_path::error_path(json, &e),
            message: e.to_string(),
        })
    }
}

/// The `name` of a JSON object, when it is a string (for error messages).
fn name_of(json: &str) -> Option<String> {
    serde_json::from_str::<NameOnly>(json).ok().and_then(|n| n.name).and_then(|v| v.as_str().map(str::to_owned))
}

#[derive(Clone, Copy)]
enum ItemKind {
    Flag,
    RuleBasedSegment,
}

fn parse_set<T: DeserializeOwned>(
    set: RawSet<'_>,
    till_field: &'static str,
    kind: ItemKind,
) -> Result<ChangeSet<T>, LoadError> {
    let till = set.t.ok_or(LoadError::MissingField { what: "splitChanges", field: till_field })?;
    let items = parse_items(set.d.unwrap_or_default(), kind)?;
    Ok(ChangeSet { items, since: set.s.unwrap_or(-1), till })
}

fn parse_items<T: DeserializeOwned>(raw: Vec<&RawValue>, kind: ItemKind) -> Result<Vec<T>, LoadError> {
    let mut items = Vec::with_capacity(raw.len());
    for (index, item) in raw.into_iter().enumerate() {
        match serde_json::from_str::<T>(item.get()) {
            Ok(parsed) => items.push(parsed),
            Err(e) => {
                let name = name_of(item.get());
                let (path, message) = (json_path::error_path(item.get(), &e), e.to_string());
                return Err(match kind {
                    ItemKind::Flag => LoadError::Flag { index, name, path, message },
                    ItemKind::RuleBasedSegment => LoadError::RuleBasedSegment { index, name, path, message },
                });
            }
        }
    }
    Ok(items)
}
