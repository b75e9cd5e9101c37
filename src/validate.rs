//! Input validation with the rules of Split's JS SDK (spec §5.2) and the messages of
//! split-evaluator (spec §8.5).
//!
//! Inputs arrive either typed (Rust callers) or as JSON values exactly as a JavaScript caller or
//! an HTTP request gave them (numbers as keys, `null`s, non-object attributes): both go through
//! the same rules. A rejected input is evaluated by nobody and produces no impression.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::eval::Attributes;
use crate::js;
use crate::key::{Key, KeyPart, KeyRef};

/// The longest key accepted, in UTF-16 code units.
pub const KEY_MAX_LENGTH: usize = 250;

/// Why an input was rejected. `Display` gives split-evaluator's message for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationError {
    /// A key part is null or missing. The field is `key`, `bucketing-key`, `matchingKey`, ...
    NullKey(String),
    /// A key part is neither a string nor a finite number.
    InvalidKey(String),
    /// A key part is empty after trimming.
    EmptyKey(String),
    /// A key part is longer than 250 UTF-16 code units after trimming.
    KeyTooLong(String),
    /// A key object lacks a valid `matchingKey` or `bucketingKey`.
    InvalidKeyObject,
    /// A flag name is null or missing. The field is `split-name`, `feature flag name`, ...
    NullName(String),
    /// A flag name is not a string.
    InvalidName(String),
    /// A flag name is empty after trimming.
    EmptyName(String),
    /// A list of flag names is missing.
    NullNames(String),
    /// A list of flag names holds no valid name.
    EmptyNames(String),
    /// A list of flag sets is missing.
    NullFlagSets(String),
    /// A list of flag sets holds no valid set.
    EmptyFlagSets(String),
    /// Attributes are not a plain object.
    AttributesNotObject,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ValidationError as E;
        match self {
            E::NullKey(t) => write!(f, "you passed a null or undefined {t}, {t} must be a non-empty string."),
            E::InvalidKey(_) => f.write_str("you passed an invalid key, key must be a non-empty string."),
            E::EmptyKey(t) => write!(f, "you passed an empty string, {t} must be a non-empty string."),
            E::KeyTooLong(t) => write!(f, "{t} too long, {t} must be 250 characters or less."),
            E::InvalidKeyObject => f.write_str("key must be an object with a valid matchingKey and bucketingKey."),
            E::NullName(t) => write!(f, "you passed a null or undefined {t}, {t} must be a non-empty string."),
            E::InvalidName(t) => write!(f, "you passed an invalid {t}, {t} must be a non-empty string."),
            E::EmptyName(t) => write!(f, "you passed an empty {t}, {t} must be a non-empty string."),
            E::NullNames(t) => write!(f, "you passed a null or undefined {t}, {t} must be a non-empty array."),
            E::EmptyNames(t) => write!(f, "{t} must be a non-empty array."),
            E::NullFlagSets(t) => write!(f, "you passed a null or undefined {t}, {t} must be a non-empty array."),
            E::EmptyFlagSets(t) => write!(f, "you passed an empty {t}, {t} must be a non-empty array."),
            E::AttributesNotObject => f.write_str("attributes must be a plain object."),
        }
    }
}

impl std::error::Error for ValidationError {}

/// A validated key, borrowing from the input where validation did not have to build a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidKey<'a> {
    /// The matching key.
    pub matching: Cow<'a, str>,
    /// The bucketing key, when given.
    pub bucketing: Option<Cow<'a, str>>,
}

impl ValidKey<'_> {
    /// The key as the evaluator takes it.
    pub fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            matching: KeyPart::Str(&self.matching),
            bucketing: KeyPart::Str(self.bucketing.as_deref().unwrap_or(&self.matching)),
        }
    }

    /// An owned [`Key`].
    pub fn to_key(&self) -> Key {
        Key { matching_key: self.matching.to_string(), bucketing_key: self.bucketing.as_ref().map(|b| b.to_string()) }
    }
}

/// Validates one key string: trimmed (JS `trim`), 1..=250 UTF-16 code units.
pub fn key_string<'a>(key: &'a str, field: &str) -> Result<&'a str, ValidationError> {
    let trimmed = js::trim(key);
    if trimmed.is_empty() {
        return Err(ValidationError::EmptyKey(field.to_owned()));
    }
    // Cheap bound first: a UTF-16 length is at most the UTF-8 length.
    if trimmed.len() > KEY_MAX_LENGTH && js::utf16_len(trimmed) > KEY_MAX_LENGTH {
        return Err(ValidationError::KeyTooLong(field.to_owned()));
    }
    Ok(trimmed)
}

/// Validates one key part given as a JSON value: strings as [`key_string`], finite numbers
/// converted to strings (not trimmed or length-checked, as in JS), anything else rejected.
pub fn key_value<'a>(value: Option<&'a Value>, field: &str) -> Result<Cow<'a, str>, ValidationError> {
    match value {
        None | Some(Value::Null) => Err(ValidationError::NullKey(field.to_owned())),
        Some(Value::String(s)) => key_string(s, field).map(Cow::Borrowed),
        Some(Value::Number(n)) => Ok(Cow::Owned(js::lang_number_to_string(n.as_f64().unwrap_or(f64::NAN)))),
        Some(_) => Err(ValidationError::InvalidKey(field.to_owned())),
    }
}

/// Validates a typed key: both parts as [`key_string`].
pub fn key(key: &Key) -> Result<ValidKey<'_>, ValidationError> {
    key_parts(&key.matching_key, key.bucketing_key.as_deref())
}

/// Validates a key given as its parts (a string key, or a key object's `matchingKey` and
/// `bucketingKey` strings): each as [`key_string`].
pub fn key_parts<'a>(matching: &'a str, bucketing: Option<&'a str>) -> Result<ValidKey<'a>, ValidationError> {
    match bucketing {
        None => Ok(ValidKey { matching: Cow::Borrowed(key_string(matching, "key")?), bucketing: None }),
        Some(b) => {
            let m = key_string(matching, "matchingKey");
            let b = key_string(b, "bucketingKey");
            match (m, b) {
                (Ok(m), Ok(b)) => Ok(ValidKey { matching: Cow::Borrowed(m), bucketing: Some(Cow::Borrowed(b)) }),
                _ => Err(ValidationError::InvalidKeyObject),
            }
        }
    }
}

/// Validates a key given as a JSON value: a string or number, or an object with both
/// `matchingKey` and `bucketingKey`.
pub fn key_json(value: Option<&Value>) -> Result<ValidKey<'_>, ValidationError> {
    match value {
        Some(Value::Object(obj)) => {
            let m = key_value(obj.get("matchingKey"), "matchingKey");
            let b = key_value(obj.get("bucketingKey"), "bucketingKey");
            match (m, b) {
                (Ok(m), Ok(b)) => Ok(ValidKey { matching: m, bucketing: Some(b) }),
                _ => Err(ValidationError::InvalidKeyObject),
            }
        }
        other => key_value(other, "key").map(|m| ValidKey { matching: m, bucketing: None }),
    }
}

/// Validates a flag name: trimmed (JS `\s`, U+FEFF and U+00A0: all JS whitespace), non-empty.
/// `field` names it in messages.
pub fn flag_name<'a>(name: &'a str, field: &str) -> Result<&'a str, ValidationError> {
    let trimmed = js::trim(name);
    if trimmed.is_empty() {
        Err(ValidationError::EmptyName(field.to_owned()))
    } else {
        Ok(trimmed)
    }
}

/// Validates a flag name given as a JSON value.
pub fn flag_name_json<'a>(value: Option<&'a Value>, field: &str) -> Result<&'a str, ValidationError> {
    match value {
        None | Some(Value::Null) => Err(ValidationError::NullName(field.to_owned())),
        Some(Value::String(s)) => flag_name(s, field),
        Some(_) => Err(ValidationError::InvalidName(field.to_owned())),
    }
}

/// Validates a list of flag names: invalid entries dropped, duplicates removed (first wins);
/// an empty result is an error.
pub fn flag_names<S: AsRef<str>>(names: &[S], field: &str) -> Result<Vec<String>, ValidationError> {
    let unique = unique_flag_names(names);
    if unique.is_empty() {
        Err(ValidationError::EmptyNames(field.to_owned()))
    } else {
        Ok(unique.into_iter().map(|(_, n)| n.to_owned()).collect())
    }
}

/// What [`flag_names`] keeps, borrowed: each valid name trimmed, once, in order, with the index
/// of the input it first came from. Empty when none is valid (which [`flag_names`] rejects).
///
/// Linear in the number of names: the first [`SCAN_MAX`] kept are compared one by one (faster
/// than hashing for the short lists of most calls), then a hash set takes over.
pub fn unique_flag_names<S: AsRef<str>>(names: &[S]) -> Vec<(usize, &str)> {
    let mut out: Vec<(usize, &str)> = Vec::with_capacity(names.len());
    let mut seen: Option<std::collections::HashSet<&str>> = None;
    for (i, name) in names.iter().enumerate() {
        let n = js::trim(name.as_ref());
        if n.is_empty() {
            continue;
        }
        let new = match &mut seen {
            Some(set) => set.insert(n),
            None => !out.iter().any(|(_, o)| js::same_name(o, n)),
        };
        if new {
            out.push((i, n));
            if seen.is_none() && out.len() > SCAN_MAX {
                seen = Some(out.iter().map(|(_, o)| *o).collect());
            }
        }
    }
    out
}

/// How many names [`unique_flag_names`] compares one by one before it switches to a hash set.
pub const SCAN_MAX: usize = 16;

/// Validates a list of flag names given as a JSON value (must be a non-empty array).
pub fn flag_names_json(value: Option<&Value>, field: &str) -> Result<Vec<String>, ValidationError> {
    match value {
        Some(Value::Array(items)) if !items.is_empty() => {
            let names: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            flag_names(&names, field)
        }
        _ => Err(ValidationError::EmptyNames(field.to_owned())),
    }
}

/// Whether a flag set name is valid: `^[a-z0-9][_a-z0-9]{0,49}$`.
pub fn is_valid_flag_set(set: &str) -> bool {
    let bytes = set.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            (first.is_ascii_lowercase() || first.is_ascii_digit())
                && rest.len() <= 49
                && rest.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        }
        None => false,
    }
}

/// Validates flag sets as the SDK's by-set methods do: list validation, then lowercasing,
/// pattern check (invalid ones dropped), de-duplication, and the configured set filter.
/// `Ok(vec![])` never happens: nothing left is `Err(EmptyFlagSets)`, which callers answer with `{}`.
pub fn flag_sets<S: AsRef<str>>(sets: &[S], filter: &[String], field: &str) -> Result<Vec<String>, ValidationError> {
    let names = flag_names(sets, field).map_err(|_| ValidationError::EmptyFlagSets(field.to_owned()))?;
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    let mut seen = std::collections::HashSet::with_capacity(names.len());
    for set in names {
        let set = if set.bytes().any(|b| b.is_ascii_uppercase()) { set.to_lowercase() } else { set };
        if is_valid_flag_set(&set) && (filter.is_empty() || filter.contains(&set)) && seen.insert(set.clone()) {
            out.push(set);
        }
    }
    if out.is_empty() {
        Err(ValidationError::EmptyFlagSets(field.to_owned()))
    } else {
        Ok(out)
    }
}

/// Validates attributes given as a JSON value: absent, `null` or a plain object.
pub fn attributes_json(value: Option<&Value>) -> Result<Option<&Attributes>, ValidationError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ValidationError::AttributesNotObject),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key_json(v: Option<&Value>) -> Result<Key, ValidationError> {
        super::key_json(v).map(|k| k.to_key())
    }

    #[test]
    fn keys_follow_the_js_rules() {
        assert_eq!(key_json(Some(&json!("  abc "))), Ok(Key::new("abc")));
        assert_eq!(key_json(Some(&json!(12))), Ok(Key::new("12")));
        assert_eq!(key_json(Some(&json!(1.5))), Ok(Key::new("1.5")));
        assert_eq!(key_json(Some(&json!(-0.0))), Ok(Key::new("-0")));
        assert_eq!(key_json(Some(&json!(1e21))), Ok(Key::new("1e+21")));
        assert_eq!(key_json(None), Err(ValidationError::NullKey("key".into())));
        assert_eq!(key_json(Some(&json!(null))), Err(ValidationError::NullKey("key".into())));
        assert_eq!(key_json(Some(&json!(true))), Err(ValidationError::InvalidKey("key".into())));
        assert_eq!(key_json(Some(&json!([]))), Err(ValidationError::InvalidKey("key".into())));
        assert_eq!(key_json(Some(&json!("   "))), Err(ValidationError::EmptyKey("key".into())));
        assert_eq!(key_json(Some(&json!("\u{feff}x\u{a0}"))), Ok(Key::new("x")));
        assert_eq!(key_json(Some(&json!("\u{85}x"))), Ok(Key::new("\u{85}x")), "U+0085 is not JS whitespace");
        let long = "a".repeat(251);
        assert_eq!(key_json(Some(&json!(long))), Err(ValidationError::KeyTooLong("key".into())));
        assert!(key_json(Some(&json!("😀".repeat(125)))).is_ok(), "250 UTF-16 units");
        assert!(key_json(Some(&json!("😀".repeat(126)))).is_err(), "252 UTF-16 units");
        assert_eq!(key_json(Some(&json!({"matchingKey": "m", "bucketingKey": 5}))), Ok(Key::with_bucketing("m", "5")));
        assert_eq!(key_json(Some(&json!({"matchingKey": "m"}))), Err(ValidationError::InvalidKeyObject));
    }

    #[test]
    fn messages_are_split_evaluators() {
        assert_eq!(
            ValidationError::NullKey("bucketing-key".into()).to_string(),
            "you passed a null or undefined bucketing-key, bucketing-key must be a non-empty string."
        );
        assert_eq!(
            ValidationError::InvalidKey("matchingKey".into()).to_string(),
            "you passed an invalid key, key must be a non-empty string."
        );
        assert_eq!(
            ValidationError::KeyTooLong("key".into()).to_string(),
            "key too long, key must be 250 characters or less."
        );
        assert_eq!(
            ValidationError::EmptyName("split-name".into()).to_string(),
            "you passed an empty split-name, split-name must be a non-empty string."
        );
        assert_eq!(
            ValidationError::EmptyNames("split-names".into()).to_string(),
            "split-names must be a non-empty array."
        );
        assert_eq!(
            ValidationError::EmptyFlagSets("flag-sets".into()).to_string(),
            "you passed an empty flag-sets, flag-sets must be a non-empty array."
        );
        assert_eq!(ValidationError::AttributesNotObject.to_string(), "attributes must be a plain object.");
    }

    #[test]
    fn unique_names_keep_the_index_of_their_first_input() {
        let names = [" b", "a", "", "b ", "  ", "c", "a"];
        assert_eq!(unique_flag_names(&names), vec![(0, "b"), (1, "a"), (5, "c")]);
        assert!(unique_flag_names(&["", " \t"]).is_empty());
        assert_eq!(flag_names(&names, "f"), Ok(vec!["b".to_owned(), "a".to_owned(), "c".to_owned()]));
        // Past SCAN_MAX names, the hash set keeps the same first occurrences in the same order.
        let long: Vec<String> = (0..20_000).map(|i| format!(" f{} ", (i * 7919) % 3_001)).collect();
        let mut expected: Vec<(usize, &str)> = Vec::new();
        for (i, n) in long.iter().enumerate() {
            let n = js::trim(n);
            if !expected.iter().any(|(_, e)| *e == n) {
                expected.push((i, n));
            }
        }
        assert_eq!(expected.len(), 3_001);
        assert_eq!(unique_flag_names(&long), expected);
    }

    #[test]
    fn flag_names_and_sets() {
        assert_eq!(flag_name(" \u{feff}f1\u{a0}", "n"), Ok("f1"));
        assert!(flag_name("  ", "n").is_err());
        assert_eq!(flag_names(&["a", " a", "", "b"], "n"), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(flag_sets(&["Set_A", "set_a", "bad-set", "s2"], &[], "f"), Ok(vec!["set_a".into(), "s2".into()]));
        assert_eq!(flag_sets(&["s1", "s2"], &["s2".to_owned()], "f"), Ok(vec!["s2".into()]));
        assert!(flag_sets(&["-x"], &[], "f").is_err());
        assert!(is_valid_flag_set(&"a".repeat(50)));
        assert!(!is_valid_flag_set(&"a".repeat(51)));
    }
}
