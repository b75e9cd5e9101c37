//! The loaded rollout data: flags, rule-based segments and segments, indexed for evaluation.
//!
//! Changes are applied as Split's SDK applies them (spec §7.1, §7.3): ACTIVE definitions are
//! upserted, ARCHIVED ones deleted, change numbers move to `till`; segment changes add then remove
//! keys. Every body is parsed and compiled in full before anything is changed, so a rejected body
//! leaves the data already loaded untouched. An optional [`FlagFilter`] (`sync.splitFilters`)
//! keeps only the flags it selects: a flag outside it is removed as if it were ARCHIVED.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::compiled::{CompileCache, CompiledFlag, CompiledRuleBasedSegment, ExcludedSegmentRef, MatcherKind, Rules};
use crate::error::LoadError;
use crate::model::{SegmentChange, SplitChange};
use crate::sync::FlagFilter;

#[cfg(feature = "binary")]
mod binary;
mod remote;

pub use remote::{RemoteLargeSegment, DEFAULT_CACHE_KEYS};

/// A segment's keys and change number.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    /// The member keys.
    pub keys: FxHashSet<String>,
    /// The change number of the last applied change (`-1`: none yet).
    pub change_number: i64,
}

/// The segments that evaluating some flags can read ([`Snapshot::used_by`]), each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentsUsed {
    /// Standard segments (`IN_SEGMENT`, `standard` exclusions).
    pub standard: Vec<String>,
    /// Large segments (`IN_LARGE_SEGMENT`, `large` exclusions).
    pub large: Vec<String>,
}

/// A definition that [`Walk`] reaches.
enum Reached<'a> {
    Flag(&'a str),
    RuleBased(&'a str),
    Segment(&'a str),
    LargeSegment(&'a str),
}

/// The transitive walk of [`Snapshot::used_by`]: flags and rule-based segments are visited once
/// each, so cycles end.
#[derive(Default)]
struct Walk<'a> {
    todo: Vec<Reached<'a>>,
    seen_flags: FxHashSet<&'a str>,
    seen_rule_based: FxHashSet<&'a str>,
    standard: FxHashSet<&'a str>,
    large: FxHashSet<&'a str>,
}

impl<'a> Walk<'a> {
    /// Visits a flag (once).
    fn flag(&mut self, snapshot: &'a Snapshot, name: &str) {
        let Some((name, flag)) = snapshot.flags.get_key_value(name) else { return };
        if !self.seen_flags.insert(name) {
            return;
        }
        self.todo.extend(flag.prerequisites.iter().filter_map(|p| p.flag.as_deref()).map(Reached::Flag));
        self.rules(&flag.rules);
    }

    /// Queues what a definition's conditions reach.
    fn rules(&mut self, rules: &'a Rules) {
        let Rules::Conditions(conds) = rules else { return };
        for m in conds.iter().flat_map(|c| c.matchers.iter()) {
            match &m.kind {
                MatcherKind::InSegment(n) => self.todo.push(Reached::Segment(n)),
                MatcherKind::InLargeSegment(n) => self.todo.push(Reached::LargeSegment(n)),
                MatcherKind::Dependency { flag: Some(f), .. } => self.todo.push(Reached::Flag(f)),
                MatcherKind::InRuleBasedSegment(r) => self.todo.push(Reached::RuleBased(r)),
                _ => {}
            }
        }
    }

    fn run(mut self, snapshot: &'a Snapshot) -> SegmentsUsed {
        while let Some(next) = self.todo.pop() {
            match next {
                Reached::Segment(n) => {
                    self.standard.insert(n);
                }
                Reached::LargeSegment(n) => {
                    self.large.insert(n);
                }
                Reached::Flag(f) => self.flag(snapshot, f),
                Reached::RuleBased(r) => {
                    let Some((r, rbs)) = snapshot.rule_based_segments.get_key_value(r) else { continue };
                    if !self.seen_rule_based.insert(r) {
                        continue;
                    }
                    for e in &rbs.excluded_segments {
                        match e {
                            ExcludedSegmentRef::Standard(n) => self.todo.push(Reached::Segment(n)),
                            ExcludedSegmentRef::Large(n) => self.todo.push(Reached::LargeSegment(n)),
                            ExcludedSegmentRef::RuleBased(n) => self.todo.push(Reached::RuleBased(n)),
                            ExcludedSegmentRef::Ignored => {}
                        }
                    }
                    self.rules(&rbs.rules);
                }
            }
        }
        let sorted = |set: FxHashSet<&str>| {
            let mut names: Vec<String> = set.into_iter().map(str::to_owned).collect();
            crate::order::sort(&mut names);
            names
        };
        SegmentsUsed { standard: sorted(self.standard), large: sorted(self.large) }
    }
}

/// What applying a `splitChanges` body did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitChangeSummary {
    /// Flags inserted or replaced.
    pub flags_upserted: usize,
    /// Flags removed (ARCHIVED in the body, or outside the flag filter).
    pub flags_removed: usize,
    /// Rule-based segments inserted or replaced.
    pub rule_based_segments_upserted: usize,
    /// Rule-based segments removed.
    pub rule_based_segments_removed: usize,
    /// The flags' change number afterwards.
    pub flags_change_number: i64,
    /// The rule-based segments' change number afterwards.
    pub rule_based_segments_change_number: i64,
}

/// Rollout data ready to evaluate.
#[derive(Debug, Clone)]
pub struct Snapshot {
    flags: FxHashMap<String, Arc<CompiledFlag>>,
    /// Flag names in insertion order (JS object order is derived from it).
    insertion_order: Vec<String>,
    /// Flag names in JS `Object.keys` order: integer-like names first, ascending, then the rest in
    /// insertion order.
    js_order: Vec<String>,
    /// Flag set → (flag name → position); an update re-adds a flag at the end, as JS does.
    flag_sets: FxHashMap<String, FxHashMap<String, u64>>,
    next_position: u64,
    /// Traffic type → flag names in JS order.
    by_traffic_type: FxHashMap<String, Vec<String>>,
    rule_based_segments: FxHashMap<String, Arc<CompiledRuleBasedSegment>>,
    segments: FxHashMap<String, Segment>,
    large_segments: FxHashMap<String, Segment>,
    /// Large segments whose key lists are looked up elsewhere (see [`RemoteLargeSegment`]).
    remote_large_segments: FxHashMap<String, RemoteLargeSegment>,
    flags_change_number: i64,
    rule_based_segments_change_number: i64,
    /// Which flags are kept (spec §7.1); rule-based segments are never filtered.
    filter: FlagFilter,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            flags: FxHashMap::default(),
            insertion_order: Vec::new(),
            js_order: Vec::new(),
            flag_sets: FxHashMap::default(),
            next_position: 0,
            by_traffic_type: FxHashMap::default(),
            rule_based_segments: FxHashMap::default(),
            segments: FxHashMap::default(),
            large_segments: FxHashMap::default(),
            remote_large_segments: FxHashMap::default(),
            flags_change_number: -1,
            rule_based_segments_change_number: -1,
            filter: FlagFilter::none(),
        }
    }
}

/// Whether a name is a JS array index ("0", "17"; not "01", "-1" or 2^32-1 and above): such
/// names come first in JS object key order.
fn is_array_index(name: &str) -> Option<u32> {
    if name.is_empty() || (name.len() > 1 && name.starts_with('0')) || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse::<u32>().ok().filter(|n| *n != u32::MAX)
}

impl Snapshot {
    /// An empty snapshot (change numbers `-1`).
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// This snapshot keeping only the flags `filter` selects (see [`Snapshot::set_filter`]).
    #[must_use]
    pub fn with_filter(mut self, filter: FlagFilter) -> Snapshot {
        self.set_filter(filter);
        self
    }

    /// Sets the flag filter applied by every later `splitChanges` body (spec §7.1): a flag that is
    /// not ARCHIVED is stored only when it passes the filter, otherwise it is removed. Loaded flags
    /// outside the new filter are removed now; flags an earlier filter kept out come back only
    /// when fetched again (from `since=-1`). Returns how many flags were removed.
    pub fn set_filter(&mut self, filter: FlagFilter) -> usize {
        let outside: Vec<String> = self
            .insertion_order
            .iter()
            .filter(|name| self.flags.get(*name).is_some_and(|f| !filter.matches(&f.name, &f.sets)))
            .cloned()
            .collect();
        for name in &outside {
            self.remove_flag(name);
        }
        if !outside.is_empty() {
            self.reindex();
        }
        self.filter = filter;
        outside.len()
    }

    /// The flag filter (empty: every flag is kept).
    pub fn filter(&self) -> &FlagFilter {
        &self.filter
    }

    /// Removes every flag and rule-based segment and resets their change numbers to `-1`;
    /// segments and the filter stay. (JS clears both when a Split Proxy serves spec 1.3 again.)
    pub fn clear_rules(&mut self) {
        self.flags.clear();
        self.insertion_order.clear();
        self.js_order.clear();
        self.flag_sets.clear();
        self.by_traffic_type.clear();
        self.rule_based_segments.clear();
        self.flags_change_number = -1;
        self.rule_based_segments_change_number = -1;
    }

    /// Parses and applies a `splitChanges` body (either shape).
    ///
    /// # Errors
    /// [`LoadError`] naming what is malformed; nothing is changed then.
    pub fn apply_split_changes_json(&mut self, json: &str) -> Result<SplitChangeSummary, LoadError> {
        let change = SplitChange::from_json(json)?;
        Ok(self.apply_split_changes(change))
    }

    /// Applies a parsed `splitChanges` body. Cannot fail: a parsed body always compiles. Flags
    /// outside the [filter](Snapshot::set_filter) are removed like ARCHIVED ones.
    pub fn apply_split_changes(&mut self, change: SplitChange) -> SplitChangeSummary {
        let mut summary = SplitChangeSummary::default();
        let mut cache = CompileCache::default();
        if let Some(flags) = change.flags {
            for def in flags.items {
                let kept = def.status.as_deref() != Some("ARCHIVED")
                    && self.filter.matches(&def.name, def.sets.as_deref().unwrap_or_default());
                if !kept {
                    if self.remove_flag(&def.name) {
                        summary.flags_removed = summary.flags_removed.saturating_add(1);
                    }
                } else {
                    self.upsert_flag(CompiledFlag::compile_with(def, &mut cache));
                    summary.flags_upserted = summary.flags_upserted.saturating_add(1);
                }
            }
            self.flags_change_number = flags.till;
            self.reindex();
        }
        if let Some(rbs) = change.rule_based_segments {
            for def in rbs.items {
                if def.status.as_deref() == Some("ARCHIVED") {
                    if self.rule_based_segments.remove(&def.name).is_some() {
                        summary.rule_based_segments_removed = summary.rule_based_segments_removed.saturating_add(1);
                    }
                } else {
                    let compiled = CompiledRuleBasedSegment::compile_with(def, &mut cache);
                    self.rule_based_segments.insert(compiled.name.clone(), Arc::new(compiled));
                    summary.rule_based_segments_upserted = summary.rule_based_segments_upserted.saturating_add(1);
                }
            }
            self.rule_based_segments_change_number = rbs.till;
        }
        summary.flags_change_number = self.flags_change_number;
        summary.rule_based_segments_change_number = self.rule_based_segments_change_number;
        summary
    }

    /// Parses and applies a `segmentChanges` body: `added`, then `removed`, change number `till`.
    ///
    /// # Errors
    /// [`LoadError::Segment`] when the body is malformed; nothing is changed then.
    pub fn apply_segment_change_json(&mut self, json: &str) -> Result<i64, LoadError> {
        let change = SegmentChange::from_json(json)?;
        Ok(Self::apply_to(&mut self.segments, change))
    }

    /// Applies a parsed segment change; returns the segment's new change number.
    pub fn apply_segment_change(&mut self, change: SegmentChange) -> i64 {
        Self::apply_to(&mut self.segments, change)
    }

    /// Applies a change to a large segment's key list (same shape as a segment change).
    pub fn apply_large_segment_change(&mut self, change: SegmentChange) -> i64 {
        Self::apply_to(&mut self.large_segments, change)
    }

    /// Parses and applies a large segment key list given as a `segmentChanges`-shaped body.
    ///
    /// # Errors
    /// [`LoadError::Segment`] when the body is malformed.
    pub fn apply_large_segment_change_json(&mut self, json: &str) -> Result<i64, LoadError> {
        let change = SegmentChange::from_json(json)?;
        Ok(Self::apply_to(&mut self.large_segments, change))
    }

    fn apply_to(map: &mut FxHashMap<String, Segment>, change: SegmentChange) -> i64 {
        let segment =
            map.entry(change.name).or_insert_with(|| Segment { keys: FxHashSet::default(), change_number: -1 });
        segment.keys.reserve(change.added.len());
        segment.keys.extend(change.added);
        for k in &change.removed {
            segment.keys.remove(k);
        }
        segment.change_number = change.till;
        change.till
    }

    fn upsert_flag(&mut self, flag: CompiledFlag) {
        let name = flag.name.clone();
        if let Some(previous) = self.flags.get(&name) {
            for set in &previous.sets {
                if let Some(members) = self.flag_sets.get_mut(set) {
                    members.remove(&name);
                }
            }
        } else {
            self.insertion_order.push(name.clone());
        }
        for set in &flag.sets {
            self.flag_sets.entry(set.clone()).or_default().insert(name.clone(), self.next_position);
            self.next_position = self.next_position.saturating_add(1);
        }
        self.flags.insert(name, Arc::new(flag));
    }

    fn remove_flag(&mut self, name: &str) -> bool {
        let Some(previous) = self.flags.remove(name) else { return false };
        for set in &previous.sets {
            if let Some(members) = self.flag_sets.get_mut(set) {
                members.remove(name);
            }
        }
        self.insertion_order.retain(|n| n != name);
        true
    }

    /// Rebuilds the order and traffic-type indexes after flags changed.
    fn reindex(&mut self) {
        let mut indexed: Vec<(u32, &String)> =
            self.insertion_order.iter().filter_map(|n| is_array_index(n).map(|i| (i, n))).collect();
        crate::order::sort_by_key(&mut indexed, |(i, _)| *i);
        let mut order: Vec<String> = indexed.into_iter().map(|(_, n)| n.clone()).collect();
        order.extend(self.insertion_order.iter().filter(|n| is_array_index(n).is_none()).cloned());
        let mut by_tt: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for name in &order {
            if let Some(tt) = self.flags.get(name).and_then(|f| f.traffic_type.clone()) {
                by_tt.entry(tt).or_default().push(name.clone());
            }
        }
        self.js_order = order;
        self.by_traffic_type = by_tt;
    }

    /// A flag by name.
    pub fn flag(&self, name: &str) -> Option<&CompiledFlag> {
        self.flags.get(name).map(Arc::as_ref)
    }

    /// All flags, in JS storage order.
    pub fn flags(&self) -> impl Iterator<Item = &CompiledFlag> + '_ {
        self.js_order.iter().filter_map(|n| self.flag(n))
    }

    /// Flag names, in JS storage order.
    pub fn flag_names(&self) -> &[String] {
        &self.js_order
    }

    /// How many flags are loaded.
    pub fn flag_count(&self) -> usize {
        self.flags.len()
    }

    /// Flag names of a traffic type, in JS storage order.
    pub fn flag_names_by_traffic_type(&self, traffic_type: &str) -> &[String] {
        self.by_traffic_type.get(traffic_type).map_or(&[], Vec::as_slice)
    }

    /// Whether any flag has this traffic type.
    pub fn has_traffic_type(&self, traffic_type: &str) -> bool {
        self.by_traffic_type.contains_key(traffic_type)
    }

    /// The flags of a flag set, in the set's insertion order (an update moves a flag to the end).
    pub fn flag_names_in_set(&self, set: &str) -> Vec<&str> {
        let Some(members) = self.flag_sets.get(set) else { return Vec::new() };
        let mut names: Vec<(&u64, &String)> = members.iter().map(|(n, p)| (p, n)).collect();
        crate::order::sort_by_key(&mut names, |(p, _)| **p);
        names.into_iter().map(|(_, n)| n.as_str()).collect()
    }

    /// A rule-based segment by name.
    pub fn rule_based_segment(&self, name: &str) -> Option<&CompiledRuleBasedSegment> {
        self.rule_based_segments.get(name).map(Arc::as_ref)
    }

    /// How many rule-based segments are loaded.
    pub fn rule_based_segment_count(&self) -> usize {
        self.rule_based_segments.len()
    }

    /// Whether `key` is in segment `name` (false for an unknown segment).
    pub fn in_segment(&self, name: &str, key: &str) -> bool {
        self.segments.get(name).is_some_and(|s| s.keys.contains(key))
    }

    /// Whether `key` is in large segment `name`: from its loaded keys, else from a [remote
    /// one](RemoteLargeSegment)'s cached memberships (an unknown key is logged as missed), else
    /// false (its keys are not loaded, as server-side JS).
    pub fn in_large_segment(&self, name: &str, key: &str) -> bool {
        if let Some(s) = self.large_segments.get(name) {
            return s.keys.contains(key);
        }
        self.remote_large_segments.get(name).is_some_and(|r| r.contains(key))
    }

    /// Puts a remote large segment in (replacing one of that name).
    pub fn insert_remote_large_segment(&mut self, name: String, segment: RemoteLargeSegment) {
        self.remote_large_segments.insert(name, segment);
    }

    /// Takes a remote large segment out (`None`: none of that name).
    pub fn take_remote_large_segment(&mut self, name: &str) -> Option<RemoteLargeSegment> {
        self.remote_large_segments.remove(name)
    }

    /// The remote large segments, by name.
    pub fn remote_large_segments(&self) -> impl Iterator<Item = (&str, &RemoteLargeSegment)> + '_ {
        self.remote_large_segments.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// Records whether `key` is a member of remote large segment `name` (nothing happens when no
    /// remote large segment has that name).
    pub fn record_large_membership(&mut self, name: &str, key: String, member: bool) {
        if let Some(r) = self.remote_large_segments.get_mut(name) {
            r.record(key, member);
        }
    }

    /// The `(large segment, key)` lookups that evaluations since the last call needed and the
    /// remote large segments did not know, sorted.
    pub fn take_large_misses(&self) -> Vec<(String, String)> {
        let mut misses: Vec<(String, String)> = self
            .remote_large_segments
            .iter()
            .flat_map(|(name, r)| r.take_misses().into_iter().map(move |k| (name.clone(), k)))
            .collect();
        crate::order::sort(&mut misses);
        misses
    }

    /// A segment by name.
    pub fn segment(&self, name: &str) -> Option<&Segment> {
        self.segments.get(name)
    }

    /// Loaded segment names and their change numbers.
    pub fn segments(&self) -> impl Iterator<Item = (&str, &Segment)> + '_ {
        self.segments.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// A large segment by name.
    pub fn large_segment(&self, name: &str) -> Option<&Segment> {
        self.large_segments.get(name)
    }

    /// The flags' change number (`-1`: nothing loaded).
    pub fn flags_change_number(&self) -> i64 {
        self.flags_change_number
    }

    /// The rule-based segments' change number (`-1`: nothing loaded).
    pub fn rule_based_segments_change_number(&self) -> i64 {
        self.rule_based_segments_change_number
    }

    /// Puts a segment in (replacing one of that name), as loaded elsewhere: a host that stores
    /// segments apart loads each one when first needed.
    pub fn insert_segment(&mut self, name: String, segment: Segment) {
        self.segments.insert(name, segment);
    }

    /// Takes a segment out (`None`: not loaded), e.g. to move it into a snapshot of newer rules
    /// without copying its keys.
    pub fn take_segment(&mut self, name: &str) -> Option<Segment> {
        self.segments.remove(name)
    }

    /// Puts a large segment's keys in (replacing those of that name).
    pub fn insert_large_segment(&mut self, name: String, segment: Segment) {
        self.large_segments.insert(name, segment);
    }

    /// Takes a large segment out (`None`: not loaded).
    pub fn take_large_segment(&mut self, name: &str) -> Option<Segment> {
        self.large_segments.remove(name)
    }

    /// The standard segments that evaluating `flags` can read, sorted: their `IN_SEGMENT`
    /// matchers, and those reached through prerequisites, `IN_SPLIT_TREATMENT` dependencies and
    /// rule-based segments (their conditions and their `standard` exclusions), transitively.
    /// Names that are not loaded flags are skipped (pass validated, trimmed names); cycles end.
    /// Evaluating `flags` with only these segments (and the [large
    /// ones](Snapshot::large_segments_used_by)) loaded answers as with every segment loaded.
    pub fn segments_used_by<'n>(&self, flags: impl IntoIterator<Item = &'n str>) -> Vec<String> {
        self.used_by(flags).standard
    }

    /// The large segments that evaluating `flags` can read, sorted: as
    /// [`Snapshot::segments_used_by`], for `IN_LARGE_SEGMENT` matchers and `large` exclusions.
    pub fn large_segments_used_by<'n>(&self, flags: impl IntoIterator<Item = &'n str>) -> Vec<String> {
        self.used_by(flags).large
    }

    /// The standard and large segments that evaluating `flags` can read (see
    /// [`Snapshot::segments_used_by`]).
    pub fn used_by<'n>(&self, flags: impl IntoIterator<Item = &'n str>) -> SegmentsUsed {
        let mut walk = Walk::default();
        for name in flags {
            walk.flag(self, name);
        }
        walk.run(self)
    }

    /// The standard and large segments that evaluating every flag can read (get-all-treatments,
    /// by flag set or traffic type included).
    pub fn all_segments_used(&self) -> SegmentsUsed {
        let mut walk = Walk::default();
        for name in &self.insertion_order {
            walk.flag(self, name);
        }
        walk.run(self)
    }

    /// The standard segments the loaded rules reference (spec §7.2): every `IN_SEGMENT` matcher of
    /// every flag and rule-based segment, and every `standard` exclusion, sorted.
    pub fn referenced_segments(&self) -> Vec<String> {
        let mut names = FxHashSet::default();
        let mut from_rules = |rules: &Rules| {
            if let Rules::Conditions(conds) = rules {
                for m in conds.iter().flat_map(|c| c.matchers.iter()) {
                    if let MatcherKind::InSegment(n) = &m.kind {
                        names.insert(n.clone());
                    }
                }
            }
        };
        for f in self.flags.values() {
            from_rules(&f.rules);
        }
        for r in self.rule_based_segments.values() {
            from_rules(&r.rules);
        }
        for r in self.rule_based_segments.values() {
            for e in &r.excluded_segments {
                if let ExcludedSegmentRef::Standard(n) = e {
                    names.insert(n.clone());
                }
            }
        }
        let mut names: Vec<String> = names.into_iter().collect();
        crate::order::sort(&mut names);
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_object_order_puts_array_indexes_first() {
        assert_eq!(is_array_index("123"), Some(123));
        assert_eq!(is_array_index("0"), Some(0));
        assert_eq!(is_array_index("01"), None);
        assert_eq!(is_array_index("-1"), None);
        assert_eq!(is_array_index("4294967295"), None);
        assert_eq!(is_array_index(""), None);
    }

    fn body(flags: &[(&str, &str, &[&str])], till: i64) -> String {
        let flags: Vec<serde_json::Value> = flags
            .iter()
            .map(|(name, status, sets)| {
                serde_json::json!({"name": name, "status": status, "sets": sets, "seed": 1, "defaultTreatment": "off",
                    "conditions": [{"matcherGroup": {"combiner": "AND", "matchers": [{"matcherType": "ALL_KEYS"}]},
                    "partitions": [{"treatment": "on", "size": 100}]}]})
            })
            .collect();
        serde_json::json!({"ff": {"d": flags, "s": -1, "t": till}}).to_string()
    }

    #[test]
    fn flags_outside_the_filter_are_not_stored() {
        let filter = FlagFilter::by_sets(&["a"]).unwrap();
        let mut s = Snapshot::new().with_filter(filter.clone());
        let summary = s
            .apply_split_changes_json(&body(
                &[("in", "ACTIVE", &["a", "b"]), ("out", "ACTIVE", &["b"]), ("none", "ACTIVE", &[])],
                5,
            ))
            .unwrap();
        assert_eq!(s.flag_names(), ["in"]);
        assert_eq!((summary.flags_upserted, summary.flags_removed), (1, 0));
        assert_eq!(s.filter(), &filter);
        // A flag leaving the filter is removed like an archived one; the change number moves.
        let summary = s.apply_split_changes_json(&body(&[("in", "ACTIVE", &["b"])], 6)).unwrap();
        assert_eq!(s.flag_count(), 0);
        assert_eq!(summary.flags_removed, 1);
        assert_eq!(s.flags_change_number(), 6);
        assert!(s.flag_names_in_set("b").is_empty());
    }

    #[test]
    fn names_and_prefixes_filter_flags() {
        let filter = FlagFilter::by_names_and_prefixes(&["exact"], &["exp_"]).unwrap();
        let mut s = Snapshot::new().with_filter(filter);
        s.apply_split_changes_json(&body(
            &[("exact", "ACTIVE", &[]), ("exp_1", "ACTIVE", &[]), ("other", "ACTIVE", &[]), ("exp_2", "ARCHIVED", &[])],
            5,
        ))
        .unwrap();
        assert_eq!(s.flag_names(), ["exact", "exp_1"]);
    }

    #[test]
    fn setting_a_filter_removes_the_loaded_flags_outside_it() {
        let mut s = Snapshot::new();
        s.apply_split_changes_json(&body(
            &[("x", "ACTIVE", &["a"]), ("y", "ACTIVE", &["b"]), ("z", "ACTIVE", &["a"])],
            5,
        ))
        .unwrap();
        assert_eq!(s.set_filter(FlagFilter::by_sets(&["a"]).unwrap()), 1);
        assert_eq!(s.flag_names(), ["x", "z"]);
        assert_eq!(s.flag_names_in_set("b"), Vec::<&str>::new());
        assert_eq!(s.flag_names_in_set("a"), ["x", "z"]);
        assert_eq!(s.set_filter(FlagFilter::none()), 0);
        assert_eq!(s.flag_names(), ["x", "z"]);
    }

    #[test]
    fn clearing_rules_keeps_segments_and_filter() {
        let mut s = Snapshot::new().with_filter(FlagFilter::by_sets(&["a"]).unwrap());
        s.apply_split_changes_json(&body(&[("x", "ACTIVE", &["a"])], 5)).unwrap();
        s.apply_segment_change_json(r#"{"name":"seg","added":["k"],"till":3}"#).unwrap();
        s.clear_rules();
        assert_eq!((s.flag_count(), s.flags_change_number(), s.rule_based_segments_change_number()), (0, -1, -1));
        assert!(s.flag_names().is_empty() && s.flag_names_in_set("a").is_empty());
        assert!(s.in_segment("seg", "k"));
        assert!(!s.filter().is_empty());
    }
}
