//! Explanations: how an evaluation was decided, condition by condition, matcher by matcher.
//!
//! For explanation pages and debugging. The answer itself comes from the normal evaluation path
//! ([`Client::evaluate`]); the trace re-runs each condition's matchers to show why the
//! conditions before the deciding one did not match.

use serde::Serialize;

use crate::client::{Client, EvaluationOptions, TreatmentResult};
use crate::compiled::{Rules, ValueSource};
use crate::eval::{AttributeView, Attributes, Engine};
use crate::key::Key;
use crate::validate;

/// One matcher's result in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatcherTrace {
    /// The matcher type (`IN_SEGMENT`, ...).
    pub matcher_type: String,
    /// The attribute it reads (`None`: the key).
    pub attribute: Option<String>,
    /// Whether it is negated.
    pub negate: bool,
    /// Its result, negation applied.
    pub matched: bool,
}

/// One condition's result in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionTrace {
    /// Its position.
    pub index: usize,
    /// Its label.
    pub label: String,
    /// Whether it is a ROLLOUT condition (traffic allocation applies).
    pub rollout: bool,
    /// Whether all its matchers matched.
    pub matched: bool,
    /// Each matcher's result.
    pub matchers: Vec<MatcherTrace>,
}

/// An answer with the trace of how it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation<'s> {
    /// The answer, as [`Client::evaluate`] gives it.
    pub result: TreatmentResult<'s>,
    /// Every condition up to and including the deciding one (all of them when none decided).
    /// Empty when the flag is missing, killed, unsupported, when its prerequisites were not met
    /// (no condition is evaluated then), or when the input was rejected.
    pub conditions: Vec<ConditionTrace>,
}

impl<'s> Client<'s> {
    /// Evaluates one flag and traces its conditions.
    pub fn explain(&self, key: &Key, flag: &str, attributes: Option<&Attributes>) -> Explanation<'s> {
        let result = self.evaluate(key, flag, attributes, &EvaluationOptions::default());
        let mut conditions = Vec::new();
        let traced = validate::key(key).ok().zip(validate::flag_name(flag, "feature flag name").ok());
        if let Some((key, name)) = traced {
            if let Some(f) = self.snapshot().flag(name) {
                let traces_conditions =
                    result.label.as_deref().is_some_and(|l| l != crate::labels::PREREQUISITES_NOT_MET)
                        && !f.killed
                        && !f.archived;
                if let (Rules::Conditions(conds), true) = (&f.rules, traces_conditions) {
                    let engine = Engine::new(self.snapshot());
                    engine.begin(f, key.as_ref());
                    let last = result.decision.condition.unwrap_or(usize::MAX);
                    for (index, c) in conds.iter().enumerate().take_while(|(i, _)| *i <= last) {
                        let matchers: Vec<MatcherTrace> = c
                            .matchers
                            .iter()
                            .map(|m| MatcherTrace {
                                matcher_type: m.type_name.clone(),
                                attribute: match &m.source {
                                    ValueSource::Key => None,
                                    ValueSource::Attribute(a) => Some(a.clone()),
                                },
                                negate: m.negate,
                                matched: engine.matcher_matches(m, key.as_ref(), attributes.map(AttributeView::Map), 0),
                            })
                            .collect();
                        conditions.push(ConditionTrace {
                            index,
                            label: c.label.clone(),
                            rollout: c.rollout,
                            matched: matchers.iter().all(|m| m.matched),
                            matchers,
                        });
                    }
                }
            }
        }
        Explanation { result, conditions }
    }
}
