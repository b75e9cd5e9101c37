//! Keys: a matching key for targeting and a bucketing key for hashing (spec §2.1).

/// A validated key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// Used for segments, whitelists, string matchers on the key, exclusions and impressions.
    pub matching_key: String,
    /// Used for both hashes; `None` when the caller gave a plain string key.
    pub bucketing_key: Option<String>,
}

impl Key {
    /// A plain key: the same string matches and buckets.
    pub fn new(key: impl Into<String>) -> Key {
        Key { matching_key: key.into(), bucketing_key: None }
    }

    /// A key with a separate bucketing key.
    pub fn with_bucketing(matching_key: impl Into<String>, bucketing_key: impl Into<String>) -> Key {
        Key { matching_key: matching_key.into(), bucketing_key: Some(bucketing_key.into()) }
    }

    /// The key hashed for traffic allocation and partitions.
    pub fn bucketing(&self) -> &str {
        self.bucketing_key.as_deref().unwrap_or(&self.matching_key)
    }

    /// A borrowed view for the evaluator.
    pub fn as_ref(&self) -> KeyRef<'_> {
        KeyRef { matching: KeyPart::Str(&self.matching_key), bucketing: KeyPart::Str(self.bucketing()) }
    }
}

impl From<&str> for Key {
    fn from(k: &str) -> Key {
        Key::new(k)
    }
}

impl From<String> for Key {
    fn from(k: String) -> Key {
        Key::new(k)
    }
}

/// One part of a key as the evaluator sees it. Validated keys are strings; dependencies and
/// rule-based segments keyed by an attribute pass the attribute's raw value on as the key, exactly
/// as the JS SDK does, so a part may also be any JSON value or `undefined`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPart<'a> {
    /// A string.
    Str(&'a str),
    /// A non-string JSON value (number, boolean, null, array, object).
    Other(&'a serde_json::Value),
    /// JS `undefined` (a missing attribute or key field).
    Undefined,
}

impl<'a> KeyPart<'a> {
    /// The part for a JSON value (strings become [`KeyPart::Str`]).
    pub fn of(value: Option<&'a serde_json::Value>) -> KeyPart<'a> {
        match value {
            None => KeyPart::Undefined,
            Some(serde_json::Value::String(s)) => KeyPart::Str(s),
            Some(other) => KeyPart::Other(other),
        }
    }

    /// The string, when the part is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            KeyPart::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A borrowed key as the evaluator passes it down to dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef<'a> {
    /// The matching key.
    pub matching: KeyPart<'a>,
    /// The bucketing key.
    pub bucketing: KeyPart<'a>,
}

impl<'a> KeyRef<'a> {
    /// JS `keyParser` on a raw value used as a key: a plain object gives its `matchingKey` and
    /// `bucketingKey`, anything else is both parts.
    pub fn parse(value: Option<&'a serde_json::Value>) -> KeyRef<'a> {
        match value {
            Some(serde_json::Value::Object(map)) => KeyRef {
                matching: KeyPart::of(map.get("matchingKey")),
                bucketing: KeyPart::of(map.get("bucketingKey")),
            },
            other => KeyRef { matching: KeyPart::of(other), bucketing: KeyPart::of(other) },
        }
    }
}
