//! Matchers compiled ahead of evaluation: regexes, semvers, sets and DATETIME truncations are
//! done once at load time (spec §4.3, JS `matchersTransform` + `matcherFactory`).

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;

use super::datetime::{start_of_day, start_of_minute};
use crate::js;
use crate::model::Matcher;
use crate::regex::EcmaRegex;
use crate::semver::Semver;

/// Where a matcher takes its runtime value from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub enum ValueSource {
    /// The key (its matching key for string matchers, the whole key for dependencies).
    Key,
    /// `attributes[name]`.
    Attribute(String),
}

/// One compiled matcher.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct CompiledMatcher {
    /// Where the value comes from.
    pub source: ValueSource,
    /// Whether the result is negated.
    pub negate: bool,
    /// What to test.
    pub kind: MatcherKind,
    /// The matcher type as written in the definition (for explanations).
    pub type_name: String,
}

/// The test a matcher performs, with its rule data ready to use.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub enum MatcherKind {
    /// The JS SDK could not build this matcher (invalid regex or semver, missing rule data, ...):
    /// it yields false before negation.
    Never,
    /// `ALL_KEYS`.
    AllKeys,
    /// `IN_SEGMENT`.
    InSegment(String),
    /// `IN_LARGE_SEGMENT`.
    InLargeSegment(String),
    /// `WHITELIST`.
    Whitelist(#[cfg_attr(feature = "binary", serde(serialize_with = "super::binary::sorted_set"))] FxHashSet<String>),
    /// `EQUAL_TO` (DATETIME: both sides truncated to the UTC day).
    EqualTo {
        /// The rule value, already truncated when DATETIME.
        value: f64,
        /// DATETIME data type.
        datetime: bool,
    },
    /// `GREATER_THAN_OR_EQUAL_TO` (DATETIME: truncated to the minute).
    GreaterOrEqual {
        /// The rule value.
        value: f64,
        /// DATETIME data type.
        datetime: bool,
    },
    /// `LESS_THAN_OR_EQUAL_TO` (DATETIME: truncated to the minute).
    LessOrEqual {
        /// The rule value.
        value: f64,
        /// DATETIME data type.
        datetime: bool,
    },
    /// `BETWEEN`, inclusive.
    Between {
        /// Lower bound.
        start: f64,
        /// Upper bound.
        end: f64,
        /// DATETIME data type.
        datetime: bool,
    },
    /// `EQUAL_TO_SET`; `None` entries are non-string rule values, which never equal anything.
    EqualToSet(Vec<Option<String>>),
    /// `CONTAINS_ANY_OF_SET`.
    ContainsAnyOfSet(Vec<Option<String>>),
    /// `CONTAINS_ALL_OF_SET`.
    ContainsAllOfSet(Vec<Option<String>>),
    /// `PART_OF_SET`.
    PartOfSet(Vec<Option<String>>),
    /// `STARTS_WITH`.
    StartsWith(Vec<String>),
    /// `ENDS_WITH`.
    EndsWith(Vec<String>),
    /// `CONTAINS_STRING` (non-string rule values are compared by their JS string form).
    ContainsString(Vec<String>),
    /// `IN_SPLIT_TREATMENT`.
    Dependency {
        /// The flag to evaluate (`None`: not a string, which evaluates as a missing flag).
        flag: Option<String>,
        /// Accepted treatments.
        treatments: Vec<String>,
    },
    /// `EQUAL_TO_BOOLEAN` (`None`: the rule value is not a boolean, so nothing is equal).
    EqualToBoolean(Option<bool>),
    /// `MATCHES_STRING`.
    MatchesString(#[cfg_attr(feature = "binary", serde(with = "super::binary::regex_source"))] Box<EcmaRegex>),
    /// `EQUAL_TO_SEMVER`.
    EqualToSemver(#[cfg_attr(feature = "binary", serde(with = "super::binary::semver_source"))] Box<Semver>),
    /// `GREATER_THAN_OR_EQUAL_TO_SEMVER`.
    GreaterOrEqualSemver(#[cfg_attr(feature = "binary", serde(with = "super::binary::semver_source"))] Box<Semver>),
    /// `LESS_THAN_OR_EQUAL_TO_SEMVER`.
    LessOrEqualSemver(#[cfg_attr(feature = "binary", serde(with = "super::binary::semver_source"))] Box<Semver>),
    /// `BETWEEN_SEMVER`.
    BetweenSemver(#[cfg_attr(feature = "binary", serde(with = "super::binary::semver_pair"))] Box<(Semver, Semver)>),
    /// `IN_LIST_SEMVER`: normalized versions.
    InListSemver(
        #[cfg_attr(feature = "binary", serde(serialize_with = "super::binary::sorted_set"))] FxHashSet<String>,
    ),
    /// `IN_RULE_BASED_SEGMENT`.
    InRuleBasedSegment(String),
}

/// How a matcher's runtime value is sanitized (JS `matcherDataTypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// String matchers.
    String,
    /// Numbers (and DATETIME).
    Number,
    /// Set matchers.
    Set,
    /// `EQUAL_TO_BOOLEAN`.
    Boolean,
    /// Dependencies and rule-based segments: the raw value.
    NotSpecified,
}

impl MatcherKind {
    /// The sanitization this matcher's value goes through.
    pub fn data_type(&self) -> DataType {
        match self {
            MatcherKind::EqualTo { .. }
            | MatcherKind::GreaterOrEqual { .. }
            | MatcherKind::LessOrEqual { .. }
            | MatcherKind::Between { .. } => DataType::Number,
            MatcherKind::EqualToSet(_)
            | MatcherKind::ContainsAnyOfSet(_)
            | MatcherKind::ContainsAllOfSet(_)
            | MatcherKind::PartOfSet(_) => DataType::Set,
            MatcherKind::EqualToBoolean(_) => DataType::Boolean,
            MatcherKind::Dependency { .. } | MatcherKind::InRuleBasedSegment(_) => DataType::NotSpecified,
            _ => DataType::String,
        }
    }
}

/// Why a condition's matchers could not be used (JS `matchersTransform`).
pub(crate) enum TransformFailure {
    /// The transform threw (e.g. `unaryNumericMatcherData` is null): evaluating the flag throws.
    Throws(String),
    /// An unknown matcher type: the flag is unsupported.
    Unsupported,
}

/// What one load compiles once and shares: the same regex source in many flags is one program.
#[derive(Default)]
pub(crate) struct CompileCache {
    regexes: FxHashMap<String, Option<EcmaRegex>>,
}

impl CompileCache {
    fn regex(&mut self, pattern: String) -> Option<EcmaRegex> {
        self.regexes.entry(pattern).or_insert_with_key(|p| EcmaRegex::new(p).ok()).clone()
    }
}

/// Compiles one matcher. `Err` reproduces the JS transform's failures, which affect the whole
/// flag; a matcher whose rule data is unusable compiles to [`MatcherKind::Never`].
pub(crate) fn compile_matcher(m: &Matcher, cache: &mut CompileCache) -> Result<CompiledMatcher, TransformFailure> {
    let type_name = m.matcher_type.clone().unwrap_or_default();
    let kind = compile_kind(m, &type_name, cache)?;
    let source = match m.key_selector.as_ref().and_then(|k| k.attribute.as_deref()) {
        Some(attr) if !attr.is_empty() => ValueSource::Attribute(attr.to_owned()),
        _ => ValueSource::Key,
    };
    Ok(CompiledMatcher { source, negate: m.negate.unwrap_or(false), kind, type_name })
}

fn whitelist(m: &Matcher) -> Option<&Vec<Value>> {
    m.whitelist_matcher_data.as_ref().and_then(|w| w.whitelist.as_ref())
}

fn strings_or_none(list: &[Value]) -> Vec<Option<String>> {
    list.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

fn only_strings(list: &[Value]) -> Vec<String> {
    list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

fn semver_of(v: Option<&Value>) -> Option<Semver> {
    v.and_then(Value::as_str).and_then(|s| Semver::parse(s).ok())
}

fn compile_kind(m: &Matcher, type_name: &str, cache: &mut CompileCache) -> Result<MatcherKind, TransformFailure> {
    use MatcherKind as K;
    let segment_name = || m.user_defined_segment_matcher_data.as_ref().and_then(|d| d.segment_name.clone());
    let set = |f: fn(Vec<Option<String>>) -> MatcherKind| match whitelist(m) {
        Some(list) => f(strings_or_none(list)),
        None => K::Never,
    };
    Ok(match type_name {
        "ALL_KEYS" => K::AllKeys,
        "IN_SEGMENT" => segment_name().map_or(K::Never, K::InSegment),
        "IN_LARGE_SEGMENT" => m
            .user_defined_large_segment_matcher_data
            .as_ref()
            .and_then(|d| d.large_segment_name.clone())
            .map_or(K::Never, K::InLargeSegment),
        "IN_RULE_BASED_SEGMENT" => segment_name().map_or(K::Never, K::InRuleBasedSegment),
        "WHITELIST" => K::Whitelist(whitelist(m).map(|l| only_strings(l).into_iter().collect()).unwrap_or_default()),
        "EQUAL_TO" | "GREATER_THAN_OR_EQUAL_TO" | "LESS_THAN_OR_EQUAL_TO" => {
            let data = m.unary_numeric_matcher_data.as_ref().ok_or_else(|| {
                TransformFailure::Throws(format!("{type_name} matcher has no unaryNumericMatcherData"))
            })?;
            let datetime = data.data_type.as_deref() == Some("DATETIME");
            let raw = data.value.unwrap_or(f64::NAN);
            match type_name {
                "EQUAL_TO" => K::EqualTo { value: if datetime { start_of_day(raw) } else { raw }, datetime },
                "GREATER_THAN_OR_EQUAL_TO" => {
                    K::GreaterOrEqual { value: if datetime { start_of_minute(raw) } else { raw }, datetime }
                }
                _ => K::LessOrEqual { value: if datetime { start_of_minute(raw) } else { raw }, datetime },
            }
        }
        "BETWEEN" => {
            let data = m
                .between_matcher_data
                .as_ref()
                .ok_or_else(|| TransformFailure::Throws("BETWEEN matcher has no betweenMatcherData".to_owned()))?;
            let datetime = data.data_type.as_deref() == Some("DATETIME");
            let (start, end) = (data.start.unwrap_or(f64::NAN), data.end.unwrap_or(f64::NAN));
            if datetime {
                K::Between { start: start_of_minute(start), end: start_of_minute(end), datetime }
            } else {
                K::Between { start, end, datetime }
            }
        }
        "EQUAL_TO_SET" => set(K::EqualToSet),
        "CONTAINS_ANY_OF_SET" => set(K::ContainsAnyOfSet),
        "CONTAINS_ALL_OF_SET" => set(K::ContainsAllOfSet),
        "PART_OF_SET" => set(K::PartOfSet),
        "STARTS_WITH" => whitelist(m).map_or(K::Never, |l| K::StartsWith(only_strings(l))),
        "ENDS_WITH" => whitelist(m).map_or(K::Never, |l| K::EndsWith(only_strings(l))),
        "CONTAINS_STRING" => {
            whitelist(m).map_or(K::Never, |l| K::ContainsString(l.iter().map(js::to_js_string).collect()))
        }
        "IN_SPLIT_TREATMENT" => match &m.dependency_matcher_data {
            Some(d) => match &d.treatments {
                Some(Value::Array(ts)) => K::Dependency { flag: d.split.clone(), treatments: only_strings(ts) },
                _ => K::Never,
            },
            None => K::Never,
        },
        "EQUAL_TO_BOOLEAN" => K::EqualToBoolean(m.boolean_matcher_data.as_ref().and_then(Value::as_bool)),
        "MATCHES_STRING" => {
            let pattern = match &m.string_matcher_data {
                None => "(?:)".to_owned(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => js::to_js_string(other),
            };
            cache.regex(pattern).map_or(K::Never, |re| K::MatchesString(Box::new(re)))
        }
        "EQUAL_TO_SEMVER" => {
            semver_of(m.string_matcher_data.as_ref()).map_or(K::Never, |s| K::EqualToSemver(Box::new(s)))
        }
        "GREATER_THAN_OR_EQUAL_TO_SEMVER" => {
            semver_of(m.string_matcher_data.as_ref()).map_or(K::Never, |s| K::GreaterOrEqualSemver(Box::new(s)))
        }
        "LESS_THAN_OR_EQUAL_TO_SEMVER" => {
            semver_of(m.string_matcher_data.as_ref()).map_or(K::Never, |s| K::LessOrEqualSemver(Box::new(s)))
        }
        "BETWEEN_SEMVER" => {
            let bounds = m
                .between_string_matcher_data
                .as_ref()
                .and_then(|d| Some((semver_of(d.start.as_ref())?, semver_of(d.end.as_ref())?)));
            bounds.map_or(K::Never, |b| K::BetweenSemver(Box::new(b)))
        }
        "IN_LIST_SEMVER" => match whitelist(m) {
            Some(list) if !list.is_empty() => {
                let versions: Option<FxHashSet<String>> =
                    list.iter().map(|v| semver_of(Some(v)).map(|s| s.version().to_owned())).collect();
                versions.map_or(K::Never, K::InListSemver)
            }
            _ => K::Never,
        },
        _ => return Err(TransformFailure::Unsupported),
    })
}
