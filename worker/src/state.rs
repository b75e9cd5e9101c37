//! The stored form of an environment's rules, and how pushed bodies change it.
//!
//! Flags and rule-based segments are kept as their definitions' JSON, exactly as pushed, so the
//! stored value is itself a `splitChanges` body the core loads ([`FlagData::to_json`]). Pushes are
//! validated by the core first ([`split_edge::model::SplitChange::from_json`]); only then is the
//! stored form changed, with the core's rules (ACTIVE upserted, ARCHIVED removed, change numbers
//! to `till`). A body whose `since` is `-1` is a full replacement; any other `since` must equal the
//! stored change number (else [`PushError::Conflict`]), so a push never skips changes.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{json, Value};
use split_edge::model::{SegmentChange, SplitChange};
use split_edge::snapshot::SplitChangeSummary;
use split_edge::LoadError;

/// Why a pushed body was not applied. The stored data is untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The body is malformed (the core's message names the flag and field).
    Malformed(LoadError),
    /// An incremental body does not start where the stored data is.
    Conflict {
        /// `flags`, `rule-based segments` or `segment "<name>"`.
        what: String,
        /// The body's `since`.
        since: i64,
        /// The stored change number.
        stored: i64,
    },
    /// The stored data could not be read back (it was not written by this Worker).
    Corrupt(String),
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Malformed(e) => write!(f, "{e}"),
            PushError::Conflict { what, since, stored } => write!(
                f,
                "the body's {what} changes start at since={since} but the stored {what} are at change number \
                 {stored}: push the changes since {stored}, or a full body with since=-1"
            ),
            PushError::Corrupt(m) => write!(f, "the stored data cannot be read: {m}; push a full body (since=-1)"),
        }
    }
}

impl std::error::Error for PushError {}

/// Named JSON definitions in insertion order.
type Definitions = Vec<(String, Value)>;

/// An environment's flags and rule-based segments as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagData {
    /// Flag definitions in insertion order (the order of the JS SDK's storage).
    pub flags: Definitions,
    /// Flag names in the order of their last upsert (flag-set order follows it).
    pub upsert_order: Vec<String>,
    /// Rule-based segment definitions.
    pub rule_based_segments: Definitions,
    /// The flags' change number (`-1`: none).
    pub flags_change_number: i64,
    /// The rule-based segments' change number.
    pub rule_based_segments_change_number: i64,
}

impl Default for FlagData {
    fn default() -> Self {
        FlagData {
            flags: Vec::new(),
            upsert_order: Vec::new(),
            rule_based_segments: Vec::new(),
            flags_change_number: -1,
            rule_based_segments_change_number: -1,
        }
    }
}

/// What a split-changes push changed: the core's summary of applying the body, and whether the
/// body replaced everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitPushSummary {
    /// Whether the body replaced everything (`since` -1).
    pub full: bool,
    /// What changed, and the change numbers afterwards.
    #[serde(flatten)]
    pub changes: SplitChangeSummary,
}

fn name_of(v: &Value) -> Option<&str> {
    v.get("name").and_then(Value::as_str)
}

fn is_archived(v: &Value) -> bool {
    v.get("status").and_then(Value::as_str) == Some("ARCHIVED")
}

/// Upserts or removes `items` in `defs`; returns (upserted, removed, upserted names in order).
fn apply_items(defs: &mut Definitions, items: Vec<Value>) -> (usize, usize, Vec<String>) {
    let (mut up, mut removed) = (0usize, 0usize);
    let mut names = Vec::new();
    for item in items {
        let Some(name) = name_of(&item).map(str::to_owned) else { continue };
        if is_archived(&item) {
            let before = defs.len();
            defs.retain(|(n, _)| *n != name);
            if defs.len() != before {
                removed = removed.saturating_add(1);
            }
            names.retain(|n| *n != name);
        } else {
            match defs.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = item,
                None => defs.push((name.clone(), item)),
            }
            up = up.saturating_add(1);
            names.retain(|n| *n != name);
            names.push(name);
        }
    }
    (up, removed, names)
}

/// The raw `(items, since)` of one change list of a body.
fn raw_items(set: Option<&Value>) -> Vec<Value> {
    match set {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

impl FlagData {
    /// Reads the stored form back ([`FlagData::to_json`]'s output).
    ///
    /// # Errors
    /// [`PushError::Corrupt`] when the value is not what this Worker writes.
    pub fn from_json(json: &str) -> Result<FlagData, PushError> {
        let v: Value = serde_json::from_str(json).map_err(|e| PushError::Corrupt(e.to_string()))?;
        let defs = |set: Option<&Value>| -> Definitions {
            raw_items(set.and_then(|s| s.get("d")))
                .into_iter()
                .filter_map(|d| name_of(&d).map(str::to_owned).map(|n| (n, d)))
                .collect()
        };
        let flags = defs(v.get("ff"));
        let upsert_order = match v.get("upsertOrder") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => flags.iter().map(|(n, _)| n.clone()).collect(),
        };
        let till = |set: Option<&Value>| set.and_then(|s| s.get("t")).and_then(Value::as_i64).unwrap_or(-1);
        Ok(FlagData {
            upsert_order,
            rule_based_segments: defs(v.get("rbs")),
            flags_change_number: till(v.get("ff")),
            rule_based_segments_change_number: till(v.get("rbs")),
            flags,
        })
    }

    /// The stored form: a `splitChanges` body (`{"ff","rbs"}` shape, flags in insertion order)
    /// with an extra `upsertOrder` member the core ignores.
    pub fn to_json(&self) -> String {
        /// The definitions as a JSON array, serialized where they are (no copy of the tree).
        struct Defs<'a>(&'a Definitions);
        impl serde::Serialize for Defs<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|(_, v)| v))
            }
        }
        #[derive(serde::Serialize)]
        struct Set<'a> {
            d: Defs<'a>,
            s: i64,
            t: i64,
        }
        #[derive(serde::Serialize)]
        struct Body<'a> {
            ff: Set<'a>,
            rbs: Set<'a>,
            #[serde(rename = "upsertOrder")]
            upsert_order: &'a [String],
        }
        let body = Body {
            ff: Set { d: Defs(&self.flags), s: -1, t: self.flags_change_number },
            rbs: Set { d: Defs(&self.rule_based_segments), s: -1, t: self.rule_based_segments_change_number },
            upsert_order: &self.upsert_order,
        };
        // Serializing strings, numbers and JSON values into a String cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// A body that re-upserts the flags in their last-upsert order, when it differs from the
    /// insertion order (loading it after [`FlagData::to_json`] gives flag sets their order).
    pub fn reorder_body(&self) -> Option<String> {
        let inserted: Vec<&str> = self.flags.iter().map(|(n, _)| n.as_str()).collect();
        let upserted: Vec<&str> = self.upsert_order.iter().map(String::as_str).collect();
        if inserted == upserted {
            return None;
        }
        let d: Vec<Value> = self
            .upsert_order
            .iter()
            .filter_map(|n| self.flags.iter().find(|(f, _)| f == n).map(|(_, v)| v.clone()))
            .collect();
        let t = self.flags_change_number;
        Some(json!({"ff": {"d": d, "s": t, "t": t}}).to_string())
    }

    /// Applies a pushed `splitChanges` body (either shape), after the core validated it.
    ///
    /// # Errors
    /// [`PushError::Malformed`] (the core's [`LoadError`]) or [`PushError::Conflict`]; `self` is
    /// unchanged then.
    pub fn apply_split_changes(&mut self, body: &str) -> Result<SplitPushSummary, PushError> {
        let change = SplitChange::from_json(body).map_err(PushError::Malformed)?;
        let raw: Value = serde_json::from_str(body.strip_prefix('\u{feff}').unwrap_or(body))
            .map_err(|e| PushError::Corrupt(e.to_string()))?;
        let legacy = raw.get("splits").is_some();
        let flag_items =
            if legacy { raw_items(raw.get("splits")) } else { raw_items(raw.get("ff").and_then(|s| s.get("d"))) };
        let rbs_items = raw_items(raw.get("rbs").and_then(|s| s.get("d")));

        let mut next = self.clone();
        let mut summary = SplitPushSummary::default();
        if let Some(flags) = &change.flags {
            summary.full = replaces("flags", flags.since, self.flags_change_number)?;
            if summary.full {
                next.flags.clear();
                next.upsert_order.clear();
            }
            let (up, removed, names) = apply_items(&mut next.flags, flag_items);
            next.upsert_order.retain(|n| !names.contains(n) && next.flags.iter().any(|(f, _)| f == n));
            next.upsert_order.extend(names);
            next.flags_change_number = flags.till;
            summary.changes.flags_upserted = up;
            summary.changes.flags_removed = removed;
        }
        if let (Some(rbs), false) = (&change.rule_based_segments, legacy) {
            if replaces("rule-based segments", rbs.since, self.rule_based_segments_change_number)? {
                next.rule_based_segments.clear();
            }
            let (up, removed, _) = apply_items(&mut next.rule_based_segments, rbs_items);
            next.rule_based_segments_change_number = rbs.till;
            summary.changes.rule_based_segments_upserted = up;
            summary.changes.rule_based_segments_removed = removed;
        }
        summary.changes.flags_change_number = next.flags_change_number;
        summary.changes.rule_based_segments_change_number = next.rule_based_segments_change_number;
        *self = next;
        Ok(summary)
    }
}

/// One segment as stored: sorted keys and change number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentData {
    /// The segment name.
    pub name: String,
    /// The member keys.
    pub keys: BTreeSet<String>,
    /// The change number (`-1`: none).
    pub change_number: i64,
}

/// What a segment-changes push changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentPushSummary {
    /// The segment.
    pub name: String,
    /// Whether the body replaced the key list (`since` -1).
    pub full: bool,
    /// Keys added.
    pub added: usize,
    /// Keys removed.
    pub removed: usize,
    /// Members afterwards.
    pub keys: usize,
    /// The segment's change number afterwards.
    pub change_number: i64,
}

/// Whether a body starting at `since` replaces what is stored (`since` -1) or applies on top of
/// it. An incremental body must start at the stored change number, else [`PushError::Conflict`]
/// (`what` names the data in its message).
fn replaces(what: &str, since: i64, stored: i64) -> Result<bool, PushError> {
    match since {
        -1 => Ok(true),
        _ if since == stored => Ok(false),
        _ => Err(PushError::Conflict { what: what.to_owned(), since, stored }),
    }
}

/// Parses a pushed `segmentChanges` body (validated by the core) and applies it to the stored
/// segment (`current`, `None` when the segment is new).
///
/// # Errors
/// [`PushError::Malformed`] or [`PushError::Conflict`].
pub fn apply_segment_change(
    current: Option<SegmentData>,
    body: &str,
) -> Result<(SegmentData, SegmentPushSummary), PushError> {
    let change = SegmentChange::from_json(body).map_err(PushError::Malformed)?;
    let since = change.since.unwrap_or(-1);
    let mut seg =
        current.unwrap_or_else(|| SegmentData { name: change.name.clone(), keys: BTreeSet::new(), change_number: -1 });
    let full = replaces(&format!("segment {:?}", change.name), since, seg.change_number)?;
    if full {
        seg.keys.clear();
    }
    let mut summary = SegmentPushSummary { name: change.name.clone(), full, ..Default::default() };
    for k in change.added {
        if seg.keys.insert(k) {
            summary.added = summary.added.saturating_add(1);
        }
    }
    for k in &change.removed {
        if seg.keys.remove(k) {
            summary.removed = summary.removed.saturating_add(1);
        }
    }
    seg.name = change.name;
    seg.change_number = change.till;
    summary.keys = seg.keys.len();
    summary.change_number = seg.change_number;
    Ok((seg, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(name: &str, sets: &[&str], status: &str) -> Value {
        json!({"name": name, "trafficTypeName": "user", "seed": 1, "status": status, "killed": false,
            "defaultTreatment": "off", "changeNumber": 1, "sets": sets, "conditions": [{"conditionType": "ROLLOUT",
            "matcherGroup": {"combiner": "AND", "matchers": [{"matcherType": "ALL_KEYS", "negate": false}]},
            "partitions": [{"treatment": "on", "size": 100}], "label": "default rule"}]})
    }

    #[test]
    fn full_then_incremental() {
        let mut data = FlagData::default();
        let body = json!({"ff": {"d": [flag("a", &["s"], "ACTIVE"), flag("b", &["s"], "ACTIVE")], "s": -1, "t": 10}})
            .to_string();
        let s = data.apply_split_changes(&body).unwrap();
        assert!(s.full);
        assert_eq!(s.changes.flags_upserted, 2);
        assert_eq!(data.flags_change_number, 10);
        // Incremental: update a (moves to the end of the upsert order), archive b, add c.
        let body = json!({"ff": {"d": [flag("a", &["s"], "ACTIVE"), flag("b", &[], "ARCHIVED"), flag("c", &[], "ACTIVE")], "s": 10, "t": 11}}).to_string();
        let s = data.apply_split_changes(&body).unwrap();
        assert_eq!((s.changes.flags_upserted, s.changes.flags_removed), (2, 1));
        assert_eq!(data.flags.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(data.upsert_order, ["a", "c"]);
        // Round trip.
        assert_eq!(FlagData::from_json(&data.to_json()).unwrap(), data);
        // Conflict and malformed leave it untouched.
        let before = data.clone();
        let e = data.apply_split_changes(&json!({"ff": {"d": [], "s": 5, "t": 12}}).to_string()).unwrap_err();
        assert!(matches!(e, PushError::Conflict { since: 5, stored: 11, .. }), "{e}");
        let e = data
            .apply_split_changes(r#"{"ff": {"d": [{"name": "x", "conditions": 5}], "s": 11, "t": 12}}"#)
            .unwrap_err();
        assert!(matches!(e, PushError::Malformed(_)), "{e}");
        assert_eq!(data, before);
        // Legacy shape.
        let body = json!({"splits": [flag("z", &[], "ACTIVE")], "since": -1, "till": 3}).to_string();
        data.apply_split_changes(&body).unwrap();
        assert_eq!(data.flags.len(), 1);
        assert_eq!(data.flags_change_number, 3);
    }

    #[test]
    fn reorder_body_only_when_needed() {
        let mut data = FlagData::default();
        let body = json!({"ff": {"d": [flag("a", &["s"], "ACTIVE"), flag("b", &["s"], "ACTIVE")], "s": -1, "t": 1}})
            .to_string();
        data.apply_split_changes(&body).unwrap();
        assert_eq!(data.reorder_body(), None);
        data.apply_split_changes(&json!({"ff": {"d": [flag("a", &["s"], "ACTIVE")], "s": 1, "t": 2}}).to_string())
            .unwrap();
        assert_eq!(data.upsert_order, ["b", "a"]);
        assert!(data.reorder_body().is_some());
    }

    #[test]
    fn segments() {
        let (seg, s) =
            apply_segment_change(None, r#"{"name":"s","added":["a","b"],"removed":[],"since":-1,"till":5}"#).unwrap();
        assert_eq!((s.added, s.keys), (2, 2));
        let (seg, s) =
            apply_segment_change(Some(seg), r#"{"name":"s","added":["c"],"removed":["a"],"since":5,"till":6}"#)
                .unwrap();
        assert_eq!((s.added, s.removed, s.keys, s.change_number), (1, 1, 2, 6));
        assert!(apply_segment_change(Some(seg.clone()), r#"{"name":"s","added":[],"removed":[],"since":1,"till":7}"#)
            .is_err());
        assert!(matches!(apply_segment_change(Some(seg), r#"{"name":"s","added":5}"#), Err(PushError::Malformed(_))));
    }
}
