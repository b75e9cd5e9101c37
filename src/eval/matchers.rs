//! The matcher tests themselves (spec §4.3), on sanitized values.

use std::borrow::Cow;

use super::budget::Budget;
use super::sanitize::{self, Raw};
use super::{AttributeView, Engine};
use crate::compiled::{start_of_day, start_of_minute, CompiledMatcher, MatcherKind, ValueSource};
use crate::key::KeyRef;
use crate::semver::Semver;

fn set_contains(rule: &[Option<String>], value: &str) -> bool {
    rule.iter().any(|r| r.as_deref() == Some(value))
}

fn runtime_contains(runtime: &[Cow<'_, str>], value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| runtime.iter().any(|r| r == v))
}

impl<'k> Engine<'_, 'k> {
    /// One matcher, negation applied: a value that cannot be extracted or sanitized yields false
    /// before negation. One step of the budget; once the budget is exceeded every matcher is
    /// false (the evaluation answers `exception` then).
    pub(crate) fn matcher_matches(
        &self,
        m: &CompiledMatcher,
        key: KeyRef<'k>,
        attributes: Option<AttributeView<'k>>,
        depth: u32,
    ) -> bool {
        if !self.budget.charge(1) {
            return false;
        }
        let raw = match &m.source {
            ValueSource::Key => Some(Raw::Key(key)),
            ValueSource::Attribute(name) => attributes.and_then(|a| a.get(name)),
        };
        let matched = match &m.kind {
            // NOT_SPECIFIED values are wrapped with the attributes even when undefined.
            MatcherKind::Dependency { flag, treatments } => {
                match self.evaluate_dependency(flag.as_deref(), sanitize::as_key(raw), attributes, depth) {
                    Ok(Some(t)) => treatments.iter().any(|x| x == t),
                    // Past the depth or the budget, a cycle, or the dependency throws (JS catches it):
                    // no match.
                    Ok(None) | Err(_) => false,
                }
            }
            MatcherKind::InRuleBasedSegment(name) => {
                self.in_rule_based_segment(name, sanitize::as_key(raw), attributes, depth)
            }
            kind => raw.is_some_and(|raw| self.test(kind, raw)),
        };
        matched != m.negate
    }

    fn test(&self, kind: &MatcherKind, raw: Raw<'_>) -> bool {
        use MatcherKind as K;
        match kind {
            K::Never => false,
            K::EqualTo { value, datetime } => {
                sanitize::number(raw).is_some_and(|v| (if *datetime { start_of_day(v) } else { v }) == *value)
            }
            K::GreaterOrEqual { value, datetime } => {
                sanitize::number(raw).is_some_and(|v| (if *datetime { start_of_minute(v) } else { v }) >= *value)
            }
            K::LessOrEqual { value, datetime } => {
                sanitize::number(raw).is_some_and(|v| (if *datetime { start_of_minute(v) } else { v }) <= *value)
            }
            K::Between { start, end, datetime } => sanitize::number(raw).is_some_and(|v| {
                let v = if *datetime { start_of_minute(v) } else { v };
                v >= *start && v <= *end
            }),
            K::EqualToSet(rule) => {
                sanitize::set(raw).is_some_and(|rt| rt.len() == rule.len() && rt.iter().all(|v| set_contains(rule, v)))
            }
            K::ContainsAnyOfSet(rule) => {
                sanitize::set(raw).is_some_and(|rt| rule.iter().any(|r| runtime_contains(&rt, r)))
            }
            K::ContainsAllOfSet(rule) => sanitize::set(raw)
                .is_some_and(|rt| rt.len() >= rule.len() && rule.iter().all(|r| runtime_contains(&rt, r))),
            K::PartOfSet(rule) => {
                sanitize::set(raw).is_some_and(|rt| rt.len() <= rule.len() && rt.iter().all(|v| set_contains(rule, v)))
            }
            K::EqualToBoolean(rule) => sanitize::boolean(raw).is_some_and(|v| Some(v) == *rule),
            string_kind => sanitize::string(raw).is_some_and(|s| self.test_string(string_kind, &s)),
        }
    }

    fn test_string(&self, kind: &MatcherKind, s: &str) -> bool {
        use MatcherKind as K;
        let semver = || Semver::parse(s).ok();
        match kind {
            K::AllKeys => true,
            K::InSegment(name) => self.snapshot.in_segment(name, s),
            K::InLargeSegment(name) => self.snapshot.in_large_segment(name, s),
            K::Whitelist(set) => set.contains(s),
            K::StartsWith(list) => list.iter().any(|p| s.starts_with(p.as_str())),
            K::EndsWith(list) => list.iter().any(|p| s.ends_with(p.as_str())),
            K::ContainsString(list) => list.iter().any(|p| s.contains(p.as_str())),
            K::MatchesString(re) => self.budget.charge(Budget::regex_steps(s.len())) && re.is_match(s),
            K::EqualToSemver(rule) => semver().is_some_and(|v| v.version() == rule.version()),
            K::GreaterOrEqualSemver(rule) => semver().is_some_and(|v| v.compare(rule).is_ge()),
            K::LessOrEqualSemver(rule) => semver().is_some_and(|v| v.compare(rule).is_le()),
            K::BetweenSemver(bounds) => {
                semver().is_some_and(|v| bounds.0.compare(&v).is_le() && bounds.1.compare(&v).is_ge())
            }
            K::InListSemver(versions) => semver().is_some_and(|v| versions.contains(v.version())),
            _ => false,
        }
    }
}
