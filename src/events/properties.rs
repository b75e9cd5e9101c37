//! Event properties validation (JS `validateEventProperties`, spec §5.2), also applied to the
//! properties of evaluation options (JS `validateEvaluationOptions`) that impressions carry.

use serde_json::{Map, Value};

use super::{TrackError, TrackWarning};
use crate::js;
use crate::wire;

/// The estimated size of an event without properties, in bytes.
pub const BASE_EVENT_SIZE: usize = 1024;
/// The largest estimated event size accepted, in bytes.
pub const MAX_EVENT_SIZE: usize = 32 * 1024;
/// More properties than this only earn a warning.
pub const MAX_PROPERTIES_AMOUNT: usize = 300;

/// Validated properties and the event's estimated size.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidProperties {
    /// A shallow copy in JS key order, values of invalid type replaced by `null`.
    pub properties: Map<String, Value>,
    /// 1024 + Σ (2 × key length + value size), lengths in UTF-16 units.
    pub size: usize,
}

/// The estimate JS gives a valid value: strings 2 bytes per UTF-16 unit, numbers 8, booleans 4,
/// `null` 0; `None` for a value of invalid type.
fn value_size(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(js::utf16_len(s).saturating_mul(2)),
        Value::Number(_) => Some(8),
        Value::Bool(_) => Some(4),
        Value::Null => Some(0),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Validates a properties object: values that are not a string, finite number, boolean or `null`
/// become `null` (with a warning), more than 300 properties earn a warning, and an estimated size
/// over 32768 bytes is an error. Properties are visited in JS key order, as JS does, and the
/// visit stops at the first property that makes the size exceed the limit.
pub fn validate_properties(
    map: &Map<String, Value>,
    warnings: &mut Vec<TrackWarning>,
) -> Result<ValidProperties, TrackError> {
    if map.len() > MAX_PROPERTIES_AMOUNT {
        warnings.push(TrackWarning::TooManyProperties { count: map.len() });
    }
    let mut size = BASE_EVENT_SIZE;
    let mut out = Map::with_capacity(map.len());
    for (key, value) in wire::js_key_order(map) {
        size = size.saturating_add(js::utf16_len(key).saturating_mul(2));
        let value = match value_size(value) {
            Some(s) => {
                size = size.saturating_add(s);
                value.clone()
            }
            None => {
                warnings.push(TrackWarning::PropertyNulled { property: key.clone() });
                Value::Null
            }
        };
        if size > MAX_EVENT_SIZE {
            return Err(TrackError::PropertiesTooLarge { size });
        }
        out.insert(key.clone(), value);
    }
    Ok(ValidProperties { properties: out, size })
}

/// What evaluation options' properties become on impressions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluationProperties {
    /// The impression `properties`: the validated properties' JSON text, only when valid and
    /// non-empty.
    pub json: Option<String>,
    /// Warnings to log.
    pub warnings: Vec<TrackWarning>,
    /// Why the properties were dropped, when they were (JS logs it and evaluates without them).
    pub error: Option<TrackError>,
}

/// The impression `properties` for typed evaluation options' properties (JS
/// `validateEvaluationOptions` then `JSON.stringify`): validated as event properties and
/// stringified with JS key order and number formatting when valid and non-empty.
///
/// ```
/// use serde_json::json;
/// use split_edge::events::evaluation_properties;
/// let p = json!({"plan": "pro", "7": 1.0, "bad": [1]});
/// let out = evaluation_properties(p.as_object());
/// assert_eq!(out.json.as_deref(), Some(r#"{"7":1,"plan":"pro","bad":null}"#));
/// assert_eq!(out.warnings.len(), 1);
/// assert_eq!(evaluation_properties(json!({}).as_object()).json, None);
/// ```
#[must_use]
pub fn evaluation_properties(properties: Option<&Map<String, Value>>) -> EvaluationProperties {
    let mut out = EvaluationProperties::default();
    let Some(map) = properties else { return out };
    match validate_properties(map, &mut out.warnings) {
        Ok(valid) if !valid.properties.is_empty() => {
            let mut json = String::new();
            wire::push_json_object(&mut json, &valid.properties);
            out.json = Some(json);
        }
        Ok(_) => {}
        Err(e) => out.error = Some(e),
    }
    out
}

/// [`evaluation_properties`] for properties as a JavaScript caller or HTTP request gives them:
/// absent or `null` is none; anything but a plain object is dropped with
/// [`TrackError::PropertiesNotObject`].
#[must_use]
pub fn evaluation_properties_json(properties: Option<&Value>) -> EvaluationProperties {
    match properties {
        None | Some(Value::Null) => EvaluationProperties::default(),
        Some(Value::Object(map)) => evaluation_properties(Some(map)),
        Some(_) => {
            EvaluationProperties { error: Some(TrackError::PropertiesNotObject), ..EvaluationProperties::default() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn validate(v: Value) -> (Result<ValidProperties, TrackError>, Vec<TrackWarning>) {
        let mut w = Vec::new();
        let r = validate_properties(v.as_object().unwrap(), &mut w);
        (r, w)
    }

    #[test]
    fn sizes_and_nulling() {
        let (r, w) = validate(json!({"a": "xy", "bb": 1.5, "c": true, "d": null, "e": {"x": 1}, "😀": "é"}));
        let r = r.unwrap();
        // 1024 + a:2+4 + bb:4+8 + c:2+4 + d:2+0 + e:2+0 + 😀:4+2
        assert_eq!(r.size, 1024 + 6 + 12 + 6 + 2 + 2 + 6);
        assert_eq!(r.properties["e"], Value::Null);
        assert_eq!(w, vec![TrackWarning::PropertyNulled { property: "e".into() }]);
    }

    #[test]
    fn size_limit_and_key_count() {
        // 1024 + 2 + 2 × 15,871 = 32,768: exactly at the limit is fine.
        let (r, _) = validate(json!({"a": "x".repeat(15_871)}));
        assert_eq!(r.unwrap().size, 32_768);
        let (r, _) = validate(json!({"a": "x".repeat(15_872)}));
        assert_eq!(r, Err(TrackError::PropertiesTooLarge { size: 32_770 }));
        let many: Map<String, Value> = (0..301).map(|i| (format!("k{i}"), json!(i))).collect();
        let (r, w) = validate(Value::Object(many));
        assert!(r.is_ok());
        assert_eq!(w, vec![TrackWarning::TooManyProperties { count: 301 }]);
    }

    #[test]
    fn js_key_order_is_kept() {
        let (r, _) = validate(json!({"b": 1, "10": 2, "2": 3}));
        let keys: Vec<&String> = r.as_ref().unwrap().properties.keys().collect();
        assert_eq!(keys, ["2", "10", "b"]);
    }

    #[test]
    fn evaluation_properties_from_json() {
        assert_eq!(evaluation_properties_json(None), EvaluationProperties::default());
        assert_eq!(evaluation_properties_json(Some(&json!(null))).json, None);
        let bad = evaluation_properties_json(Some(&json!([1])));
        assert_eq!((bad.json, bad.error), (None, Some(TrackError::PropertiesNotObject)));
        let big = evaluation_properties_json(Some(&json!({"a": "x".repeat(20_000)})));
        assert_eq!(big.json, None);
        assert!(matches!(big.error, Some(TrackError::PropertiesTooLarge { .. })));
        let ok = evaluation_properties_json(Some(&json!({"n": 1e21, "z": -0.0, "s": "q\""})));
        assert_eq!(ok.json.as_deref(), Some(r#"{"n":1e+21,"z":0,"s":"q\""}"#));
    }
}
