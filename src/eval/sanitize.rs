//! Runtime values and their sanitization by data type (spec §4.1–§4.2, JS `value/sanitize.ts`).

use std::borrow::Cow;

use serde_json::Value;

use crate::js;
use crate::key::{KeyPart, KeyRef};

/// The value a matcher looks at before sanitization: the key, or an attribute's value.
#[derive(Debug, Clone, Copy)]
pub enum Raw<'v> {
    /// The key object.
    Key(KeyRef<'v>),
    /// `attributes[name]` (present, possibly `null`).
    Value(&'v Value),
    /// `attributes[name]`, a string a host passed borrowed ([`super::AttributeValue::Str`]): the
    /// same as a [`Raw::Value`] of that string.
    Str(&'v str),
}

/// The lang `toString` helper: `null` → "", arrays keep only string elements, `-0` → "-0".
fn lang_to_string(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Null => Cow::Borrowed(""),
        Value::String(s) => Cow::Borrowed(s),
        Value::Array(items) => {
            let parts: Vec<&str> = items.iter().map(|i| i.as_str().unwrap_or("")).collect();
            Cow::Owned(parts.join(","))
        }
        Value::Number(n) => Cow::Owned(js::lang_number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        other => Cow::Owned(js::to_js_string(other)),
    }
}

/// STRING sanitization: the matching key for keys (and key-like objects), else the lang
/// `toString`; the empty string is no value.
pub fn string<'v>(raw: Raw<'v>) -> Option<Cow<'v, str>> {
    let s = match raw {
        Raw::Key(k) => match k.matching {
            KeyPart::Str(s) => Cow::Borrowed(s),
            KeyPart::Other(v) if js::truthy(v) => lang_to_string(v),
            KeyPart::Other(_) | KeyPart::Undefined => return None,
        },
        Raw::Value(Value::Object(map)) => match map.get("matchingKey") {
            Some(mk) if js::truthy(mk) => lang_to_string(mk),
            _ => return None,
        },
        Raw::Value(v) => lang_to_string(v),
        Raw::Str(s) => Cow::Borrowed(s),
    };
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// NUMBER / DATETIME sanitization: JS `toNumber`; NaN is no value.
pub fn number(raw: Raw<'_>) -> Option<f64> {
    let n = match raw {
        Raw::Key(_) => f64::NAN, // an object: "[object Object]" is not a number
        Raw::Value(v) => js::to_number(v),
        Raw::Str(s) => js::string_to_number(s),
    };
    if n.is_nan() {
        None
    } else {
        Some(n)
    }
}

/// SET sanitization: each element as JS `e + ''`, de-duplicated keeping the first; an empty or
/// non-array value is no value.
pub fn set(raw: Raw<'_>) -> Option<Vec<Cow<'_, str>>> {
    let Raw::Value(Value::Array(items)) = raw else { return None };
    let mut out: Vec<Cow<'_, str>> = Vec::with_capacity(items.len());
    for item in items {
        let s = match item {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(js::to_js_string(other)),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

/// BOOLEAN sanitization: booleans, and strings that lowercase to "true"/"false".
pub fn boolean(raw: Raw<'_>) -> Option<bool> {
    let s: &str = match raw {
        Raw::Value(Value::Bool(b)) => return Some(*b),
        Raw::Value(Value::String(s)) => s,
        Raw::Str(s) => s,
        _ => return None,
    };
    match s.to_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// NOT_SPECIFIED values (dependencies, rule-based segments) as a key: the key itself, or the
/// attribute's raw value through JS `keyParser` (a missing attribute is an `undefined` key, as in
/// JS, where the dependency processor wraps even `undefined`).
pub fn as_key(raw: Option<Raw<'_>>) -> KeyRef<'_> {
    match raw {
        Some(Raw::Key(k)) => k,
        Some(Raw::Value(v)) => KeyRef::parse(Some(v)),
        Some(Raw::Str(s)) => KeyRef { matching: KeyPart::Str(s), bucketing: KeyPart::Str(s) },
        None => KeyRef::parse(None),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: Value) -> Option<String> {
        string(Raw::Value(&v)).map(Cow::into_owned)
    }

    #[test]
    fn strings_follow_the_js_lang_helper() {
        assert_eq!(s(json!("a")), Some("a".into()));
        assert_eq!(s(json!(12)), Some("12".into()));
        assert_eq!(s(json!(1e21)), Some("1e+21".into()));
        assert_eq!(s(json!(-0.0)), Some("-0".into()));
        assert_eq!(s(json!(true)), Some("true".into()));
        assert_eq!(s(json!(["a", 1, "b"])), Some("a,,b".into()));
        assert_eq!(s(json!(null)), None);
        assert_eq!(s(json!("")), None);
        assert_eq!(s(json!([])), None);
        assert_eq!(s(json!({"matchingKey": "mk"})), Some("mk".into()));
        assert_eq!(s(json!({"matchingKey": 7})), Some("7".into()));
        assert_eq!(s(json!({"matchingKey": ""})), None);
        assert_eq!(s(json!({"x": 1})), None);
        let key = KeyRef { matching: KeyPart::Str("m"), bucketing: KeyPart::Str("b") };
        assert_eq!(string(Raw::Key(key)).as_deref(), Some("m"));
    }

    #[test]
    fn numbers_follow_js_to_number() {
        let n = |v: Value| number(Raw::Value(&v));
        assert_eq!(n(json!("")), Some(0.0));
        assert_eq!(n(json!(null)), Some(0.0));
        assert_eq!(n(json!([])), Some(0.0));
        assert_eq!(n(json!(false)), Some(0.0));
        assert_eq!(n(json!(" 12 ")), Some(12.0));
        assert_eq!(n(json!("0x1A")), Some(26.0));
        assert_eq!(n(json!(["7"])), Some(7.0));
        assert_eq!(n(json!([1, 2])), None);
        assert_eq!(n(json!({})), None);
        assert_eq!(n(json!("1_000")), None);
        assert_eq!(number(Raw::Key(KeyRef { matching: KeyPart::Str("5"), bucketing: KeyPart::Str("5") })), None);
        let five = json!(5);
        let key = KeyRef::parse(Some(&five));
        assert_eq!(string(Raw::Key(key)).as_deref(), Some("5"));
        assert_eq!(string(Raw::Key(KeyRef::parse(None))), None);
    }

    #[test]
    fn sets_stringify_and_deduplicate() {
        let v = json!([1, "1", null, [1, 2], {}, "a", "a"]);
        let got: Vec<String> = set(Raw::Value(&v)).unwrap().into_iter().map(Cow::into_owned).collect();
        assert_eq!(got, ["1", "null", "1,2", "[object Object]", "a"]);
        assert!(set(Raw::Value(&json!([]))).is_none());
        assert!(set(Raw::Value(&json!("a"))).is_none());
    }

    #[test]
    fn booleans_accept_case_insensitive_strings_only() {
        let b = |v: Value| boolean(Raw::Value(&v));
        assert_eq!(b(json!(true)), Some(true));
        assert_eq!(b(json!("TRUE")), Some(true));
        assert_eq!(b(json!("False")), Some(false));
        assert_eq!(b(json!(" true")), None);
        assert_eq!(b(json!(1)), None);
    }
}
