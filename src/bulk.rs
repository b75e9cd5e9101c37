//! Bulk evaluation: many keys × many flags in one call, answered as NDJSON (sans-I/O).
//!
//! A request body is
//!
//! ```json
//! {"keys": ["alice", {"matchingKey": "bob", "bucketingKey": "b"}, {"key": "carol", "attributes": {"plan": "pro"}}],
//!  "flags": ["new_checkout", "dark_mode"], "withConfig": false, "impressions": true}
//! ```
//!
//! with `flagSets` instead of `flags` to evaluate the flags of sets. [`parse`] checks it against
//! [`BulkLimits`], [`BulkRequest::plan`] resolves the flags once against the data, and
//! [`BulkPlan::evaluate_range`] evaluates any range of the keys, appending one line per key:
//!
//! ```text
//! {"key":"alice","treatments":{"new_checkout":{"treatment":"on"},"dark_mode":{"treatment":"off"}}}
//! {"key":"","error":"you passed an empty string, key must be a non-empty string."}
//! ```
//!
//! `treatments` is exactly split-evaluator's `get-treatments` answer for that key (with
//! `withConfig`, `get-treatments-with-config`'s: `{"treatment":"on","config":null}` per flag;
//! with `flagSets`, the by-sets answers). Every key goes through Split's validation; a key it
//! rejects gets an `error` line with Split's message and nothing else. Evaluation and impressions
//! are those of [`SplitEdge::get_treatments`] (`impressions: false` records nothing, as
//! [`SplitEdge::without_recording`]).
//!
//! ```
//! use split_edge::bulk::{self, BulkLimits};
//! use split_edge::sdk::{SplitEdge, SplitEdgeConfig};
//!
//! let mut edge = SplitEdge::new(SplitEdgeConfig::new("SDK_KEY"))?;
//! edge.snapshot_mut().apply_split_changes_json(r#"{"ff":{"d":[],"s":-1,"t":5}}"#)?;
//! let limits = BulkLimits::default();
//! let request = bulk::parse(r#"{"keys":["a",""],"flags":["f"]}"#, &limits)?;
//! let plan = request.plan(edge.client(), &limits)?;
//! let mut out = String::new();
//! plan.evaluate_range(&mut edge, 1_700_000_000_000, 0..plan.len(), &mut out);
//! assert_eq!(out, concat!(
//!     r#"{"key":"a","treatments":{"f":{"treatment":"control"}}}"#, "\n",
//!     r#"{"key":"","error":"you passed an empty string, key must be a non-empty string."}"#, "\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::ops::Range;

use serde_json::{Map, Value};

use crate::client::{Client, EvaluationOptions, TreatmentResult};
use crate::eval::{AttributeView, Attributes};
use crate::sdk::SplitEdge;
use crate::validate;
use crate::wire::push_json_string;

/// Default [`BulkLimits::max_keys`]: 10,000 keys per request.
pub const DEFAULT_MAX_KEYS: usize = 10_000;
/// Default [`BulkLimits::max_flags`]: 1,000 flag names (or flag sets) per request.
pub const DEFAULT_MAX_FLAGS: usize = 1_000;
/// Default [`BulkLimits::max_evaluations`]: 200,000 evaluations (keys × flags) per request.
pub const DEFAULT_MAX_EVALUATIONS: usize = 200_000;
/// Default [`BulkLimits::max_body_bytes`]: 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// At most this many keys are evaluated per chunk ([`BulkPlan::chunk_keys`]).
pub const CHUNK_MAX_KEYS: usize = 256;
/// A chunk holds about this many evaluations at most ([`BulkPlan::chunk_keys`]).
pub const CHUNK_EVALUATIONS: usize = 8_192;

/// How large a bulk request may be. Over any limit, the request is refused as
/// [`BulkError::TooLarge`] (HTTP 413).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// The most entries in `keys` ([`DEFAULT_MAX_KEYS`]).
    pub max_keys: usize,
    /// The most entries in `flags`, or in `flagSets` ([`DEFAULT_MAX_FLAGS`]).
    pub max_flags: usize,
    /// The most evaluations: keys × flags, where for `flagSets` the flags are those the sets
    /// hold in the data ([`DEFAULT_MAX_EVALUATIONS`]).
    pub max_evaluations: usize,
    /// The largest body, in bytes ([`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
}

impl Default for BulkLimits {
    fn default() -> BulkLimits {
        BulkLimits {
            max_keys: DEFAULT_MAX_KEYS,
            max_flags: DEFAULT_MAX_FLAGS,
            max_evaluations: DEFAULT_MAX_EVALUATIONS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// Which limit a request is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`BulkLimits::max_body_bytes`].
    BodyBytes,
    /// [`BulkLimits::max_keys`].
    Keys,
    /// [`BulkLimits::max_flags`], for `flags`.
    Flags,
    /// [`BulkLimits::max_flags`], for `flagSets`.
    FlagSets,
    /// [`BulkLimits::max_evaluations`].
    Evaluations,
}

/// What is wrong with a field of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The body is not JSON (serde_json's message, with line and column).
    NotJson(String),
    /// The body is not a JSON object.
    NotAnObject,
    /// A required field is missing.
    Missing,
    /// The field is not an array.
    NotAnArray,
    /// The array is empty.
    Empty,
    /// An entry is not a string.
    NotAString,
    /// The field is not `true` or `false`.
    NotABoolean,
    /// `attributes` is not an object (or `null`).
    NotAnAttributesObject,
    /// The array holds no valid (non-blank) name.
    NoValidName,
    /// An unknown field (a typo would otherwise be ignored); the fields allowed there.
    UnknownField(&'static str),
    /// Both `flags` and `flagSets` were given.
    BothFlagsAndSets,
    /// Neither `flags` nor `flagSets` was given.
    NeitherFlagsNorSets,
}

/// Why a bulk request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkError {
    /// Over a limit (HTTP 413): `actual` is what the request holds (for the body: at least that
    /// many bytes), `max` the limit.
    TooLarge {
        /// Which limit.
        limit: Limit,
        /// What the request holds.
        actual: usize,
        /// The limit.
        max: usize,
    },
    /// Malformed (HTTP 400): `field` names where (`body`, `keys`, `keys[3].attributes`, ...).
    Invalid {
        /// The field, as a path into the body.
        field: String,
        /// What is wrong with it.
        problem: Problem,
    },
}

impl BulkError {
    /// The HTTP status that answers it: 413 for [`BulkError::TooLarge`], 400 for
    /// [`BulkError::Invalid`].
    pub fn status(&self) -> u16 {
        match self {
            BulkError::TooLarge { .. } => 413,
            BulkError::Invalid { .. } => 400,
        }
    }

    /// Whether the request is over a limit (else it is malformed).
    pub fn is_too_large(&self) -> bool {
        matches!(self, BulkError::TooLarge { .. })
    }

    fn invalid(field: impl Into<String>, problem: Problem) -> BulkError {
        BulkError::Invalid { field: field.into(), problem }
    }
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BulkError::TooLarge { limit, actual, max } => match limit {
                Limit::BodyBytes => {
                    write!(f, "the request body is over the limit of {max} bytes (it holds at least {actual})")
                }
                Limit::Keys => write!(f, "keys holds {actual} entries, over the limit of {max} keys per request"),
                Limit::Flags => write!(f, "flags holds {actual} entries, over the limit of {max} flags per request"),
                Limit::FlagSets => {
                    write!(f, "flagSets holds {actual} entries, over the limit of {max} flag sets per request")
                }
                Limit::Evaluations => {
                    write!(f, "keys × flags is {actual} evaluations, over the limit of {max} evaluations per request")
                }
            },
            BulkError::Invalid { field, problem } => match problem {
                Problem::NotJson(e) => write!(f, "{field} is not valid JSON: {e}"),
                Problem::NotAnObject => write!(f, "{field} must be a JSON object"),
                Problem::Missing => write!(f, "{field} is required"),
                Problem::NotAnArray => write!(f, "{field} must be an array"),
                Problem::Empty => write!(f, "{field} must be a non-empty array"),
                Problem::NotAString => write!(f, "{field} must be a string"),
                Problem::NotABoolean => write!(f, "{field} must be true or false"),
                Problem::NotAnAttributesObject => write!(f, "{field} must be an object"),
                Problem::NoValidName => write!(f, "{field} must hold at least one non-blank name"),
                Problem::UnknownField(allowed) => write!(f, "{field} is not a known field (expected {allowed})"),
                Problem::BothFlagsAndSets => write!(f, "{field}: give exactly one of flags and flagSets, not both"),
                Problem::NeitherFlagsNorSets => write!(f, "{field}: give exactly one of flags and flagSets"),
            },
        }
    }
}

impl std::error::Error for BulkError {}

/// One entry of `keys`: the key exactly as given (validated when evaluated, by Split's rules)
/// and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkKey {
    /// A string, a number, `{matchingKey, bucketingKey}`, or anything else (which validation
    /// rejects on its line). `Value::Null` when an entry object has no `key`.
    pub key: Value,
    /// The attributes of `{"key", "attributes"}` entries.
    pub attributes: Option<Attributes>,
}

/// What to evaluate for every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkTarget {
    /// Flag names, validated as get-treatments does (trimmed, blank ones dropped, repeats
    /// removed).
    Flags(Vec<String>),
    /// Flag sets, as given (get-treatments-by-flag-sets validates them against the data's
    /// configuration when the request is planned).
    FlagSets(Vec<String>),
}

/// A parsed bulk request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// The keys, in request order (one output line each).
    pub keys: Vec<BulkKey>,
    /// The flags or flag sets.
    pub target: BulkTarget,
    /// `withConfig` (default `false`): answer `{treatment, config}` per flag.
    pub with_config: bool,
    /// `impressions` (default `true`): record impressions as get-treatments does.
    pub impressions: bool,
}

const TOP_FIELDS: &str = "keys, flags, flagSets, withConfig, impressions";
const ENTRY_FIELDS: &str = "key, attributes";

/// Parses and checks a bulk request body against `limits` (body size, key and flag counts, and
/// for `flags` the evaluations; for `flagSets` the evaluations are checked by
/// [`BulkRequest::plan`]). Keys are not validated here: each is validated on its own line.
///
/// # Errors
/// [`BulkError::TooLarge`] over a limit, [`BulkError::Invalid`] naming the field otherwise.
pub fn parse(body: &str, limits: &BulkLimits) -> Result<BulkRequest, BulkError> {
    if body.len() > limits.max_body_bytes {
        return Err(BulkError::TooLarge { limit: Limit::BodyBytes, actual: body.len(), max: limits.max_body_bytes });
    }
    let value: Value =
        serde_json::from_str(body).map_err(|e| BulkError::invalid("body", Problem::NotJson(e.to_string())))?;
    let Value::Object(mut fields) = value else {
        return Err(BulkError::invalid("body", Problem::NotAnObject));
    };
    if let Some(unknown) =
        fields.keys().find(|k| !matches!(k.as_str(), "keys" | "flags" | "flagSets" | "withConfig" | "impressions"))
    {
        return Err(BulkError::invalid(unknown.clone(), Problem::UnknownField(TOP_FIELDS)));
    }
    let with_config = boolean(&fields, "withConfig", false)?;
    let impressions = boolean(&fields, "impressions", true)?;
    let flags = fields.remove("flags").filter(|v| !v.is_null());
    let sets = fields.remove("flagSets").filter(|v| !v.is_null());
    let target = match (flags, sets) {
        (Some(_), Some(_)) => return Err(BulkError::invalid("body", Problem::BothFlagsAndSets)),
        (None, None) => return Err(BulkError::invalid("body", Problem::NeitherFlagsNorSets)),
        (Some(flags), None) => {
            let names = strings(flags, "flags", Limit::Flags, limits.max_flags)?;
            let names =
                validate::flag_names(&names, "flags").map_err(|_| BulkError::invalid("flags", Problem::NoValidName))?;
            BulkTarget::Flags(names)
        }
        (None, Some(sets)) => BulkTarget::FlagSets(strings(sets, "flagSets", Limit::FlagSets, limits.max_flags)?),
    };
    let keys = match fields.remove("keys") {
        None | Some(Value::Null) => return Err(BulkError::invalid("keys", Problem::Missing)),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(BulkError::invalid("keys", Problem::NotAnArray)),
    };
    if keys.is_empty() {
        return Err(BulkError::invalid("keys", Problem::Empty));
    }
    if keys.len() > limits.max_keys {
        return Err(BulkError::TooLarge { limit: Limit::Keys, actual: keys.len(), max: limits.max_keys });
    }
    if let BulkTarget::Flags(names) = &target {
        check_evaluations(keys.len(), names.len(), limits)?;
    }
    let keys = keys.into_iter().enumerate().map(|(i, entry)| key_entry(i, entry)).collect::<Result<Vec<_>, _>>()?;
    Ok(BulkRequest { keys, target, with_config, impressions })
}

/// An optional boolean field.
fn boolean(fields: &Map<String, Value>, name: &str, default: bool) -> Result<bool, BulkError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(BulkError::invalid(name, Problem::NotABoolean)),
    }
}

/// A non-empty array of strings of at most `max` entries.
fn strings(value: Value, field: &str, limit: Limit, max: usize) -> Result<Vec<String>, BulkError> {
    let Value::Array(items) = value else {
        return Err(BulkError::invalid(field, Problem::NotAnArray));
    };
    if items.is_empty() {
        return Err(BulkError::invalid(field, Problem::Empty));
    }
    if items.len() > max {
        return Err(BulkError::TooLarge { limit, actual: items.len(), max });
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s),
            _ => Err(BulkError::invalid(format!("{field}[{i}]"), Problem::NotAString)),
        })
        .collect()
}

/// One entry of `keys`: an object with `key` or `attributes` is a `{key, attributes}` entry;
/// anything else is a key as given.
fn key_entry(index: usize, entry: Value) -> Result<BulkKey, BulkError> {
    let mut fields = match entry {
        Value::Object(fields) if fields.contains_key("key") || fields.contains_key("attributes") => fields,
        key => return Ok(BulkKey { key, attributes: None }),
    };
    if let Some(unknown) = fields.keys().find(|k| !matches!(k.as_str(), "key" | "attributes")) {
        return Err(BulkError::invalid(format!("keys[{index}].{unknown}"), Problem::UnknownField(ENTRY_FIELDS)));
    }
    let attributes = match fields.remove("attributes") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => return Err(BulkError::invalid(format!("keys[{index}].attributes"), Problem::NotAnAttributesObject)),
    };
    Ok(BulkKey { key: fields.remove("key").unwrap_or(Value::Null), attributes })
}

fn check_evaluations(keys: usize, flags: usize, limits: &BulkLimits) -> Result<(), BulkError> {
    let evaluations = keys.saturating_mul(flags);
    if evaluations > limits.max_evaluations {
        return Err(BulkError::TooLarge {
            limit: Limit::Evaluations,
            actual: evaluations,
            max: limits.max_evaluations,
        });
    }
    Ok(())
}

impl BulkRequest {
    /// Resolves the flags once for the whole request: the names as validated, or the flags the
    /// sets hold in `client`'s data (as get-treatments-by-flag-sets: sets validated and
    /// filtered by the configured flag-set filter; none when no set is left or no data is
    /// loaded). Every key is then evaluated for the same flags, even if the data changes while
    /// the request is answered.
    ///
    /// # Errors
    /// [`BulkError::TooLarge`] when keys × the sets' flags is over [`BulkLimits::max_evaluations`].
    pub fn plan(self, client: Client<'_>, limits: &BulkLimits) -> Result<BulkPlan, BulkError> {
        let flags = match &self.target {
            BulkTarget::Flags(names) => names.clone(),
            BulkTarget::FlagSets(sets) => client.flag_names_of_sets(sets),
        };
        check_evaluations(self.keys.len(), flags.len(), limits)?;
        let fields = flags
            .iter()
            .map(|name| {
                let mut field = String::with_capacity(name.len().saturating_add(3));
                push_json_string(&mut field, name);
                field.push(':');
                field
            })
            .collect();
        Ok(BulkPlan { request: self, flags, fields })
    }
}

/// A request with its flags resolved: evaluate it range by range with
/// [`BulkPlan::evaluate_range`].
#[derive(Debug, Clone, PartialEq)]
pub struct BulkPlan {
    request: BulkRequest,
    flags: Vec<String>,
    /// `"<flag>":` of each flag, serialized once.
    fields: Vec<String>,
}

impl BulkPlan {
    /// The request.
    pub fn request(&self) -> &BulkRequest {
        &self.request
    }

    /// The flags every key is evaluated for, in answer order.
    pub fn flags(&self) -> &[String] {
        &self.flags
    }

    /// How many keys (output lines) the request has.
    pub fn len(&self) -> usize {
        self.request.keys.len()
    }

    /// Whether the request has no keys ([`parse`] refuses those).
    pub fn is_empty(&self) -> bool {
        self.request.keys.is_empty()
    }

    /// keys × flags.
    pub fn evaluations(&self) -> usize {
        self.len().saturating_mul(self.flags.len())
    }

    /// How many keys a host should evaluate per chunk of streamed output: at most
    /// [`CHUNK_MAX_KEYS`], and about [`CHUNK_EVALUATIONS`] evaluations (at least one key).
    pub fn chunk_keys(&self) -> usize {
        CHUNK_EVALUATIONS.checked_div(self.flags.len()).unwrap_or(CHUNK_MAX_KEYS).clamp(1, CHUNK_MAX_KEYS)
    }

    /// Evaluates the keys of `range` (clamped to the request's keys) and appends one NDJSON line
    /// per key to `out`. Impressions are recorded as get-treatments records them, unless the
    /// request says `impressions: false`. Returns how many keys were evaluated.
    pub fn evaluate_range(&self, edge: &mut SplitEdge, now_ms: u64, range: Range<usize>, out: &mut String) -> usize {
        let end = range.end.min(self.len());
        let keys = self.request.keys.get(range.start.min(end)..end).unwrap_or_default();
        let options = EvaluationOptions::default();
        let mut run = |edge: &mut SplitEdge| {
            for entry in keys {
                self.evaluate_key(edge, now_ms, entry, &options, out);
            }
        };
        if self.request.impressions {
            run(edge);
        } else {
            edge.without_recording(run);
        }
        keys.len()
    }

    /// One key's line.
    fn evaluate_key(
        &self,
        edge: &mut SplitEdge,
        now_ms: u64,
        entry: &BulkKey,
        options: &EvaluationOptions,
        out: &mut String,
    ) {
        out.push_str("{\"key\":");
        push_value(out, &entry.key);
        match validate::key_json(Some(&entry.key)) {
            Err(e) => {
                out.push_str(",\"error\":");
                push_json_string(out, &e.to_string());
            }
            Ok(key) => {
                let results = edge.get_treatments_valid(
                    now_ms,
                    &key,
                    &self.flags,
                    entry.attributes.as_ref().map(AttributeView::Map),
                    options,
                );
                out.push_str(",\"treatments\":{");
                for (i, (field, r)) in self.fields.iter().zip(&results).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(field);
                    push_result(out, r, self.request.with_config);
                }
                out.push('}');
            }
        }
        out.push_str("}\n");
    }
}

/// `{"treatment":…}`, or with `config` `{"treatment":…,"config":…}`: the per-flag shape of
/// split-evaluator's get-treatments(-with-config).
fn push_result(out: &mut String, r: &TreatmentResult<'_>, config: bool) {
    out.push('{');
    crate::wire::push_treatment_fields(out, r, config);
    out.push('}');
}

/// A JSON value as given (strings without an intermediate allocation).
fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => push_json_string(out, s),
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk::SplitEdgeConfig;
    use crate::Key;
    use serde_json::json;

    fn demo() -> SplitEdge {
        let mut edge = SplitEdge::new(SplitEdgeConfig::new("k")).unwrap();
        let flags = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/splits.json")).unwrap();
        edge.snapshot_mut().apply_split_changes_json(&flags).unwrap();
        edge
    }

    fn error(body: &str) -> String {
        parse(body, &BulkLimits::default()).unwrap_err().to_string()
    }

    fn run(edge: &mut SplitEdge, body: &str) -> Vec<Value> {
        let limits = BulkLimits::default();
        let plan = parse(body, &limits).unwrap().plan(edge.client(), &limits).unwrap();
        let mut out = String::new();
        assert_eq!(plan.evaluate_range(edge, 1_000, 0..plan.len(), &mut out), plan.len());
        assert!(out.ends_with('\n'));
        out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    #[test]
    fn parses_every_key_form_and_the_options() {
        let r = parse(
            r#"{"keys":["a",7,{"matchingKey":"m","bucketingKey":"b"},{"key":"c","attributes":{"p":1}},{"attributes":null}],
                "flags":[" f ","","f","g"],"withConfig":true,"impressions":false}"#,
            &BulkLimits::default(),
        )
        .unwrap();
        assert_eq!(r.target, BulkTarget::Flags(vec!["f".into(), "g".into()]));
        assert!(r.with_config && !r.impressions);
        assert_eq!(r.keys[1].key, json!(7));
        assert_eq!(r.keys[2].key, json!({"matchingKey":"m","bucketingKey":"b"}));
        assert_eq!(r.keys[3].attributes, json!({"p":1}).as_object().cloned());
        assert_eq!(r.keys[4], BulkKey { key: Value::Null, attributes: None });
        let r = parse(r#"{"keys":["a"],"flagSets":["S1"],"withConfig":null}"#, &BulkLimits::default()).unwrap();
        assert_eq!((r.target, r.with_config, r.impressions), (BulkTarget::FlagSets(vec!["S1".into()]), false, true));
    }

    #[test]
    fn invalid_bodies_name_the_field() {
        let cases = [
            ("nope", "body is not valid JSON: expected ident at line 1 column 2"),
            ("[1]", "body must be a JSON object"),
            (r#"{"flags":["f"]}"#, "keys is required"),
            (r#"{"keys":"a","flags":["f"]}"#, "keys must be an array"),
            (r#"{"keys":[],"flags":["f"]}"#, "keys must be a non-empty array"),
            (r#"{"keys":["a"]}"#, "body: give exactly one of flags and flagSets"),
            (
                r#"{"keys":["a"],"flags":["f"],"flagSets":["s"]}"#,
                "body: give exactly one of flags and flagSets, not both",
            ),
            (r#"{"keys":["a"],"flags":"f"}"#, "flags must be an array"),
            (r#"{"keys":["a"],"flags":[]}"#, "flags must be a non-empty array"),
            (r#"{"keys":["a"],"flags":["f",3]}"#, "flags[1] must be a string"),
            (r#"{"keys":["a"],"flags":[" ",""]}"#, "flags must hold at least one non-blank name"),
            (r#"{"keys":["a"],"flagSets":[null]}"#, "flagSets[0] must be a string"),
            (r#"{"keys":["a"],"flags":["f"],"withConfig":"true"}"#, "withConfig must be true or false"),
            (r#"{"keys":["a"],"flags":["f"],"impressions":0}"#, "impressions must be true or false"),
            (
                r#"{"keys":["a"],"flags":["f"],"flagsets":["s"]}"#,
                "flagsets is not a known field (expected keys, flags, flagSets, withConfig, impressions)",
            ),
            (
                r#"{"keys":["a","b","c",{"key":"d","attributes":[1]}],"flags":["f"]}"#,
                "keys[3].attributes must be an object",
            ),
            (
                r#"{"keys":[{"key":"d","attrs":{}}],"flags":["f"]}"#,
                "keys[0].attrs is not a known field (expected key, attributes)",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(error(body), message, "{body}");
            assert_eq!(parse(body, &BulkLimits::default()).unwrap_err().status(), 400);
        }
    }

    #[test]
    fn limits_are_413_and_say_which() {
        let limits = BulkLimits { max_keys: 3, max_flags: 2, max_evaluations: 4, max_body_bytes: 100 };
        let too_large = |body: &str| {
            let e = parse(body, &limits).unwrap_err();
            assert!(e.is_too_large() && e.status() == 413, "{e}");
            e.to_string()
        };
        assert_eq!(
            too_large(&format!(r#"{{"keys":["{}"],"flags":["f"]}}"#, "a".repeat(100))),
            "the request body is over the limit of 100 bytes (it holds at least 127)"
        );
        assert_eq!(
            too_large(r#"{"keys":["a","b","c","d"],"flags":["f"]}"#),
            "keys holds 4 entries, over the limit of 3 keys per request"
        );
        assert_eq!(
            too_large(r#"{"keys":["a"],"flags":["f","g","h"]}"#),
            "flags holds 3 entries, over the limit of 2 flags per request"
        );
        assert_eq!(
            too_large(r#"{"keys":["a"],"flagSets":["f","g","h"]}"#),
            "flagSets holds 3 entries, over the limit of 2 flag sets per request"
        );
        assert_eq!(
            too_large(r#"{"keys":["a","b","c"],"flags":["f","g"]}"#),
            "keys × flags is 6 evaluations, over the limit of 4 evaluations per request"
        );
        assert!(parse(r#"{"keys":["a","b"],"flags":["f","g"]}"#, &limits).is_ok());
        // By sets, the flags the sets hold count (the demo's `checkout` set holds 3).
        let edge = demo();
        let r = parse(r#"{"keys":["a","b"],"flagSets":["checkout"]}"#, &limits).unwrap();
        assert_eq!(
            r.plan(edge.client(), &limits).unwrap_err().to_string(),
            "keys × flags is 6 evaluations, over the limit of 4 evaluations per request"
        );
    }

    #[test]
    fn never_panics_on_odd_bodies() {
        let deep = "[".repeat(10_000);
        for body in [
            "",
            "{",
            "null",
            "{\"keys\":[null,true,{},[],1e400]}",
            &deep,
            "{\"keys\":[{\"key\":{\"key\":1}}],\"flags\":[\"f\"]}",
        ] {
            let _ = parse(body, &BulkLimits::default());
        }
        let mut edge = demo();
        let lines =
            run(&mut edge, r#"{"keys":[null,true,{},[],1.5,{"key":{"key":1}},{"attributes":{}}],"flags":["f"]}"#);
        assert_eq!(lines.len(), 7);
        assert_eq!(
            lines[0],
            json!({"key":null,"error":"you passed a null or undefined key, key must be a non-empty string."})
        );
        assert_eq!(lines[1]["error"], "you passed an invalid key, key must be a non-empty string.");
        assert_eq!(lines[2]["error"], "key must be an object with a valid matchingKey and bucketingKey.");
        assert_eq!(lines[4], json!({"key":1.5,"treatments":{"f":{"treatment":"control"}}}));
        assert_eq!(lines[6]["key"], Value::Null);
    }

    /// Every line equals what get-treatments(-with-config) / by-sets answers for that key, and
    /// the impressions are the same.
    #[test]
    fn lines_equal_single_calls_and_record_the_same_impressions() {
        let names: Vec<String> = demo().manager().names();
        for (target, config) in [("flags", false), ("flags", true), ("flagSets", false), ("flagSets", true)] {
            let list: Value = if target == "flags" {
                let mut n: Vec<Value> = names.iter().map(|n| json!(n)).collect();
                n.push(json!("missing_flag"));
                Value::Array(n)
            } else {
                json!(["checkout", "Backend", "no_such_set", "bad-set"])
            };
            let keys = json!(["alice", {"key": "bob", "attributes": {"plan": "pro", "email": "bob@split.io"}},
                {"matchingKey": "carol", "bucketingKey": "b1"}, 12, "", {"key": "dave", "attributes": {"plan": "free"}}]);
            let body = json!({"keys": keys, target: list, "withConfig": config}).to_string();
            let mut bulk = demo();
            bulk.set_capture_impressions(true);
            let lines = run(&mut bulk, &body);
            let mut single = demo();
            single.set_capture_impressions(true);
            for (line, entry) in lines.iter().zip(keys.as_array().unwrap()) {
                let (key, attributes) = match entry.get("key") {
                    Some(k) => (k, entry.get("attributes")),
                    None => (entry, None),
                };
                assert_eq!(&line["key"], key);
                if key == "" {
                    assert_eq!(line["error"], "you passed an empty string, key must be a non-empty string.");
                    continue;
                }
                let results = if target == "flags" {
                    single.get_treatments_json(1_000, Some(key), Some(&list), attributes, &EvaluationOptions::default())
                } else {
                    single.get_treatments_by_flag_sets_json(
                        1_000,
                        Some(key),
                        Some(&list),
                        attributes,
                        &EvaluationOptions::default(),
                    )
                };
                let expected: Map<String, Value> = results
                    .iter()
                    .map(|(n, r)| {
                        let mut v = json!({"treatment": r.treatment});
                        if config {
                            v["config"] = json!(r.config);
                        }
                        (n.clone(), v)
                    })
                    .collect();
                assert!(!expected.is_empty());
                let order: Vec<&String> = line["treatments"].as_object().unwrap().keys().collect();
                assert_eq!(order, expected.keys().collect::<Vec<_>>(), "the same order");
                assert_eq!(line["treatments"], Value::Object(expected), "{target} {key}");
            }
            assert_eq!(bulk.take_captured_impressions(), single.take_captured_impressions());
        }
    }

    #[test]
    fn ranges_append_and_impressions_false_records_nothing() {
        let mut edge = demo();
        edge.set_capture_impressions(true);
        let limits = BulkLimits::default();
        let body = r#"{"keys":["a","b","c"],"flags":["new_checkout"],"impressions":false}"#;
        let plan = parse(body, &limits).unwrap().plan(edge.client(), &limits).unwrap();
        let mut out = String::from("x");
        assert_eq!(plan.evaluate_range(&mut edge, 1, 1..10, &mut out), 2);
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..2;
        assert_eq!(plan.evaluate_range(&mut edge, 1, reversed, &mut out), 0);
        assert!(out.starts_with("x{\"key\":\"b\""));
        assert_eq!(out.lines().count(), 2);
        assert!(edge.take_captured_impressions().is_empty());
        let plan = parse(&body.replace("false", "true"), &limits).unwrap().plan(edge.client(), &limits).unwrap();
        plan.evaluate_range(&mut edge, 1, 0..3, &mut String::new());
        assert_eq!(edge.take_captured_impressions().len(), 3);
        // The same answer as the typed API.
        let mut out = String::new();
        plan.evaluate_range(&mut edge, 1, 0..1, &mut out);
        let expected = edge.client().get_treatment(&Key::new("a"), "new_checkout", None);
        assert_eq!(
            out,
            format!("{{\"key\":\"a\",\"treatments\":{{\"new_checkout\":{{\"treatment\":\"{expected}\"}}}}}}\n")
        );
    }

    #[test]
    fn chunks_bound_the_evaluations() {
        let limits = BulkLimits::default();
        let edge = demo();
        let plan = |flags: usize| {
            let names: Vec<String> = (0..flags).map(|i| format!("f{i}")).collect();
            parse(&json!({"keys": ["a"], "flags": names}).to_string(), &limits)
                .unwrap()
                .plan(edge.client(), &limits)
                .unwrap()
        };
        assert_eq!(plan(1).chunk_keys(), CHUNK_MAX_KEYS);
        assert_eq!(plan(64).chunk_keys(), 128);
        assert_eq!(plan(1000).chunk_keys(), 8);
        // Not ready, by sets: no flags, an empty answer per key.
        let empty = SplitEdge::new(SplitEdgeConfig::new("k")).unwrap();
        let p = parse(r#"{"keys":["a"],"flagSets":["s"]}"#, &limits).unwrap().plan(empty.client(), &limits).unwrap();
        assert!(p.flags().is_empty());
        assert_eq!(p.chunk_keys(), CHUNK_MAX_KEYS);
    }
}
