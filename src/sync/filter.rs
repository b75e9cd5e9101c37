//! The flag filter of `sync.splitFilters` (spec §7.1): which flags a synchronized snapshot keeps,
//! and the query string asking Split's API for only those.
//!
//! Validation is JS `validateSplitFilters` (`utils/settingsValidation/splitFilters.ts`): values are
//! trimmed, invalid ones dropped (with a [`FilterWarning`]), de-duplicated and sorted; flag sets are
//! lowercased and checked against `^[a-z0-9][_a-z0-9]{0,49}$`; more than 50 sets, 400 names or 50
//! prefixes is a [`FilterError`]; a `bySet` filter suppresses `byName` and `byPrefix`.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use rustc_hash::FxHashSet;
use serde_json::Value;

use crate::js;
use crate::validate::is_valid_flag_set;

/// A filter type of `sync.splitFilters`, in the order their query parameters are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FilterType {
    /// Flags belonging to any of these flag sets (`sets=`).
    BySet,
    /// Flags with exactly these names (`names=`).
    ByName,
    /// Flags whose names start with any of these prefixes (`prefixes=`).
    ByPrefix,
}

impl FilterType {
    /// Every type, in query-string order.
    pub const ALL: [FilterType; 3] = [FilterType::BySet, FilterType::ByName, FilterType::ByPrefix];

    /// The name used in the SDK configuration: `bySet`, `byName`, `byPrefix`.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterType::BySet => "bySet",
            FilterType::ByName => "byName",
            FilterType::ByPrefix => "byPrefix",
        }
    }

    /// The type named `name` in the SDK configuration (case-sensitive, as JS).
    pub fn parse(name: &str) -> Option<FilterType> {
        FilterType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// How many unique values the type accepts: 50 sets, 400 names, 50 prefixes.
    pub fn max_values(self) -> usize {
        match self {
            FilterType::BySet | FilterType::ByPrefix => 50,
            FilterType::ByName => 400,
        }
    }

    /// The query parameter carrying the values.
    pub fn query_param(self) -> &'static str {
        match self {
            FilterType::BySet => "sets",
            FilterType::ByName => "names",
            FilterType::ByPrefix => "prefixes",
        }
    }
}

impl fmt::Display for FilterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `sync.splitFilters`: `{"type": "bySet", "values": ["a", "b"]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitFilter {
    /// The filter type.
    pub filter_type: FilterType,
    /// The values, as configured (validated by [`FlagFilter::validate`]).
    pub values: Vec<String>,
}

impl SplitFilter {
    /// A filter entry of this type with these values.
    pub fn new<S: Into<String>>(filter_type: FilterType, values: impl IntoIterator<Item = S>) -> SplitFilter {
        SplitFilter { filter_type, values: values.into_iter().map(Into::into).collect() }
    }
}

/// Why a filter configuration is rejected (JS throws at SDK creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// More unique valid values than the type accepts.
    TooManyValues {
        /// The filter type.
        filter_type: FilterType,
        /// The most it accepts.
        max: usize,
        /// How many unique valid values were given.
        count: usize,
    },
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::TooManyValues { filter_type, max, count } => write!(
                f,
                "{max} unique values can be specified at most for '{filter_type}' filter. You passed {count}. \
                 Please consider reducing the amount or using other filter."
            ),
        }
    }
}

impl std::error::Error for FilterError {}

/// Something in a filter configuration that was ignored or corrected, as JS logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterWarning {
    /// The configuration is not a non-empty array: no filter.
    NotANonEmptyArray,
    /// The entry at this position is not an object with a known `type` and an array of `values`.
    InvalidFilter {
        /// Its position.
        index: usize,
    },
    /// A `null` value was dropped.
    NullValue(FilterType),
    /// A value that is not a string was dropped.
    InvalidValue(FilterType),
    /// A value empty after trimming was dropped.
    EmptyValue(FilterType),
    /// A value had surrounding whitespace, which was trimmed.
    Trimmed(FilterType, String),
    /// No value of this type was valid: the type filters nothing.
    NoValidValues(FilterType),
    /// A flag set had capital letters and was lowercased.
    LowercasedSet(String),
    /// A flag set does not match `^[a-z0-9][_a-z0-9]{0,49}$` and was dropped.
    InvalidSet(String),
    /// `bySet` was combined with `byName` or `byPrefix`: names and prefixes are ignored.
    SetsFilterExclusive,
}

impl fmt::Display for FilterWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterWarning::NotANonEmptyArray => {
                f.write_str("feature flag filter configuration must be a non-empty array of filter objects.")
            }
            FilterWarning::InvalidFilter { index } => write!(
                f,
                "feature flag filter at position {index} is invalid. It must be an object with a valid filter type \
                 (\"bySet\", \"byName\" or \"byPrefix\") and a list of \"values\"."
            ),
            FilterWarning::NullValue(t) => {
                write!(f, "you passed a null or undefined {t} filter value. It must be a non-empty string.")
            }
            FilterWarning::InvalidValue(t) => {
                write!(f, "you passed an invalid {t} filter value. It must be a non-empty string.")
            }
            FilterWarning::EmptyValue(t) => {
                write!(f, "you passed an empty {t} filter value. It must be a non-empty string.")
            }
            FilterWarning::Trimmed(t, v) => write!(f, "{t} filter value {v:?} has extra whitespace, trimming."),
            FilterWarning::NoValidValues(t) => write!(f, "{t} filter must be a non-empty array."),
            FilterWarning::LowercasedSet(s) => {
                write!(f, "flag set {s} should be all lowercase - converting string to lowercase.")
            }
            FilterWarning::InvalidSet(s) => write!(
                f,
                "you passed {s}, flag set must adhere to the regular expressions /^[a-z0-9][_a-z0-9]{{0,49}}$/. \
                 This means a flag set must start with a letter or number, be in lowercase, alphanumeric and \
                 have a max length of 50 characters. {s} was discarded."
            ),
            FilterWarning::SetsFilterExclusive => f.write_str(
                "the Set filter is exclusive and cannot be used simultaneously with names or prefix filters. \
                 Ignoring names and prefixes.",
            ),
        }
    }
}

/// A validated filter and what validation ignored or corrected on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterValidation {
    /// The filter.
    pub filter: FlagFilter,
    /// What was ignored or corrected, in the order JS logs it.
    pub warnings: Vec<FilterWarning>,
}

/// Which flags a synchronized snapshot keeps: by flag set, or by name and prefix. The default
/// keeps every flag.
///
/// Values are valid, unique and sorted; when sets are present, names and prefixes are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "binary", derive(serde::Serialize, serde::Deserialize))]
pub struct FlagFilter {
    sets: Vec<String>,
    names: Vec<String>,
    prefixes: Vec<String>,
}

impl FlagFilter {
    /// The filter keeping every flag.
    pub fn none() -> FlagFilter {
        FlagFilter::default()
    }

    /// A `bySet` filter. Invalid sets are dropped (see [`FlagFilter::validate`] for the warnings).
    ///
    /// # Errors
    /// [`FilterError::TooManyValues`] for more than 50 unique valid sets.
    pub fn by_sets<S: AsRef<str>>(sets: &[S]) -> Result<FlagFilter, FilterError> {
        let entry = SplitFilter::new(FilterType::BySet, sets.iter().map(AsRef::as_ref));
        Ok(FlagFilter::validate(&[entry])?.filter)
    }

    /// A `byName` and `byPrefix` filter (either may be empty). Invalid values are dropped.
    ///
    /// # Errors
    /// [`FilterError::TooManyValues`] for more than 400 names or 50 prefixes.
    pub fn by_names_and_prefixes<S: AsRef<str>, P: AsRef<str>>(
        names: &[S],
        prefixes: &[P],
    ) -> Result<FlagFilter, FilterError> {
        let entries = [
            SplitFilter::new(FilterType::ByName, names.iter().map(AsRef::as_ref)),
            SplitFilter::new(FilterType::ByPrefix, prefixes.iter().map(AsRef::as_ref)),
        ];
        Ok(FlagFilter::validate(&entries)?.filter)
    }

    /// Validates typed `sync.splitFilters` entries as JS does.
    ///
    /// # Errors
    /// [`FilterError::TooManyValues`] when a type has more unique valid values than it accepts.
    pub fn validate(filters: &[SplitFilter]) -> Result<FilterValidation, FilterError> {
        let raw: Vec<RawFilter<'_>> = filters
            .iter()
            .map(|f| RawFilter {
                filter_type: f.filter_type,
                values: f.values.iter().map(|v| RawValue::Str(v.as_str())).collect(),
            })
            .collect();
        validate_raw(raw, Vec::new())
    }

    /// Validates `sync.splitFilters` exactly as a JavaScript caller gives it (any JSON value):
    /// `null`/`false` mean no filter; anything but a non-empty array is ignored with a warning;
    /// entries that are not `{type, values: [...]}` objects are ignored with a warning.
    ///
    /// # Errors
    /// [`FilterError::TooManyValues`] when a type has more unique valid values than it accepts.
    pub fn validate_json(config: &Value) -> Result<FilterValidation, FilterError> {
        if !crate::js::truthy(config) {
            return Ok(FilterValidation { filter: FlagFilter::none(), warnings: Vec::new() });
        }
        let entries = match config {
            Value::Array(entries) if !entries.is_empty() => entries,
            _ => {
                return Ok(FilterValidation {
                    filter: FlagFilter::none(),
                    warnings: vec![FilterWarning::NotANonEmptyArray],
                })
            }
        };
        let mut warnings = Vec::new();
        let mut raw = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let filter_type = entry.get("type").and_then(Value::as_str).and_then(FilterType::parse);
            match (filter_type, entry.get("values").and_then(Value::as_array)) {
                (Some(filter_type), Some(values)) if entry.is_object() => {
                    let values = values
                        .iter()
                        .map(|v| match v {
                            Value::Null => RawValue::Null,
                            Value::String(s) => RawValue::Str(s),
                            _ => RawValue::Other,
                        })
                        .collect();
                    raw.push(RawFilter { filter_type, values });
                }
                _ => warnings.push(FilterWarning::InvalidFilter { index }),
            }
        }
        validate_raw(raw, warnings)
    }

    /// Whether this filter keeps every flag.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.names.is_empty() && self.prefixes.is_empty()
    }

    /// The flag sets (`bySet`), sorted.
    pub fn sets(&self) -> &[String] {
        &self.sets
    }

    /// The flag names (`byName`), sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The name prefixes (`byPrefix`), sorted.
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// Whether a flag with this name and these sets passes (JS `matchFilters`): with sets, it
    /// belongs to one of them; otherwise its name is listed or starts with a listed prefix.
    pub fn matches(&self, name: &str, flag_sets: &[String]) -> bool {
        if !self.sets.is_empty() {
            return flag_sets.iter().any(|s| self.sets.contains(s));
        }
        if self.names.is_empty() && self.prefixes.is_empty() {
            return true;
        }
        self.names.iter().any(|n| n == name) || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// The filter's part of the `splitChanges` query: `""`, or `&sets=a,b`, or
    /// `&names=..&prefixes=..`, each value URL-encoded (JS `encodeURIComponent`).
    pub fn query_string(&self) -> String {
        let mut out = String::new();
        for filter_type in FilterType::ALL {
            let values = self.values(filter_type);
            if values.is_empty() {
                continue;
            }
            out.push('&');
            out.push_str(filter_type.query_param());
            out.push('=');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_uri_component_into(value, &mut out);
            }
        }
        out
    }

    fn values(&self, filter_type: FilterType) -> &[String] {
        match filter_type {
            FilterType::BySet => &self.sets,
            FilterType::ByName => &self.names,
            FilterType::ByPrefix => &self.prefixes,
        }
    }
}

impl fmt::Display for FlagFilter {
    /// The query string without its leading `&`, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query = self.query_string();
        match query.strip_prefix('&') {
            Some(q) => f.write_str(q),
            None => f.write_str("none"),
        }
    }
}

/// A configured value: a string, `null`, or anything else (invalid).
#[derive(Clone, Copy)]
enum RawValue<'a> {
    Str(&'a str),
    Null,
    Other,
}

struct RawFilter<'a> {
    filter_type: FilterType,
    values: Vec<RawValue<'a>>,
}

/// JS `validateSplitFilters` after the entries were checked.
fn validate_raw(
    filters: Vec<RawFilter<'_>>,
    mut warnings: Vec<FilterWarning>,
) -> Result<FilterValidation, FilterError> {
    // A type counts as configured when an entry of it has values, valid or not (JS `configuredFilter`).
    let configured = |t: FilterType| filters.iter().any(|f| f.filter_type == t && !f.values.is_empty());
    let sets_configured = configured(FilterType::BySet);
    let others_configured = configured(FilterType::ByName) || configured(FilterType::ByPrefix);

    let mut grouped: [Vec<String>; 3] = Default::default();
    for (slot, filter_type) in grouped.iter_mut().zip(FilterType::ALL) {
        let values: Vec<RawValue<'_>> =
            filters.iter().filter(|f| f.filter_type == filter_type).flat_map(|f| f.values.iter().copied()).collect();
        if !values.is_empty() {
            *slot = validate_values(filter_type, &values, &mut warnings)?;
        }
    }
    let [mut sets, mut names, mut prefixes] = grouped;
    if sets_configured {
        if others_configured {
            warnings.push(FilterWarning::SetsFilterExclusive);
        }
        names.clear();
        prefixes.clear();
    }
    for values in [&mut sets, &mut names, &mut prefixes] {
        crate::order::sort_by(values, |a, b| js_string_cmp(a, b));
    }
    Ok(FilterValidation { filter: FlagFilter { sets, names, prefixes }, warnings })
}

/// JS `validateSplitFilter` for one type's values, before sorting.
fn validate_values(
    filter_type: FilterType,
    values: &[RawValue<'_>],
    warnings: &mut Vec<FilterWarning>,
) -> Result<Vec<String>, FilterError> {
    // `validateSplits`: drop null, non-string and empty values, trim, de-duplicate.
    let mut valid: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        match value {
            RawValue::Null => warnings.push(FilterWarning::NullValue(filter_type)),
            RawValue::Other => warnings.push(FilterWarning::InvalidValue(filter_type)),
            RawValue::Str(s) => {
                let trimmed = js::trim(s);
                if trimmed.len() != s.len() {
                    warnings.push(FilterWarning::Trimmed(filter_type, (*s).to_owned()));
                }
                if trimmed.is_empty() {
                    warnings.push(FilterWarning::EmptyValue(filter_type));
                } else {
                    valid.push(trimmed.to_owned());
                }
            }
        }
    }
    let mut valid = unique(valid);
    if valid.is_empty() {
        warnings.push(FilterWarning::NoValidValues(filter_type));
        return Ok(valid);
    }
    if filter_type == FilterType::BySet {
        // `sanitizeFlagSets`: lowercase when there are capitals, check the pattern, de-duplicate.
        // JS maps every value first, then filters: the warnings come in that order.
        let lowered: Vec<String> = valid
            .into_iter()
            .map(|set| {
                if set.bytes().any(|b| b.is_ascii_uppercase()) {
                    warnings.push(FilterWarning::LowercasedSet(set.clone()));
                    set.to_lowercase()
                } else {
                    set
                }
            })
            .collect();
        let mut sets = Vec::with_capacity(lowered.len());
        for set in lowered {
            if is_valid_flag_set(&set) {
                sets.push(set);
            } else {
                warnings.push(FilterWarning::InvalidSet(set));
            }
        }
        valid = unique(sets);
    }
    let max = filter_type.max_values();
    if valid.len() > max {
        return Err(FilterError::TooManyValues { filter_type, max, count: valid.len() });
    }
    Ok(valid)
}

/// Keeps the first occurrence of each value, in order (JS `uniq`).
fn unique(values: Vec<String>) -> Vec<String> {
    let mut seen = FxHashSet::default();
    values.into_iter().filter(|v| seen.insert(v.clone())).collect()
}

/// JS default `Array.prototype.sort` order: by UTF-16 code units.
fn js_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Appends JS `encodeURIComponent(value)`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` as
/// `%XX` UTF-8 bytes (uppercase hex).
pub(crate) fn encode_uri_component_into(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(s: &str) -> String {
        let mut out = String::new();
        encode_uri_component_into(s, &mut out);
        out
    }

    #[test]
    fn encodes_as_encode_uri_component() {
        assert_eq!(encode("a-z_A.Z~0!9*'()"), "a-z_A.Z~0!9*'()");
        assert_eq!(encode("a b,c/d?e&f=g+h%"), "a%20b%2Cc%2Fd%3Fe%26f%3Dg%2Bh%25");
        assert_eq!(encode("ñ😀"), "%C3%B1%F0%9F%98%80");
    }

    #[test]
    fn sets_are_lowercased_checked_unique_and_sorted() {
        let v = FlagFilter::validate(&[SplitFilter::new(
            FilterType::BySet,
            [" set_b ", "SET_A", "set_a", "-bad", "", "set_c", "set_b"],
        )])
        .unwrap();
        assert_eq!(v.filter.sets(), ["set_a", "set_b", "set_c"]);
        assert_eq!(v.filter.query_string(), "&sets=set_a,set_b,set_c");
        assert_eq!(
            v.warnings,
            vec![
                FilterWarning::Trimmed(FilterType::BySet, " set_b ".into()),
                FilterWarning::EmptyValue(FilterType::BySet),
                FilterWarning::LowercasedSet("SET_A".into()),
                FilterWarning::InvalidSet("-bad".into()),
            ]
        );
    }

    #[test]
    fn lowercasing_is_unicode_as_js_to_lower_case() {
        // Checked against splitio-commons 2.12.1: ["A\u212A", "é"] → sets=ak.
        let v = FlagFilter::validate(&[SplitFilter::new(FilterType::BySet, ["A\u{212A}", "é"])]).unwrap();
        assert_eq!(v.filter.sets(), ["ak"]);
        assert_eq!(
            v.warnings,
            vec![FilterWarning::LowercasedSet("A\u{212A}".into()), FilterWarning::InvalidSet("é".into())]
        );
    }

    #[test]
    fn sets_suppress_names_and_prefixes() {
        let v = FlagFilter::validate(&[
            SplitFilter::new(FilterType::ByName, ["b", "a"]),
            SplitFilter::new(FilterType::BySet, ["s1"]),
            SplitFilter::new(FilterType::ByPrefix, ["p"]),
        ])
        .unwrap();
        assert_eq!(v.filter.sets(), ["s1"]);
        assert!(v.filter.names().is_empty() && v.filter.prefixes().is_empty());
        assert_eq!(v.warnings, vec![FilterWarning::SetsFilterExclusive]);
        assert_eq!(v.filter.query_string(), "&sets=s1");
    }

    #[test]
    fn a_set_filter_of_only_invalid_values_still_suppresses_the_others() {
        // JS checks whether a bySet filter was configured with values, not whether any was valid.
        let v = FlagFilter::validate(&[
            SplitFilter::new(FilterType::BySet, ["@@"]),
            SplitFilter::new(FilterType::ByName, ["a"]),
        ])
        .unwrap();
        assert!(v.filter.is_empty());
        assert_eq!(v.warnings, vec![FilterWarning::InvalidSet("@@".into()), FilterWarning::SetsFilterExclusive]);
        assert_eq!(v.filter.query_string(), "");
        assert!(v.filter.matches("anything", &[]));
    }

    #[test]
    fn names_then_prefixes_encoded_and_sorted_by_utf16() {
        let filter =
            FlagFilter::by_names_and_prefixes(&["b flag", "a/flag", "\u{ff61}", "😀"], &["pre,", "a"]).unwrap();
        // U+FF61 sorts after U+1F600 by code point, before it by UTF-16 code unit (0xD83D).
        assert_eq!(filter.names(), ["a/flag", "b flag", "😀", "\u{ff61}"]);
        assert_eq!(filter.query_string(), "&names=a%2Fflag,b%20flag,%F0%9F%98%80,%EF%BD%A1&prefixes=a,pre%2C");
        assert_eq!(filter.to_string(), "names=a%2Fflag,b%20flag,%F0%9F%98%80,%EF%BD%A1&prefixes=a,pre%2C");
    }

    #[test]
    fn too_many_values_is_an_error() {
        let sets: Vec<String> = (0..51).map(|i| format!("s{i}")).collect();
        let err = FlagFilter::by_sets(&sets).unwrap_err();
        assert_eq!(err, FilterError::TooManyValues { filter_type: FilterType::BySet, max: 50, count: 51 });
        assert!(err
            .to_string()
            .starts_with("50 unique values can be specified at most for 'bySet' filter. You passed 51."));
        assert!(FlagFilter::by_sets(&sets[..50]).is_ok());
        // Duplicates and invalid values do not count.
        let mut dup = sets[..50].to_vec();
        dup.extend(["s0".to_owned(), "S1".to_owned(), "!".to_owned()]);
        assert_eq!(FlagFilter::by_sets(&dup).unwrap().sets().len(), 50);
        let names: Vec<String> = (0..401).map(|i| format!("n{i}")).collect();
        assert!(FlagFilter::by_names_and_prefixes(&names[..400], &[] as &[&str]).is_ok());
        assert!(matches!(
            FlagFilter::by_names_and_prefixes(&names, &[] as &[&str]),
            Err(FilterError::TooManyValues { filter_type: FilterType::ByName, max: 400, count: 401 })
        ));
        let prefixes: Vec<String> = (0..51).map(|i| format!("p{i}")).collect();
        assert!(FlagFilter::by_names_and_prefixes(&[] as &[&str], &prefixes).is_err());
    }

    #[test]
    fn matching_follows_match_filters() {
        let sets = FlagFilter::by_sets(&["a", "b"]).unwrap();
        assert!(sets.matches("x", &["z".into(), "b".into()]));
        assert!(!sets.matches("x", &["z".into()]));
        assert!(!sets.matches("x", &[]));
        let np = FlagFilter::by_names_and_prefixes(&["exact"], &["pre_"]).unwrap();
        assert!(np.matches("exact", &[]));
        assert!(np.matches("pre_x", &[]));
        assert!(!np.matches("exactly", &[]));
        assert!(!np.matches("pre", &[]));
        let names_only = FlagFilter::by_names_and_prefixes(&["exact"], &[] as &[&str]).unwrap();
        assert!(!names_only.matches("pre_x", &[]));
        assert!(FlagFilter::none().matches("any", &[]));
    }

    #[test]
    fn json_configuration_as_a_javascript_caller_gives_it() {
        for falsy in [json!(null), json!(false), json!(0), json!("")] {
            let v = FlagFilter::validate_json(&falsy).unwrap();
            assert!(v.filter.is_empty() && v.warnings.is_empty());
        }
        for bad in [json!([]), json!({"type": "bySet"}), json!("x"), json!(true)] {
            assert_eq!(FlagFilter::validate_json(&bad).unwrap().warnings, vec![FilterWarning::NotANonEmptyArray]);
        }
        let v = FlagFilter::validate_json(&json!([
            {"type": "byName", "values": ["n2", null, 3, "n1"]},
            {"type": "bySets", "values": ["x"]},
            {"type": "byPrefix", "values": "p"},
            null,
            {"type": "byName", "values": ["n1", "n0"]},
        ]))
        .unwrap();
        assert_eq!(v.filter.names(), ["n0", "n1", "n2"]);
        assert_eq!(
            v.warnings,
            vec![
                FilterWarning::InvalidFilter { index: 1 },
                FilterWarning::InvalidFilter { index: 2 },
                FilterWarning::InvalidFilter { index: 3 },
                FilterWarning::NullValue(FilterType::ByName),
                FilterWarning::InvalidValue(FilterType::ByName),
            ]
        );
        let all_invalid = FlagFilter::validate_json(&json!([{"type": "byPrefix", "values": [" ", 1]}])).unwrap();
        assert!(all_invalid.filter.is_empty());
        assert_eq!(all_invalid.warnings.last(), Some(&FilterWarning::NoValidValues(FilterType::ByPrefix)));
    }
}
