//! The evaluation engine (spec §2): one flag, for one key and attributes, against a [`Snapshot`].
//!
//! It follows javascript-commons' `Engine.ts` and `parser`: an archived flag answers `control`,
//! a killed one its default treatment, then prerequisites, then the conditions in order with the
//! traffic allocation applied at the first ROLLOUT condition. Dependencies (`IN_SPLIT_TREATMENT`,
//! prerequisites, rule-based segments) are evaluated recursively with a bounded depth
//! ([`MAX_DEPTH`]) and a bounded amount of work per top-level evaluation ([`MAX_NESTED`]): past
//! either bound a dependency does not match, so a cycle cannot overflow the stack.

mod attributes;
mod matchers;
pub mod sanitize;

pub use attributes::{AttributeEntry, AttributeValue, AttributeView};

use std::cell::Cell;

use serde_json::{Map, Value};

use crate::compiled::{CompiledCondition, CompiledFlag, CompiledRuleBasedSegment, ExcludedSegmentRef, Rules};
use crate::hash::bucket;
use crate::key::KeyRef;
use crate::labels;
use crate::snapshot::Snapshot;

/// Attributes passed with an evaluation: a JSON object.
pub type Attributes = Map<String, Value>;

/// How deep dependencies may nest (flag → dependency → ...).
pub const MAX_DEPTH: u32 = 64;
/// How many nested evaluations (dependencies, prerequisites, rule-based segments) one top-level
/// evaluation may perform.
pub const MAX_NESTED: u32 = 20_000;

/// The engine's answer for one flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<'a> {
    /// The treatment.
    pub treatment: &'a str,
    /// The label.
    pub label: &'a str,
    /// Which condition decided (its index), if one did.
    pub condition: Option<usize>,
    /// The traffic-allocation bucket, when it was computed.
    pub traffic_bucket: Option<u8>,
    /// The partition bucket, when it was computed.
    pub partition_bucket: Option<u8>,
}

impl<'a> Outcome<'a> {
    fn plain(treatment: &'a str, label: &'a str) -> Outcome<'a> {
        Outcome { treatment, label, condition: None, traffic_bucket: None, partition_bucket: None }
    }
}

/// The JS SDK would throw here (the reason says why); callers answer `control` / `exception`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thrown(pub String);

/// Evaluates flags of one snapshot, keeping the nesting budget of one top-level evaluation.
pub(crate) struct Engine<'a> {
    snapshot: &'a Snapshot,
    nested_left: Cell<u32>,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot) -> Engine<'a> {
        Engine { snapshot, nested_left: Cell::new(MAX_NESTED) }
    }

    /// Takes one unit of nesting budget; false when the budget or the depth is exhausted.
    fn enter(&self, depth: u32) -> bool {
        let left = self.nested_left.get();
        if depth >= MAX_DEPTH || left == 0 {
            return false;
        }
        self.nested_left.set(left.saturating_sub(1));
        true
    }

    /// Evaluates `flag` for `key` (spec §2.3).
    pub(crate) fn evaluate(
        &self,
        flag: &'a CompiledFlag,
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> Result<Outcome<'a>, Thrown> {
        if let Rules::Throws(why) = &flag.rules {
            return Err(Thrown(format!("feature flag {:?}: {why}", flag.name)));
        }
        if flag.archived {
            return Ok(Outcome::plain(labels::CONTROL, labels::ARCHIVED));
        }
        if flag.killed {
            return Ok(Outcome::plain(&flag.default_treatment, labels::KILLED));
        }
        for prerequisite in &flag.prerequisites {
            let met = match self.evaluate_dependency(prerequisite.flag.as_deref(), key, attributes, depth)? {
                Some(treatment) => prerequisite.accepts(treatment).ok_or_else(|| {
                    Thrown(format!("feature flag {:?}: a prerequisite's ts is not a list", flag.name))
                })?,
                None => false,
            };
            if !met {
                return Ok(Outcome::plain(&flag.default_treatment, labels::PREREQUISITES_NOT_MET));
            }
        }
        let conditions = match &flag.rules {
            Rules::Conditions(c) => c,
            Rules::Unsupported | Rules::Throws(_) => {
                return Ok(Outcome::plain(labels::CONTROL, labels::UNSUPPORTED_MATCHER_TYPE));
            }
        };
        let Some(bucketing) = key.bucketing.as_str() else {
            return self.evaluate_unbucketable(flag, conditions, key, attributes, depth);
        };
        let mut traffic_bucket = None;
        for (index, condition) in conditions.iter().enumerate() {
            if condition.rollout {
                if let Some(allocation) = flag.traffic_allocation.filter(|a| *a < 100.0) {
                    let tb = *traffic_bucket.get_or_insert_with(|| bucket(bucketing, flag.traffic_allocation_seed));
                    if f64::from(tb) > allocation {
                        return Ok(Outcome {
                            treatment: &flag.default_treatment,
                            label: labels::NOT_IN_SPLIT,
                            condition: Some(index),
                            traffic_bucket,
                            partition_bucket: None,
                        });
                    }
                }
            }
            if self.condition_matches(condition, key, attributes, depth) {
                let Some(partitions) = &condition.partitions else {
                    // JS: a matched condition without partitions yields `true`, read as the default.
                    return Ok(Outcome {
                        treatment: &flag.default_treatment,
                        label: labels::DEFAULT_RULE,
                        condition: Some(index),
                        traffic_bucket,
                        partition_bucket: None,
                    });
                };
                let pb = bucket(bucketing, flag.seed);
                let treatment = partitions.treatment_for(pb).unwrap_or(&flag.default_treatment);
                return Ok(Outcome {
                    treatment,
                    label: &condition.label,
                    condition: Some(index),
                    traffic_bucket,
                    partition_bucket: Some(pb),
                });
            }
        }
        Ok(Outcome {
            treatment: &flag.default_treatment,
            label: labels::DEFAULT_RULE,
            condition: None,
            traffic_bucket,
            partition_bucket: None,
        })
    }

    /// The conditions for a key whose bucketing part is not a string (only reachable through an
    /// attribute-keyed dependency). JS evaluates every condition, and hashing a non-string throws:
    /// so any ROLLOUT condition under a traffic allocation below 100, or any matching condition
    /// with partitions, throws; otherwise the first matching condition answers the default.
    fn evaluate_unbucketable(
        &self,
        flag: &'a CompiledFlag,
        conditions: &[CompiledCondition],
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> Result<Outcome<'a>, Thrown> {
        let allocated = flag.traffic_allocation.is_some_and(|a| a < 100.0);
        let thrown = || Thrown(format!("feature flag {:?}: the key cannot be hashed (not a string)", flag.name));
        let mut first = None;
        for (index, condition) in conditions.iter().enumerate() {
            if condition.rollout && allocated {
                return Err(thrown());
            }
            if self.condition_matches(condition, key, attributes, depth) {
                if condition.partitions.is_some() {
                    return Err(thrown());
                }
                first.get_or_insert(index);
            }
        }
        Ok(Outcome {
            treatment: &flag.default_treatment,
            label: labels::DEFAULT_RULE,
            condition: first,
            traffic_bucket: None,
            partition_bucket: None,
        })
    }

    /// Whether every matcher of a condition matches.
    pub(crate) fn condition_matches(
        &self,
        condition: &CompiledCondition,
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> bool {
        condition.matchers.iter().all(|m| self.matcher_matches(m, key, attributes, depth))
    }

    /// Evaluates a dependency (prerequisite or `IN_SPLIT_TREATMENT`) by name: `Ok(None)` when the
    /// nesting bounds are exhausted, `Err` when the dependency throws.
    fn evaluate_dependency(
        &self,
        name: Option<&str>,
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> Result<Option<&'a str>, Thrown> {
        if !self.enter(depth) {
            return Ok(None);
        }
        match name.and_then(|n| self.snapshot.flag(n)) {
            None => Ok(Some(labels::CONTROL)),
            Some(flag) => self.evaluate(flag, key, attributes, depth.saturating_add(1)).map(|o| Some(o.treatment)),
        }
    }

    /// `IN_RULE_BASED_SEGMENT` (spec §2.8).
    fn in_rule_based_segment(
        &self,
        name: &str,
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> bool {
        if !self.enter(depth) {
            return false;
        }
        match self.snapshot.rule_based_segment(name) {
            None => false,
            Some(rbs) => {
                !self.excluded(rbs, key, attributes, depth.saturating_add(1))
                    && self.rbs_conditions_match(rbs, key, attributes, depth.saturating_add(1))
            }
        }
    }

    fn excluded(
        &self,
        rbs: &CompiledRuleBasedSegment,
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> bool {
        let matching = key.matching.as_str();
        matching.is_some_and(|m| rbs.excluded_keys.contains(m))
            || rbs.excluded_segments.iter().any(|e| match e {
                ExcludedSegmentRef::Standard(n) => matching.is_some_and(|m| self.snapshot.in_segment(n, m)),
                ExcludedSegmentRef::Large(n) => matching.is_some_and(|m| self.snapshot.in_large_segment(n, m)),
                ExcludedSegmentRef::RuleBased(n) => self.in_rule_based_segment(n, key, attributes, depth),
                ExcludedSegmentRef::Ignored => false,
            })
    }

    fn rbs_conditions_match(
        &self,
        rbs: &CompiledRuleBasedSegment,
        key: KeyRef<'_>,
        attributes: Option<AttributeView<'_>>,
        depth: u32,
    ) -> bool {
        match &rbs.rules {
            Rules::Conditions(conds) if key.bucketing.as_str().is_some() => {
                conds.iter().any(|c| self.condition_matches(c, key, attributes, depth))
            }
            // Every condition is evaluated; one that matches with partitions hashes the key, which
            // throws for a non-string key, and the thrown matcher is false.
            Rules::Conditions(conds) => {
                let mut matched = false;
                for c in conds {
                    if self.condition_matches(c, key, attributes, depth) {
                        if c.partitions.is_some() {
                            return false;
                        }
                        matched = true;
                    }
                }
                matched
            }
            // JS quirk: the unsupported handler's result object is truthy, so everyone matches.
            Rules::Unsupported => true,
            Rules::Throws(_) => false,
        }
    }
}
