//! Compiled flags and rule-based segments.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use super::definition::Definition;
use super::matcher::{compile_matcher, CompileCache, CompiledMatcher, TransformFailure};
use crate::model::{Condition, FeatureFlag, RuleBasedSegment};

/// How a definition's conditions behave, decided at load time exactly as the JS SDK's parser
/// decides them on every evaluation.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub enum Rules {
    /// The conditions, in order.
    Conditions(Vec<CompiledCondition>),
    /// An unknown matcher type or a condition without matchers (or no conditions at all, for
    /// flags): `control` with label `targeting rule type unsupported by sdk`.
    Unsupported,
    /// The JS SDK throws when it parses this definition (partitions not adding up to 100, null
    /// rule data, ...). split-edge answers `control` with label `exception`.
    Throws(String),
}

/// One compiled condition.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct CompiledCondition {
    /// `ROLLOUT` conditions apply traffic allocation.
    pub rollout: bool,
    /// The matchers, ANDed.
    pub matchers: Vec<CompiledMatcher>,
    /// The partitions; `None` when the condition has none (rule-based segments).
    pub partitions: Option<Partitions>,
    /// The label (`default rule` when missing).
    pub label: String,
}

/// A condition's partitions with their running totals.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct Partitions {
    /// `(running total, treatment)`: the first entry whose total is `>= bucket` wins.
    pub ranges: Vec<(f64, String)>,
}

impl Partitions {
    /// The treatment for a bucket in 1..=100.
    pub fn treatment_for(&self, bucket: u8) -> Option<&str> {
        let b = f64::from(bucket);
        self.ranges.iter().find(|(total, _)| b <= *total).map(|(_, t)| t.as_str())
    }

    /// Whether the partitions divide buckets 1..=100 between more than one treatment (a
    /// percentage rollout), rather than giving every bucket one treatment.
    pub fn divides(&self) -> bool {
        let mut previous: f64 = 0.0;
        let mut served: Option<&str> = None;
        for (total, treatment) in &self.ranges {
            let (from, to) = (previous.max(0.0), total.min(100.0));
            previous = *total;
            if to > from {
                match served {
                    Some(t) if t != treatment => return true,
                    _ => served = Some(treatment),
                }
            }
        }
        false
    }
}

/// Accepted treatments of a prerequisite, as the JS `ts.indexOf(treatment)` sees them.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub enum PrerequisiteTreatments {
    /// A list: exact membership of string entries.
    List(Vec<String>),
    /// A string: JS `String.prototype.indexOf`, i.e. substring search.
    Text(String),
    /// Anything else: the JS SDK throws.
    Invalid,
}

/// One prerequisite.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct CompiledPrerequisite {
    /// The flag (`None` evaluates as a missing flag).
    pub flag: Option<String>,
    /// The accepted treatments.
    pub treatments: PrerequisiteTreatments,
}

impl CompiledPrerequisite {
    /// Whether a prerequisite evaluation's treatment is accepted; `None` where JS throws.
    pub fn accepts(&self, treatment: &str) -> Option<bool> {
        match &self.treatments {
            PrerequisiteTreatments::List(ts) => Some(ts.iter().any(|t| t == treatment)),
            PrerequisiteTreatments::Text(s) => Some(s.contains(treatment)),
            PrerequisiteTreatments::Invalid => None,
        }
    }
}

/// A feature flag ready to evaluate.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct CompiledFlag {
    /// The flag's name.
    pub name: String,
    /// Its traffic type, if any.
    pub traffic_type: Option<String>,
    /// Partition seed, as the int32 whose bits JS `seed >>> 0` reads.
    pub seed: i32,
    /// Traffic allocation (`None`: missing, which behaves as 100).
    pub traffic_allocation: Option<f64>,
    /// Traffic allocation seed.
    pub traffic_allocation_seed: i32,
    /// `status == "ARCHIVED"`.
    pub archived: bool,
    /// Kill switch.
    pub killed: bool,
    /// Default treatment (`control` when the definition's is not a string).
    pub default_treatment: String,
    /// Change number.
    pub change_number: Option<i64>,
    /// Rules.
    pub rules: Rules,
    /// Prerequisites, in order.
    pub prerequisites: Vec<CompiledPrerequisite>,
    /// `configurations[treatment]`, non-empty ones only (JS `|| null`).
    #[cfg_attr(feature = "binary", serde(serialize_with = "super::binary::sorted_map"))]
    pub configs: FxHashMap<String, String>,
    /// Flag sets.
    pub sets: Vec<String>,
    /// `impressionsDisabled`.
    pub impressions_disabled: bool,
    /// The definition as loaded (manager views read it, through [`CompiledFlag::definition`]).
    pub(crate) definition: Definition<FeatureFlag>,
}

/// Where a rule-based segment's exclusion points.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub enum ExcludedSegmentRef {
    /// A standard segment.
    Standard(String),
    /// A large segment.
    Large(String),
    /// Another rule-based segment.
    RuleBased(String),
    /// An unknown type or a missing name: never excludes.
    Ignored,
}

/// A rule-based segment ready to evaluate.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct CompiledRuleBasedSegment {
    /// Its name.
    pub name: String,
    /// Its change number.
    pub change_number: Option<i64>,
    /// Excluded matching keys.
    #[cfg_attr(feature = "binary", serde(serialize_with = "super::binary::sorted_set"))]
    pub excluded_keys: FxHashSet<String>,
    /// Excluded segments, in order.
    pub excluded_segments: Vec<ExcludedSegmentRef>,
    /// Its conditions (`Conditions(vec![])` when it has none: nobody matches).
    pub rules: Rules,
    /// The definition as loaded (see [`CompiledRuleBasedSegment::definition`]).
    pub(crate) definition: Definition<RuleBasedSegment>,
}

/// JS `x >>> 0` for a double, as an int32 bit pattern.
fn to_int32_bits(x: Option<f64>) -> i32 {
    let x = x.unwrap_or(0.0);
    if !x.is_finite() {
        return 0;
    }
    let m = x.trunc().rem_euclid(4_294_967_296.0);
    // `m` is in [0, 2^32): the cast is exact.
    (m as u64 as u32) as i32
}

/// Compiles conditions as JS `parser()` does: condition by condition, a transform failure throws,
/// an unknown matcher or an empty matcher list makes the whole definition unsupported, and
/// partitions that do not add up to exactly 100 throw.
fn compile_rules(conditions: Option<&[Condition]>, cache: &mut CompileCache) -> Rules {
    let Some(conditions) = conditions else {
        return Rules::Throws("conditions is null".to_owned());
    };
    let mut compiled = Vec::with_capacity(conditions.len());
    for (i, c) in conditions.iter().enumerate() {
        let Some(matchers) = c.matcher_group.as_ref().and_then(|g| g.matchers.as_ref()) else {
            return Rules::Throws(format!("conditions[{i}] has no matcherGroup.matchers"));
        };
        let mut unsupported = false;
        let mut out = Vec::with_capacity(matchers.len());
        for m in matchers {
            match compile_matcher(m, cache) {
                Ok(cm) => out.push(cm),
                Err(TransformFailure::Unsupported) => unsupported = true,
                Err(TransformFailure::Throws(why)) => return Rules::Throws(format!("conditions[{i}]: {why}")),
            }
        }
        if unsupported || out.is_empty() {
            return Rules::Unsupported;
        }
        let partitions = match &c.partitions {
            None => None,
            Some(list) => match accumulate(list.iter().map(|p| (p.size.as_ref(), p.treatment.as_str()))) {
                Some(p) => Some(p),
                None => return Rules::Throws(format!("conditions[{i}].partitions do not add up to 100")),
            },
        };
        compiled.push(CompiledCondition {
            rollout: c.condition_type.as_deref() == Some("ROLLOUT"),
            matchers: out,
            partitions,
            label: c.label.clone().unwrap_or_else(|| crate::labels::DEFAULT_RULE.to_owned()),
        });
    }
    Rules::Conditions(compiled)
}

/// Accumulates partition sizes as JS `accum.inc += size`; `None` where JS's final total is not 100.
fn accumulate<'a>(parts: impl Iterator<Item = (Option<&'a Value>, &'a str)>) -> Option<Partitions> {
    let mut total = 0.0_f64;
    let mut ranges = Vec::new();
    for (size, treatment) in parts {
        let size = match size {
            Some(Value::Number(n)) => n.as_f64()?,
            Some(Value::Null) => 0.0,
            Some(Value::Bool(b)) => f64::from(u8::from(*b)),
            _ => return None, // undefined → NaN; strings and arrays concatenate: never 100
        };
        total += size;
        ranges.push((total, treatment.to_owned()));
    }
    if ranges.last().map(|(t, _)| *t) == Some(100.0) {
        Some(Partitions { ranges })
    } else {
        None
    }
}

impl CompiledFlag {
    /// Compiles a flag definition.
    pub fn compile(def: FeatureFlag) -> CompiledFlag {
        Self::compile_with(def, &mut CompileCache::default())
    }

    /// Compiles a flag definition, sharing compiled regexes through `cache`.
    pub(crate) fn compile_with(def: FeatureFlag, cache: &mut CompileCache) -> CompiledFlag {
        let rules = match compile_rules(def.conditions.as_deref(), cache) {
            Rules::Conditions(c) if c.is_empty() => Rules::Unsupported,
            other => other,
        };
        let prerequisites = def
            .prerequisites
            .iter()
            .flatten()
            .map(|p| CompiledPrerequisite {
                flag: p.n.clone(),
                treatments: match &p.ts {
                    Some(Value::Array(ts)) => {
                        PrerequisiteTreatments::List(ts.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
                    }
                    Some(Value::String(s)) => PrerequisiteTreatments::Text(s.clone()),
                    _ => PrerequisiteTreatments::Invalid,
                },
            })
            .collect();
        let configs = def
            .configurations
            .iter()
            .flatten()
            .filter_map(|(treatment, config)| {
                let text = match config {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    Value::String(_) | Value::Null | Value::Bool(false) => return None,
                    Value::Number(n) if n.as_f64() == Some(0.0) => return None,
                    other => other.to_string(),
                };
                Some((treatment.clone(), text))
            })
            .collect();
        CompiledFlag {
            name: def.name.clone(),
            traffic_type: def.traffic_type_name.clone(),
            seed: to_int32_bits(def.seed),
            traffic_allocation: def.traffic_allocation,
            traffic_allocation_seed: to_int32_bits(def.traffic_allocation_seed),
            archived: def.status.as_deref() == Some("ARCHIVED"),
            killed: def.killed.unwrap_or(false),
            default_treatment: match &def.default_treatment {
                Some(Value::String(s)) => s.clone(),
                _ => crate::labels::CONTROL.to_owned(),
            },
            change_number: def.change_number,
            rules,
            prerequisites,
            configs,
            sets: def.sets.clone().unwrap_or_default(),
            impressions_disabled: def.impressions_disabled == Some(true),
            definition: Definition::parsed(def),
        }
    }

    /// The configuration of a treatment (`configurations[treatment] || null`).
    pub fn config_for(&self, treatment: &str) -> Option<&str> {
        self.configs.get(treatment).map(String::as_str)
    }

    /// The definition as loaded. After a binary decode it is parsed from its JSON text on first
    /// use; evaluation never reads it.
    pub fn definition(&self) -> &FeatureFlag {
        self.definition.get_or(|| FeatureFlag {
            // Only for JSON text that does not parse (bytes not written by this crate): what the
            // compiled flag knows.
            name: self.name.clone(),
            traffic_type_name: self.traffic_type.clone(),
            seed: Some(f64::from(self.seed)),
            traffic_allocation: self.traffic_allocation,
            traffic_allocation_seed: Some(f64::from(self.traffic_allocation_seed)),
            status: Some(if self.archived { "ARCHIVED" } else { "ACTIVE" }.to_owned()),
            killed: Some(self.killed),
            default_treatment: Some(Value::String(self.default_treatment.clone())),
            change_number: self.change_number,
            conditions: None,
            configurations: Some(self.configs.iter().map(|(t, c)| (t.clone(), Value::String(c.clone()))).collect()),
            sets: Some(self.sets.clone()),
            impressions_disabled: Some(self.impressions_disabled),
            prerequisites: None,
            algo: None,
        })
    }
}

impl CompiledRuleBasedSegment {
    /// Compiles a rule-based segment definition.
    pub fn compile(def: RuleBasedSegment) -> CompiledRuleBasedSegment {
        Self::compile_with(def, &mut CompileCache::default())
    }

    /// Compiles a rule-based segment definition, sharing compiled regexes through `cache`.
    pub(crate) fn compile_with(def: RuleBasedSegment, cache: &mut CompileCache) -> CompiledRuleBasedSegment {
        let excluded = def.excluded.as_ref();
        let excluded_keys = excluded
            .and_then(|e| e.keys.as_ref())
            .map(|keys| keys.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let excluded_segments = excluded
            .and_then(|e| e.segments.as_ref())
            .map(|segs| {
                segs.iter()
                    .map(|s| match (s.kind.as_deref(), s.name.clone()) {
                        (Some("standard"), Some(n)) => ExcludedSegmentRef::Standard(n),
                        (Some("large"), Some(n)) => ExcludedSegmentRef::Large(n),
                        (Some("rule-based"), Some(n)) => ExcludedSegmentRef::RuleBased(n),
                        _ => ExcludedSegmentRef::Ignored,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let rules = match def.conditions.as_deref() {
            None | Some([]) => Rules::Conditions(Vec::new()),
            Some(conds) => compile_rules(Some(conds), cache),
        };
        CompiledRuleBasedSegment {
            name: def.name.clone(),
            change_number: def.change_number,
            excluded_keys,
            excluded_segments,
            rules,
            definition: Definition::parsed(def),
        }
    }

    /// The definition as loaded. After a binary decode it is parsed from its JSON text on first
    /// use; evaluation never reads it.
    pub fn definition(&self) -> &RuleBasedSegment {
        self.definition.get_or(|| RuleBasedSegment {
            // Only for JSON text that does not parse (bytes not written by this crate).
            name: self.name.clone(),
            change_number: self.change_number,
            status: None,
            traffic_type_name: None,
            excluded: None,
            conditions: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_js_uint32_bits() {
        assert_eq!(to_int32_bits(Some(-5.0)), -5);
        assert_eq!(to_int32_bits(Some(4_294_967_295.0)), -1);
        assert_eq!(to_int32_bits(Some(2_147_483_648.0)), i32::MIN);
        assert_eq!(to_int32_bits(Some(1.9)), 1);
        assert_eq!(to_int32_bits(None), 0);
        assert_eq!(to_int32_bits(Some(f64::NAN)), 0);
    }

    #[test]
    fn partitions_must_add_up_to_exactly_100() {
        let n = |x: f64| serde_json::json!(x);
        let (a, b, c) = (n(50.0), n(50.0), n(49.0));
        assert!(accumulate([(Some(&a), "on"), (Some(&b), "off")].into_iter()).is_some());
        assert!(accumulate([(Some(&a), "on"), (Some(&c), "off")].into_iter()).is_none());
        assert!(accumulate(std::iter::empty()).is_none());
        let s = serde_json::json!("100");
        assert!(accumulate([(Some(&s), "on")].into_iter()).is_none());
        let p = accumulate([(Some(&a), "on"), (Some(&b), "off")].into_iter()).unwrap();
        assert_eq!(p.treatment_for(50), Some("on"));
        assert_eq!(p.treatment_for(51), Some("off"));
    }
}
