//! The evaluation engine (spec §2): one flag, for one key and attributes, against a [`Snapshot`].
//!
//! It follows javascript-commons' `Engine.ts` and `parser`: an archived flag answers `control`,
//! a killed one its default treatment, then prerequisites, then the conditions in order with the
//! traffic allocation applied at the first ROLLOUT condition. Dependencies (`IN_SPLIT_TREATMENT`,
//! prerequisites, rule-based segments) are evaluated recursively, and the cost of one top-level
//! evaluation is bounded three ways:
//!
//! - **memoized dependencies**: within one top-level evaluation, a flag or rule-based segment is
//!   evaluated at most once per key (the attributes are the same throughout), so JS's answer is
//!   computed once however often it is asked for;
//! - **cycles end at their first repetition**: a dependency on a flag (or segment) that is being
//!   evaluated for the same key does not match, which is what the innermost level of JS's
//!   recursion answers (its stack overflows and the matcher catches the error); a chain of
//!   distinct flags deeper than [`MAX_DEPTH`] ends the same way;
//! - **a step budget** ([`MAX_STEPS`]): an evaluation that takes more steps answers `control`
//!   with label `exception`.

mod attributes;
mod budget;
mod matchers;
mod memo;
pub mod sanitize;

pub use attributes::{AttributeEntry, AttributeValue, AttributeView};
pub use budget::{MAX_STEPS, REGEX_UNITS_PER_STEP};

use std::cell::{Cell, RefCell};

use serde_json::{Map, Value};

use crate::compiled::{CompiledCondition, CompiledFlag, CompiledRuleBasedSegment, ExcludedSegmentRef, Rules};
use crate::hash::bucket;
use crate::key::KeyRef;
use crate::labels;
use crate::snapshot::Snapshot;
use budget::Budget;
use memo::{Memo, State};

/// Attributes passed with an evaluation: a JSON object.
pub type Attributes = Map<String, Value>;

/// How deep dependencies may nest (flag → dependency → ...); past it a dependency does not match.
pub const MAX_DEPTH: u32 = 64;

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

/// The memoized answer of `definition` for `key`, computed by `compute` the first time it is
/// asked for; `None` when it is asked for again while being computed (a cycle).
fn once<'k, D, T: Clone>(
    memo: &RefCell<Memo<'k, T>>,
    definition: &D,
    key: KeyRef<'k>,
    compute: impl FnOnce() -> T,
) -> Option<T> {
    match memo.borrow().get(definition, key) {
        Some(State::Running) => return None,
        Some(State::Done(answer)) => return Some(answer),
        None => {}
    }
    memo.borrow_mut().set(definition, key, State::Running);
    let answer = compute();
    memo.borrow_mut().set(definition, key, State::Done(answer.clone()));
    Some(answer)
}

/// A dependency's answer as memoized: its treatment, or what it threw.
type FlagAnswer<'a> = Result<&'a str, Thrown>;

/// Evaluates flags of one snapshot for one top-level evaluation: its key and attributes (`'k`),
/// its memoized dependencies and its step budget.
pub(crate) struct Engine<'a, 'k> {
    snapshot: &'a Snapshot,
    budget: Budget,
    /// The top-level flag and key: a dependency on them is a cycle (kept apart from the memo so
    /// that a flag without dependencies allocates nothing).
    top: Cell<Option<(&'a CompiledFlag, KeyRef<'k>)>>,
    flags: RefCell<Memo<'k, FlagAnswer<'a>>>,
    segments: RefCell<Memo<'k, bool>>,
}

impl<'a, 'k> Engine<'a, 'k> {
    pub(crate) fn new(snapshot: &'a Snapshot) -> Engine<'a, 'k> {
        Engine::with_budget(snapshot, Budget::new())
    }

    fn with_budget(snapshot: &'a Snapshot, budget: Budget) -> Engine<'a, 'k> {
        Engine {
            snapshot,
            budget,
            top: Cell::new(None),
            flags: RefCell::new(Memo::new()),
            segments: RefCell::new(Memo::new()),
        }
    }

    /// Marks `flag` for `key` as the top-level evaluation (for tracing its matchers one by one).
    pub(crate) fn begin(&self, flag: &'a CompiledFlag, key: KeyRef<'k>) {
        self.top.set(Some((flag, key)));
    }

    /// Charges one step for a nested evaluation; false when the depth or the budget is exhausted.
    fn enter(&self, depth: u32) -> bool {
        depth < MAX_DEPTH && self.budget.charge(1)
    }

    /// Whether the step budget ran out: the evaluation's answer no longer counts.
    pub(crate) fn exceeded(&self) -> bool {
        self.budget.exceeded()
    }

    /// Evaluates `flag` for `key` as one top-level evaluation (spec §2.3): `Err` when it throws
    /// or exceeds [`MAX_STEPS`].
    pub(crate) fn evaluate(
        &self,
        flag: &'a CompiledFlag,
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
    ) -> Result<Outcome<'a>, Thrown> {
        self.begin(flag, key);
        let outcome = self.evaluate_at(flag, key, attributes, 0);
        if self.exceeded() {
            return Err(Thrown(format!(
                "feature flag {:?}: the evaluation exceeded its budget of {MAX_STEPS} steps",
                flag.name
            )));
        }
        outcome
    }

    /// Evaluates `flag` for `key` at `depth` (spec §2.3).
    fn evaluate_at(
        &self,
        flag: &'a CompiledFlag,
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
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
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
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
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
        depth: u32,
    ) -> bool {
        condition.matchers.iter().all(|m| self.matcher_matches(m, key, attributes, depth))
    }

    /// Evaluates a dependency (prerequisite or `IN_SPLIT_TREATMENT`) by name, once per key:
    /// `Ok(None)` past the depth or the budget, or on a cycle; `Err` when the dependency throws.
    fn evaluate_dependency(
        &self,
        name: Option<&str>,
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
        depth: u32,
    ) -> Result<Option<&'a str>, Thrown> {
        if !self.enter(depth) {
            return Ok(None);
        }
        let Some(flag) = name.and_then(|n| self.snapshot.flag(n)) else {
            return Ok(Some(labels::CONTROL));
        };
        if self.top.get().is_some_and(|(f, k)| std::ptr::eq(f, flag) && k == key) {
            return Ok(None);
        }
        let answer = once(&self.flags, flag, key, || {
            self.evaluate_at(flag, key, attributes, depth.saturating_add(1)).map(|o| o.treatment)
        });
        match answer {
            None => Ok(None),
            Some(answer) => answer.map(Some),
        }
    }

    /// `IN_RULE_BASED_SEGMENT` (spec §2.8).
    fn in_rule_based_segment(
        &self,
        name: &str,
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
        depth: u32,
    ) -> bool {
        if !self.enter(depth) {
            return false;
        }
        let Some(rbs) = self.snapshot.rule_based_segment(name) else {
            return false;
        };
        once(&self.segments, rbs, key, || {
            !self.excluded(rbs, key, attributes, depth.saturating_add(1))
                && self.rbs_conditions_match(rbs, key, attributes, depth.saturating_add(1))
        })
        .unwrap_or(false)
    }

    fn excluded(
        &self,
        rbs: &CompiledRuleBasedSegment,
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
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
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
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

#[cfg(test)]
mod tests;
