//! OpenFeature's view of a Split evaluation: one mapping, shared by the Worker's OFREP routes
//! and the npm package's OpenFeature providers.
//!
//! - **Context.** `targetingKey` is the matching key, `bucketingKey` the bucketing key, every
//!   other member a Split attribute ([`Context::from_members`]). The key and attributes are
//!   validated as Split validates them ([`Context::validate`]).
//! - **Variant and value.** The variant is the treatment. What `value` holds is the caller's
//!   [`ValueKind`]: the treatment; the treatment read as a boolean (`on`/`true` → `true`,
//!   `off`/`false` → `false`) or a number (a treatment that is a JSON number); or the treatment's
//!   config, parsed. A treatment that is not of the asked type is [`ErrorCode::TypeMismatch`].
//! - **Reason** ([`Reason`]): `DISABLED` for a killed flag; `SPLIT` when the matched condition
//!   divides traffic between treatments; `TARGETING_MATCH` when it gives one treatment; `DEFAULT`
//!   when no condition matched, the key is outside the traffic allocation, the prerequisites are
//!   not met, or the single-treatment condition is Split's default rule; `ERROR` for a configured
//!   fallback treatment.
//! - **Metadata**: the exact Split `label`, the `changeNumber` and, when the treatment has one,
//!   its `config` (a string): all primitives, as OpenFeature's flag metadata requires.
//! - **Errors**: a flag that does not exist is `FLAG_NOT_FOUND`; an evaluation that answers
//!   `control` for another reason (no data yet, an exception) is `GENERAL`.
//!
//! Evaluations record impressions as `getTreatment` does (one per flag).

use std::fmt;

use serde_json::{json, Map, Value};

use crate::compiled::Rules;
use crate::sdk::SplitEdge;
use crate::{labels, CallTarget, EvaluationOptions, TreatmentResult};

/// An OpenFeature resolution reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The flag is killed.
    Disabled,
    /// A condition that divides traffic between treatments matched.
    Split,
    /// A condition that gives one treatment matched.
    TargetingMatch,
    /// No targeting decided: the default rule, the default treatment.
    Default,
    /// A configured fallback treatment answered.
    Error,
}

impl Reason {
    /// The reason as OpenFeature spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Disabled => "DISABLED",
            Reason::Split => "SPLIT",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Default => "DEFAULT",
            Reason::Error => "ERROR",
        }
    }
}

/// An OpenFeature error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No flag of that name.
    FlagNotFound,
    /// A config that is not JSON, a body that is not JSON.
    ParseError,
    /// The treatment is not of the asked type.
    TypeMismatch,
    /// The context has no `targetingKey`.
    TargetingKeyMissing,
    /// The context is not one Split accepts.
    InvalidContext,
    /// Any other failure (the evaluation answered `control`).
    General,
}

impl ErrorCode {
    /// The code as OpenFeature spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::General => "GENERAL",
        }
    }
}

/// Why a flag could not be resolved: a code and a message for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The OpenFeature error code.
    pub code: ErrorCode,
    /// What went wrong, in words.
    pub details: String,
}

impl Failure {
    /// A failure of `code`.
    pub fn new(code: ErrorCode, details: impl Into<String>) -> Failure {
        Failure { code, details: details.into() }
    }

    /// `{"key", "errorCode", "errorDetails"}` (`key` left out when `None`): OFREP's failure shape.
    pub fn to_json(&self, key: Option<&str>) -> Value {
        let mut out = Map::new();
        if let Some(k) = key {
            out.insert("key".to_owned(), Value::String(k.to_owned()));
        }
        out.insert("errorCode".to_owned(), Value::String(self.code.as_str().to_owned()));
        out.insert("errorDetails".to_owned(), Value::String(self.details.clone()));
        Value::Object(out)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.details)
    }
}

impl std::error::Error for Failure {}

/// What a resolution's `value` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// The treatment (OpenFeature's string flags; OFREP's default).
    Treatment,
    /// `on`/`true` → `true`, `off`/`false` → `false`, a numeric treatment → that number, any
    /// other treatment → itself (OFREP's `X-Split-Value: typed`).
    Typed,
    /// The treatment's config parsed, `null` when it has none (OFREP's `X-Split-Value: config`).
    Config,
    /// A boolean read from the treatment, else [`ErrorCode::TypeMismatch`].
    Boolean,
    /// A number read from the treatment, else [`ErrorCode::TypeMismatch`].
    Number,
    /// The treatment's config parsed; a treatment without config is
    /// [`ErrorCode::TypeMismatch`].
    Object,
}

impl ValueKind {
    /// The kind named `name`: `treatment`, `typed`, `config`, `boolean`, `number`, `object`
    /// (`string` is `treatment`).
    pub fn from_name(name: &str) -> Option<ValueKind> {
        Some(match name {
            "treatment" | "string" => ValueKind::Treatment,
            "typed" => ValueKind::Typed,
            "config" => ValueKind::Config,
            "boolean" => ValueKind::Boolean,
            "number" => ValueKind::Number,
            "object" => ValueKind::Object,
            _ => return None,
        })
    }

    /// The kind's name (the first [`ValueKind::from_name`] accepts).
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Treatment => "treatment",
            ValueKind::Typed => "typed",
            ValueKind::Config => "config",
            ValueKind::Boolean => "boolean",
            ValueKind::Number => "number",
            ValueKind::Object => "object",
        }
    }
}

/// The Split inputs of an OpenFeature evaluation context.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The key: the targeting key, or `{matchingKey, bucketingKey}`.
    pub key: Value,
    /// The attributes: every other member of the context.
    pub attributes: Value,
}

impl Context {
    /// Reads a context's members: `targetingKey` (required; `null` counts as missing),
    /// `bucketingKey` (optional), the rest attributes.
    pub fn from_members(mut members: Map<String, Value>) -> Result<Context, Failure> {
        let Some(targeting) = members.remove("targetingKey").filter(|v| !v.is_null()) else {
            return Err(Failure::new(
                ErrorCode::TargetingKeyMissing,
                "context.targetingKey is required (the Split key)",
            ));
        };
        let key = match members.remove("bucketingKey") {
            None | Some(Value::Null) => targeting,
            Some(b) => json!({"matchingKey": targeting, "bucketingKey": b}),
        };
        Ok(Context { key, attributes: Value::Object(members) })
    }

    /// Reads a context given as any JSON value (`null` is an empty context; anything else but
    /// an object is [`ErrorCode::InvalidContext`]).
    pub fn from_json(context: Value) -> Result<Context, Failure> {
        match context {
            Value::Null => Context::from_members(Map::new()),
            Value::Object(members) => Context::from_members(members),
            _ => Err(Failure::new(ErrorCode::InvalidContext, "context must be an object")),
        }
    }

    /// Checks the key and attributes as Split does: [`ErrorCode::InvalidContext`] with Split's
    /// validation messages when they are rejected.
    pub fn validate(&self, edge: &SplitEdge) -> Result<(), Failure> {
        // A valid name stands in for the flag: a flag that does not exist is FLAG_NOT_FOUND,
        // not a bad context.
        let probe = Value::String("-".to_owned());
        let invalid = edge.client().validation_errors_json(
            CallTarget::Flag,
            Some(&self.key),
            Some(&probe),
            Some(&self.attributes),
        );
        if invalid.is_empty() {
            return Ok(());
        }
        let details: Vec<String> = invalid.iter().map(ToString::to_string).collect();
        Err(Failure::new(ErrorCode::InvalidContext, details.join(" ")))
    }
}

/// A successful resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// The value, of the asked [`ValueKind`].
    pub value: Value,
    /// The treatment.
    pub variant: String,
    /// Why.
    pub reason: Reason,
    /// `label`, `changeNumber` and `config` (when the treatment has one).
    pub metadata: Map<String, Value>,
}

impl Resolution {
    /// `{"key", "value", "variant", "reason", "metadata"}`: OFREP's success shape.
    pub fn to_json(&self, key: &str) -> Value {
        json!({
            "key": key,
            "value": self.value,
            "variant": self.variant,
            "reason": self.reason.as_str(),
            "metadata": self.metadata,
        })
    }
}

/// The resolution of one flag, as OFREP's JSON (success or failure shape, with `key`).
pub fn to_json(key: &str, result: &Result<Resolution, Failure>) -> Value {
    match result {
        Ok(r) => r.to_json(key),
        Err(f) => f.to_json(Some(key)),
    }
}

/// Resolves `flag` for a validated context (see [`Context::validate`]), recording the
/// impression as `getTreatment` does.
pub fn resolve(
    edge: &mut SplitEdge,
    now_ms: u64,
    flag: &str,
    context: &Context,
    kind: ValueKind,
) -> Result<Resolution, Failure> {
    if crate::js::trim(flag).is_empty() {
        return Err(Failure::new(ErrorCode::FlagNotFound, "the flag key is empty"));
    }
    let name = Value::String(flag.to_owned());
    let options = EvaluationOptions::default();
    let result = edge
        .get_treatment_json(now_ms, Some(&context.key), Some(&name), Some(&context.attributes), &options)
        .into_owned();
    resolution(edge, flag, &result, kind)
}

/// Resolves every flag of the data for a validated context, recording impressions as
/// `getTreatments` does.
pub fn resolve_all(
    edge: &mut SplitEdge,
    now_ms: u64,
    context: &Context,
    kind: ValueKind,
) -> Vec<(String, Result<Resolution, Failure>)> {
    let names = Value::Array(edge.snapshot().flag_names().iter().cloned().map(Value::String).collect());
    let options = EvaluationOptions::default();
    let results: Vec<(String, TreatmentResult<'static>)> = edge
        .get_treatments_json(now_ms, Some(&context.key), Some(&names), Some(&context.attributes), &options)
        .iter()
        .map(|(n, r)| (n.to_string(), r.clone().into_owned()))
        .collect();
    results
        .into_iter()
        .map(|(name, r)| {
            let out = resolution(edge, &name, &r, kind);
            (name, out)
        })
        .collect()
}

/// The OpenFeature view of one evaluation's answer.
pub fn resolution(
    edge: &SplitEdge,
    flag: &str,
    r: &TreatmentResult<'_>,
    kind: ValueKind,
) -> Result<Resolution, Failure> {
    let label = r.label.as_deref().unwrap_or_default();
    if r.treatment == labels::CONTROL {
        return Err(if label == labels::DEFINITION_NOT_FOUND {
            Failure::new(ErrorCode::FlagNotFound, format!("no feature flag named {flag:?}"))
        } else {
            Failure::new(ErrorCode::General, format!("the evaluation answered control ({label})"))
        });
    }
    let value = value(&r.treatment, r.config.as_deref(), kind)?;
    let mut metadata = Map::new();
    metadata.insert("label".to_owned(), Value::String(label.to_owned()));
    if let Some(cn) = r.change_number {
        metadata.insert("changeNumber".to_owned(), json!(cn));
    }
    if let Some(config) = r.config.as_deref() {
        metadata.insert("config".to_owned(), Value::String(config.to_owned()));
    }
    Ok(Resolution { value, variant: r.treatment.to_string(), reason: reason(edge, flag, r), metadata })
}

/// The value of `kind` for a treatment and its config.
fn value(treatment: &str, config: Option<&str>, kind: ValueKind) -> Result<Value, Failure> {
    let mismatch = |what: &str| Failure::new(ErrorCode::TypeMismatch, format!("treatment {treatment:?} is not {what}"));
    let parsed_config = |config: &str| {
        serde_json::from_str::<Value>(config).map_err(|e| {
            Failure::new(ErrorCode::ParseError, format!("the config of treatment {treatment:?} is not JSON: {e}"))
        })
    };
    Ok(match kind {
        ValueKind::Treatment => Value::String(treatment.to_owned()),
        ValueKind::Typed => boolean(treatment)
            .map(Value::Bool)
            .or_else(|| number(treatment))
            .unwrap_or_else(|| Value::String(treatment.to_owned())),
        ValueKind::Boolean => {
            Value::Bool(boolean(treatment).ok_or_else(|| mismatch("a boolean (on/off, true/false)"))?)
        }
        ValueKind::Number => number(treatment).ok_or_else(|| mismatch("a number"))?,
        ValueKind::Config => match config {
            None => Value::Null,
            Some(c) => parsed_config(c)?,
        },
        ValueKind::Object => match config {
            None => return Err(mismatch("an object: it has no config")),
            Some(c) => parsed_config(c)?,
        },
    })
}

/// `on`/`true` → `true`, `off`/`false` → `false`.
pub fn boolean(treatment: &str) -> Option<bool> {
    match treatment {
        "on" | "true" => Some(true),
        "off" | "false" => Some(false),
        _ => None,
    }
}

/// A treatment that is a JSON number (in `f64` range), as a number.
pub fn number(treatment: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(treatment) {
        Ok(n @ Value::Number(_)) => Some(n),
        _ => None,
    }
}

/// The OpenFeature reason of a non-control answer (see the module docs).
pub fn reason(edge: &SplitEdge, flag: &str, r: &TreatmentResult<'_>) -> Reason {
    let label = r.label.as_deref().unwrap_or_default();
    if label == labels::KILLED {
        return Reason::Disabled;
    }
    if label.starts_with(labels::FALLBACK_PREFIX) {
        return Reason::Error;
    }
    if label == labels::NOT_IN_SPLIT || label == labels::PREREQUISITES_NOT_MET {
        return Reason::Default;
    }
    let Some(index) = r.decision.condition else { return Reason::Default };
    let divides = edge.snapshot().flag(flag).is_some_and(|f| match &f.rules {
        Rules::Conditions(c) => c.get(index).and_then(|c| c.partitions.as_ref()).is_some_and(|p| p.divides()),
        _ => false,
    });
    match (divides, label == labels::DEFAULT_RULE) {
        (true, _) => Reason::Split,
        (false, true) => Reason::Default,
        (false, false) => Reason::TargetingMatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_each_kind() {
        let v = |t: &str, c: Option<&str>, k| value(t, c, k);
        assert_eq!(v("on", None, ValueKind::Boolean), Ok(json!(true)));
        assert_eq!(v("false", None, ValueKind::Boolean), Ok(json!(false)));
        assert_eq!(v("On", None, ValueKind::Boolean).map_err(|f| f.code), Err(ErrorCode::TypeMismatch));
        assert_eq!(v("12.5", None, ValueKind::Number), Ok(json!(12.5)));
        assert_eq!(v("-3", None, ValueKind::Number), Ok(json!(-3)));
        assert_eq!(v("1e400", None, ValueKind::Number).map_err(|f| f.code), Err(ErrorCode::TypeMismatch));
        assert_eq!(v("v1", None, ValueKind::Number).map_err(|f| f.code), Err(ErrorCode::TypeMismatch));
        assert_eq!(v("on", None, ValueKind::Typed), Ok(json!(true)));
        assert_eq!(v("7", None, ValueKind::Typed), Ok(json!(7)));
        assert_eq!(v("v1", None, ValueKind::Typed), Ok(json!("v1")));
        assert_eq!(v("on", None, ValueKind::Treatment), Ok(json!("on")));
        assert_eq!(v("on", None, ValueKind::Config), Ok(Value::Null));
        assert_eq!(v("on", Some(r#"{"a":1}"#), ValueKind::Config), Ok(json!({"a": 1})));
        assert_eq!(v("on", Some(r#"{"a":1}"#), ValueKind::Object), Ok(json!({"a": 1})));
        assert_eq!(v("on", None, ValueKind::Object).map_err(|f| f.code), Err(ErrorCode::TypeMismatch));
        assert_eq!(v("on", Some("{nope"), ValueKind::Object).map_err(|f| f.code), Err(ErrorCode::ParseError));
        for name in ["treatment", "typed", "config", "boolean", "number", "object"] {
            assert_eq!(ValueKind::from_name(name).map(ValueKind::name), Some(name));
        }
        assert_eq!(ValueKind::from_name("string"), Some(ValueKind::Treatment));
        assert_eq!(ValueKind::from_name("bool"), None);
    }

    #[test]
    fn contexts_split_into_key_and_attributes() {
        let c = Context::from_json(json!({"targetingKey": "a", "bucketingKey": "b", "plan": "pro"})).unwrap();
        assert_eq!(c.key, json!({"matchingKey": "a", "bucketingKey": "b"}));
        assert_eq!(c.attributes, json!({"plan": "pro"}));
        let c = Context::from_json(json!({"targetingKey": "a"})).unwrap();
        assert_eq!((c.key, c.attributes), (json!("a"), json!({})));
        let code = |v: Value| Context::from_json(v).map(|_| ()).map_err(|f| f.code);
        assert_eq!(code(json!({})), Err(ErrorCode::TargetingKeyMissing));
        assert_eq!(code(json!({"targetingKey": null})), Err(ErrorCode::TargetingKeyMissing));
        assert_eq!(code(Value::Null), Err(ErrorCode::TargetingKeyMissing));
        assert_eq!(code(json!(7)), Err(ErrorCode::InvalidContext));
        let failure = Failure::new(ErrorCode::General, "x");
        assert_eq!(failure.to_json(Some("f")), json!({"key": "f", "errorCode": "GENERAL", "errorDetails": "x"}));
        assert_eq!(failure.to_string(), "GENERAL: x");
    }
}
