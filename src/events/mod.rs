//! Events (`track`, spec §5.2 and §8.5): the event record and the validation JS's `client.track`
//! and split-evaluator's `/client/track` apply before an event is queued.
//!
//! Parameters are validated in split-evaluator's order — key, traffic type, event type, value,
//! properties — and every error is collected (split-evaluator answers 400 with all of them).
//! Warnings (a lowercased traffic type, a property set to `null`, ...) come back alongside so
//! hosts can log them. [`track`] takes typed input; [`track_json`] takes inputs exactly as a
//! JavaScript caller or an HTTP request hands them over (numbers as keys, numeric strings as
//! values, `null`s, non-objects as properties).

use std::fmt;

use serde_json::{Map, Value};

use crate::js;
use crate::key::Key;
use crate::snapshot::Snapshot;
use crate::validate::{self, ValidKey, ValidationError};

mod properties;

pub use properties::{
    evaluation_properties, evaluation_properties_json, validate_properties, EvaluationProperties, ValidProperties,
    BASE_EVENT_SIZE, MAX_EVENT_SIZE, MAX_PROPERTIES_AMOUNT,
};

/// One tracked event (JS `EventData`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The event type.
    pub event_type_id: String,
    /// The traffic type (trimmed, lowercased when it had capitals).
    pub traffic_type_name: String,
    /// The value, if any (sent as `null` when absent).
    pub value: Option<f64>,
    /// When it was tracked, in ms since the epoch.
    pub timestamp: u64,
    /// The matching key.
    pub key: String,
    /// The validated properties, in JS key order (sent as `null` when absent).
    pub properties: Option<Map<String, Value>>,
}

impl Event {
    /// A rough upper estimate of this event's share of an `events/bulk` body, in bytes, used to
    /// bound queued data before it is serialized.
    #[must_use]
    pub fn estimated_json_len(&self) -> usize {
        let props = self.properties.as_ref().map_or(0, |p| {
            p.iter().fold(2usize, |acc, (k, v)| {
                let v = match v {
                    Value::String(s) => s.len().saturating_add(2),
                    _ => 24,
                };
                acc.saturating_add(k.len()).saturating_add(v).saturating_add(4)
            })
        });
        // {"eventTypeId":,"trafficTypeName":,"value":,"timestamp":,"key":,"properties":}
        120usize
            .saturating_add(self.event_type_id.len())
            .saturating_add(self.traffic_type_name.len())
            .saturating_add(self.key.len())
            .saturating_add(props)
    }
}

/// Why `track` rejected its input. `Display` gives split-evaluator's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackError {
    /// The key is invalid (its own message).
    Key(ValidationError),
    /// The traffic type is null or missing.
    NullTrafficType,
    /// The traffic type is not a string.
    InvalidTrafficType,
    /// The traffic type is empty after trimming.
    EmptyTrafficType,
    /// The event type is null or missing.
    NullEventType,
    /// The event type is not a string.
    InvalidEventType,
    /// The event type is empty.
    EmptyEventType,
    /// The event type does not match `^[a-zA-Z0-9][-_.:a-zA-Z0-9]{0,79}$`; holds it.
    EventTypeFormat(String),
    /// The value is neither a finite number nor null.
    InvalidValue,
    /// The properties are not a plain object.
    PropertiesNotObject,
    /// The properties' estimated size exceeds 32768 bytes; holds the estimate reached.
    PropertiesTooLarge {
        /// The estimated size at the property that crossed the limit.
        size: usize,
    },
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TrackError as E;
        match self {
            E::Key(e) => e.fmt(f),
            E::NullTrafficType => {
                f.write_str("you passed a null or undefined traffic-type, traffic-type must be a non-empty string.")
            }
            E::InvalidTrafficType => {
                f.write_str("you passed an invalid traffic-type, traffic-type must be a non-empty string.")
            }
            E::EmptyTrafficType => f.write_str("you passed an empty traffic-type, traffic-type must be a non-empty string."),
            E::NullEventType => {
                f.write_str("you passed a null or undefined event-type, event-type must be a non-empty string.")
            }
            E::InvalidEventType => f.write_str("you passed an invalid event-type, event-type must be a non-empty string."),
            E::EmptyEventType => f.write_str("you passed an empty event-type, event-type must be a non-empty string."),
            E::EventTypeFormat(v) => write!(
                f,
                "you passed \"{v}\", event-type must adhere to the regular expression /^[a-zA-Z0-9][-_.:a-zA-Z0-9]{{0,79}}$/g. \
                 This means an event_type must be alphanumeric, cannot be more than 80 characters long, and can only \
                 include a dash, underscore, period, or colon as separators of alphanumeric characters."
            ),
            E::InvalidValue => f.write_str("value must be null or number."),
            E::PropertiesNotObject => f.write_str("properties must be a plain object."),
            E::PropertiesTooLarge { .. } => {
                f.write_str("the maximum size allowed for the properties is 32768 bytes, which was exceeded.")
            }
        }
    }
}

impl std::error::Error for TrackError {}

/// Something `track` accepted but JS would log a warning about. `Display` gives the JS SDK's
/// message (without its method prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackWarning {
    /// A key part was a number and was converted to a string.
    KeyConverted {
        /// The converted key part.
        key: String,
    },
    /// The traffic type had capital letters and was lowercased.
    TrafficTypeLowercased,
    /// More than 300 properties were given (they are all kept).
    TooManyProperties {
        /// How many were given.
        count: usize,
    },
    /// A property's value was not a string, finite number, boolean or null; it was set to null.
    PropertyNulled {
        /// The property's name.
        property: String,
    },
    /// No loaded flag has this traffic type (see [`traffic_type_warning`]).
    TrafficTypeNotFound {
        /// The traffic type.
        traffic_type: String,
    },
}

impl fmt::Display for TrackWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackWarning::KeyConverted { key } => write!(f, "key \"{key}\" is not of type string, converting."),
            TrackWarning::TrafficTypeLowercased => {
                f.write_str("traffic_type_name should be all lowercase - converting string to lowercase.")
            }
            TrackWarning::TooManyProperties { .. } => {
                f.write_str("more than 300 properties were provided. Some of them will be trimmed when processed.")
            }
            TrackWarning::PropertyNulled { property } => {
                write!(f, "Property \"{property}\" is of invalid type. Setting value to null.")
            }
            TrackWarning::TrafficTypeNotFound { traffic_type } => write!(
                f,
                "traffic type \"{traffic_type}\" does not have any corresponding feature flag in this environment, \
                 make sure you're tracking your events to a valid traffic type defined in Harness FME UI."
            ),
        }
    }
}

/// An accepted event, ready for [`crate::recorder::Recorder::record_event`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedEvent {
    /// The event.
    pub event: Event,
    /// Its estimated size (JS: 1024 + the properties' estimate), for the events queue's 5 MB trigger.
    pub size: usize,
    /// Warnings to log.
    pub warnings: Vec<TrackWarning>,
}

/// A rejected `track` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRejected {
    /// Every error, in parameter order (key, traffic type, event type, value, properties).
    pub errors: Vec<TrackError>,
    /// Warnings from the parameters that were valid.
    pub warnings: Vec<TrackWarning>,
}

impl fmt::Display for TrackRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            e.fmt(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for TrackRejected {}

/// Validates a traffic type string: trimmed (split-evaluator trims; the SDK alone does not),
/// non-empty, lowercased (all of it, as JS `toLowerCase`) when it contains `A-Z`.
fn traffic_type_str(tt: &str, warnings: &mut Vec<TrackWarning>) -> Result<String, TrackError> {
    let tt = js::trim(tt);
    if tt.is_empty() {
        return Err(TrackError::EmptyTrafficType);
    }
    if tt.bytes().any(|b| b.is_ascii_uppercase()) {
        warnings.push(TrackWarning::TrafficTypeLowercased);
        Ok(tt.to_lowercase())
    } else {
        Ok(tt.to_owned())
    }
}

/// Whether `s` matches `^[a-zA-Z0-9][-_.:a-zA-Z0-9]{0,79}$`.
#[must_use]
pub fn is_valid_event_type(s: &str) -> bool {
    let bytes = s.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphanumeric()
                && rest.len() <= 79
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        }
        None => false,
    }
}

fn event_type_str(s: &str) -> Result<String, TrackError> {
    if s.is_empty() {
        Err(TrackError::EmptyEventType)
    } else if !is_valid_event_type(s) {
        Err(TrackError::EventTypeFormat(s.to_owned()))
    } else {
        Ok(s.to_owned())
    }
}

fn value_f64(v: Option<f64>) -> Result<Option<f64>, TrackError> {
    match v {
        Some(n) if !n.is_finite() => Err(TrackError::InvalidValue),
        other => Ok(other),
    }
}

/// Validates optional properties, collecting the size.
fn properties_map(
    map: Option<&Map<String, Value>>,
    warnings: &mut Vec<TrackWarning>,
) -> Result<(Option<Map<String, Value>>, usize), TrackError> {
    match map {
        None => Ok((None, BASE_EVENT_SIZE)),
        Some(m) => validate_properties(m, warnings).map(|v| (Some(v.properties), v.size)),
    }
}

/// Assembles the outcome from each parameter's result, errors in parameter order.
fn assemble(
    key: Result<ValidKey<'_>, ValidationError>,
    traffic_type: Result<String, TrackError>,
    event_type: Result<String, TrackError>,
    value: Result<Option<f64>, TrackError>,
    properties: Result<(Option<Map<String, Value>>, usize), TrackError>,
    warnings: Vec<TrackWarning>,
    now_ms: u64,
) -> Result<TrackedEvent, TrackRejected> {
    match (key, traffic_type, event_type, value, properties) {
        (Ok(key), Ok(traffic_type_name), Ok(event_type_id), Ok(value), Ok((properties, size))) => Ok(TrackedEvent {
            event: Event {
                event_type_id,
                traffic_type_name,
                value,
                timestamp: now_ms,
                key: key.matching.into_owned(),
                properties,
            },
            size,
            warnings,
        }),
        (key, traffic_type, event_type, value, properties) => {
            let errors =
                [key.err().map(TrackError::Key), traffic_type.err(), event_type.err(), value.err(), properties.err()]
                    .into_iter()
                    .flatten()
                    .collect();
            Err(TrackRejected { errors, warnings })
        }
    }
}

/// Validates a typed `track(key, trafficType, eventType, value, properties)` call at `now_ms`.
///
/// ```
/// use split_edge::{events, Key};
/// let ok = events::track(&Key::new("u1"), " User ", "checkout", Some(9.5), None, 1_700_000_000_000).unwrap();
/// assert_eq!(ok.event.traffic_type_name, "user");
/// assert_eq!(ok.size, 1024);
/// let bad = events::track(&Key::new(""), "user", "bad type!", Some(f64::NAN), None, 0).unwrap_err();
/// assert_eq!(bad.errors.len(), 3);
/// ```
pub fn track(
    key: &Key,
    traffic_type: &str,
    event_type: &str,
    value: Option<f64>,
    properties: Option<&Map<String, Value>>,
    now_ms: u64,
) -> Result<TrackedEvent, TrackRejected> {
    let mut warnings = Vec::new();
    let key = validate::key(key);
    let traffic_type = traffic_type_str(traffic_type, &mut warnings);
    let event_type = event_type_str(event_type);
    let value = value_f64(value);
    let properties = properties_map(properties, &mut warnings);
    assemble(key, traffic_type, event_type, value, properties, warnings, now_ms)
}

/// Validates a `track` call whose inputs come as a JavaScript caller or HTTP request gives them:
/// * `key`: a string, a finite number (converted, with a warning) or `{matchingKey, bucketingKey}`
///   (the matching key is the event's key);
/// * `traffic_type`, `event_type`: must be strings;
/// * `value`: absent/`null` (none), a finite number, or a string that `Number()` turns into a
///   finite number and is not blank (split-evaluator reads it from the query string);
///   anything else is [`TrackError::InvalidValue`];
/// * `properties`: absent/`null` (none) or a plain object.
pub fn track_json(
    key: Option<&Value>,
    traffic_type: Option<&Value>,
    event_type: Option<&Value>,
    value: Option<&Value>,
    properties: Option<&Value>,
    now_ms: u64,
) -> Result<TrackedEvent, TrackRejected> {
    let mut warnings = Vec::new();
    let valid_key = validate::key_json(key);
    if valid_key.is_ok() {
        key_conversion_warnings(key, &mut warnings);
    }
    let traffic_type = match traffic_type {
        None | Some(Value::Null) => Err(TrackError::NullTrafficType),
        Some(Value::String(s)) => traffic_type_str(s, &mut warnings),
        Some(_) => Err(TrackError::InvalidTrafficType),
    };
    let event_type = match event_type {
        None | Some(Value::Null) => Err(TrackError::NullEventType),
        Some(Value::String(s)) => event_type_str(s),
        Some(_) => Err(TrackError::InvalidEventType),
    };
    let value = match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => value_f64(n.as_f64()),
        Some(Value::String(s)) if js::trim(s).is_empty() => Err(TrackError::InvalidValue),
        Some(Value::String(s)) => value_f64(Some(js::string_to_number(s))),
        Some(_) => Err(TrackError::InvalidValue),
    };
    let properties = match properties {
        None | Some(Value::Null) => properties_map(None, &mut warnings),
        Some(Value::Object(m)) => properties_map(Some(m), &mut warnings),
        Some(_) => Err(TrackError::PropertiesNotObject),
    };
    assemble(valid_key, traffic_type, event_type, value, properties, warnings, now_ms)
}

/// JS warns when it converts a numeric key part to a string.
fn key_conversion_warnings(key: Option<&Value>, warnings: &mut Vec<TrackWarning>) {
    let mut check = |v: Option<&Value>| {
        if let Some(Value::Number(n)) = v {
            // As the key itself (JS's `toString` helper).
            let key = js::lang_number_to_string(n.as_f64().unwrap_or(f64::NAN));
            warnings.push(TrackWarning::KeyConverted { key });
        }
    };
    match key {
        Some(Value::Object(obj)) => {
            check(obj.get("matchingKey"));
            check(obj.get("bucketingKey"));
        }
        other => check(other),
    }
}

/// The warning JS logs when tracking to a traffic type no loaded flag has (only once flag data
/// is loaded); the event is queued all the same.
#[must_use]
pub fn traffic_type_warning(snapshot: &Snapshot, traffic_type: &str) -> Option<TrackWarning> {
    let ready = snapshot.flags_change_number() > -1 || snapshot.flag_count() > 0;
    if ready && !snapshot.has_traffic_type(traffic_type) {
        Some(TrackWarning::TrafficTypeNotFound { traffic_type: traffic_type.to_owned() })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn typed_track_accepts_and_normalizes() {
        let props = json!({"b": true, "1": "x", "bad": [1]});
        let ok = track(&Key::with_bucketing("m", "b"), "ÚSER", "a:b.c-d_e", None, props.as_object(), NOW).unwrap();
        assert_eq!(ok.event.key, "m");
        assert_eq!(ok.event.traffic_type_name, "úser");
        assert_eq!(ok.event.timestamp, NOW);
        assert_eq!(ok.size, 1024 + (2 + 4) + (2 + 2) + 6);
        let keys: Vec<&String> = ok.event.properties.as_ref().unwrap().keys().collect();
        assert_eq!(keys, ["1", "b", "bad"]);
        assert_eq!(
            ok.warnings,
            vec![TrackWarning::TrafficTypeLowercased, TrackWarning::PropertyNulled { property: "bad".into() }]
        );
        // Capitals only outside A-Z are kept.
        assert_eq!(track(&Key::new("k"), "Úser", "e", None, None, NOW).unwrap().event.traffic_type_name, "Úser");
    }

    #[test]
    fn errors_in_parameter_order() {
        let big = json!({"p": "x".repeat(16_000)});
        let err = track(&Key::new("  "), "  ", "-bad", Some(f64::INFINITY), big.as_object(), NOW).unwrap_err();
        assert_eq!(
            err.errors,
            vec![
                TrackError::Key(ValidationError::EmptyKey("key".into())),
                TrackError::EmptyTrafficType,
                TrackError::EventTypeFormat("-bad".into()),
                TrackError::InvalidValue,
                TrackError::PropertiesTooLarge { size: 1024 + 2 + 32_000 },
            ]
        );
        let messages: Vec<String> = err.errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages[0], "you passed an empty string, key must be a non-empty string.");
        assert_eq!(messages[1], "you passed an empty traffic-type, traffic-type must be a non-empty string.");
        assert_eq!(
            messages[2],
            "you passed \"-bad\", event-type must adhere to the regular expression /^[a-zA-Z0-9][-_.:a-zA-Z0-9]{0,79}$/g. This means an event_type must be alphanumeric, cannot be more than 80 characters long, and can only include a dash, underscore, period, or colon as separators of alphanumeric characters."
        );
        assert_eq!(messages[3], "value must be null or number.");
    }

    #[test]
    fn event_type_pattern() {
        assert!(is_valid_event_type("a"));
        assert!(is_valid_event_type(&format!("a{}", "b".repeat(79))));
        assert!(!is_valid_event_type(&format!("a{}", "b".repeat(80))));
        for bad in ["", "_a", "a b", "a/b", "é", "a\n"] {
            assert!(!is_valid_event_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn json_track_messages() {
        let err = track_json(None, None, None, Some(&json!("  ")), Some(&json!("x")), NOW).unwrap_err();
        let messages: Vec<String> = err.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "you passed a null or undefined key, key must be a non-empty string.",
                "you passed a null or undefined traffic-type, traffic-type must be a non-empty string.",
                "you passed a null or undefined event-type, event-type must be a non-empty string.",
                "value must be null or number.",
                "properties must be a plain object.",
            ]
        );
        let err = track_json(Some(&json!(true)), Some(&json!(5)), Some(&json!(5)), Some(&json!(true)), None, NOW)
            .unwrap_err();
        let messages: Vec<String> = err.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "you passed an invalid key, key must be a non-empty string.",
                "you passed an invalid traffic-type, traffic-type must be a non-empty string.",
                "you passed an invalid event-type, event-type must be a non-empty string.",
                "value must be null or number.",
            ]
        );
        assert_eq!(
            track_json(Some(&json!("k")), Some(&json!("u")), Some(&json!("")), None, None, NOW).unwrap_err().errors,
            vec![TrackError::EmptyEventType]
        );
    }

    #[test]
    fn json_values_and_keys() {
        let ok = |v: Value| {
            track_json(Some(&json!(12)), Some(&json!("user")), Some(&json!("e")), Some(&v), None, NOW).map(|t| t.event)
        };
        assert_eq!(ok(json!("0x10")).unwrap().value, Some(16.0));
        assert_eq!(ok(json!(" 2.5 ")).unwrap().value, Some(2.5));
        assert_eq!(ok(json!(-0.0)).unwrap().value, Some(-0.0));
        assert!(ok(json!("Infinity")).is_err());
        assert!(ok(json!("abc")).is_err());
        assert!(ok(json!([])).is_err());
        let t = track_json(Some(&json!(12)), Some(&json!("user")), Some(&json!("e")), None, None, NOW).unwrap();
        assert_eq!(t.event.key, "12");
        assert_eq!(t.warnings, vec![TrackWarning::KeyConverted { key: "12".into() }]);
        let t = track_json(Some(&json!(-0.0)), Some(&json!("user")), Some(&json!("e")), None, None, NOW).unwrap();
        assert_eq!(t.event.key, "-0");
        assert_eq!(t.warnings, vec![TrackWarning::KeyConverted { key: "-0".into() }]);
        assert_eq!(t.warnings[0].to_string(), "key \"-0\" is not of type string, converting.");
        let t = track_json(
            Some(&json!({"matchingKey": "m", "bucketingKey": 3})),
            Some(&json!("user")),
            Some(&json!("e")),
            Some(&json!(null)),
            Some(&json!({})),
            NOW,
        )
        .unwrap();
        assert_eq!((t.event.key.as_str(), t.event.value), ("m", None));
        assert_eq!(t.event.properties, Some(Map::new()));
    }

    #[test]
    fn traffic_type_existence_warning() {
        let empty = Snapshot::new();
        assert_eq!(traffic_type_warning(&empty, "user"), None, "not ready: no warning");
    }
}
