//! The fast path's inputs: what the JS wrapper wrote into the scratch buffer (UTF-8 strings, one
//! after the other, and then the attributes), read back without JSON text where it can be.

use serde_json::{Map, Value};
use split_edge::eval::{AttributeEntry, AttributeView};

use crate::attributes;

/// A length the wrapper writes for "absent" (no bucketing key, no attributes).
pub const ABSENT: u32 = u32::MAX;

/// A cursor over the scratch buffer, in the order the wrapper wrote it.
pub struct Inputs<'s> {
    scratch: &'s [u8],
    at: usize,
}

impl<'s> Inputs<'s> {
    /// A cursor at the start of `scratch`.
    pub fn new(scratch: &'s [u8]) -> Inputs<'s> {
        Inputs { scratch, at: 0 }
    }

    /// Where the cursor is.
    pub fn position(&self) -> usize {
        self.at
    }

    /// The next `len` bytes.
    pub fn bytes(&mut self, len: usize, what: &str) -> Result<&'s [u8], String> {
        let out = self
            .at
            .checked_add(len)
            .and_then(|to| self.scratch.get(self.at..to))
            .ok_or_else(|| format!("the {what} was not passed correctly"))?;
        self.at = self.at.saturating_add(len);
        Ok(out)
    }

    /// The next `len` bytes, as UTF-8.
    pub fn text(&mut self, len: usize, what: &str) -> Result<&'s str, String> {
        std::str::from_utf8(self.bytes(len, what)?).map_err(|_| format!("the {what} was not passed correctly"))
    }

    /// A string the wrapper may leave out (`len` is [`ABSENT`]).
    pub fn optional_text(&mut self, len: u32, what: &str) -> Result<Option<&'s str>, String> {
        if len == ABSENT {
            return Ok(None);
        }
        self.text(len as usize, what).map(Some)
    }

    /// A `u32` length and that many bytes of UTF-8.
    pub fn prefixed_text(&mut self, what: &str) -> Result<&'s str, String> {
        let len: [u8; 4] =
            self.bytes(4, what)?.try_into().map_err(|_| format!("the {what} were not passed correctly"))?;
        self.text(u32::from_le_bytes(len) as usize, what)
    }

    /// The attributes: none (`len` is [`ABSENT`]), their compact encoding ([`attributes`]) when
    /// `encoded`, else their JSON text.
    pub fn attributes(&mut self, len: u32, encoded: bool) -> Result<Attributes<'s>, String> {
        if len == ABSENT {
            return Ok(Attributes::None);
        }
        let bytes = self.bytes(len as usize, "attributes")?;
        if encoded {
            return attributes::entries(bytes).map(Attributes::Entries).map_err(|e| e.to_string());
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "the attributes were not passed correctly".to_owned())?;
        serde_json::from_str(text).map(Attributes::Json).map_err(|e| format!("attributes is not valid JSON: {e}"))
    }
}

/// The fast path's attributes.
#[derive(Debug)]
pub enum Attributes<'s> {
    /// None given.
    None,
    /// The compact encoding, read as entries.
    Entries(Vec<AttributeEntry<'s>>),
    /// JSON text, parsed (any JSON value: validation decides).
    Json(Value),
}

impl Attributes<'_> {
    /// What the evaluation reads, when the attributes are valid (absent, `null` or an object).
    pub fn view(&self) -> Option<Option<AttributeView<'_>>> {
        match self {
            Attributes::None | Attributes::Json(Value::Null) => Some(None),
            Attributes::Entries(entries) => Some(Some(AttributeView::Entries(entries))),
            Attributes::Json(Value::Object(map)) => Some(Some(AttributeView::Map(map))),
            Attributes::Json(_) => None,
        }
    }

    /// The attributes as the JSON path takes them.
    pub fn json(&self) -> Option<Value> {
        match self {
            Attributes::None => None,
            Attributes::Entries(entries) => Some(attributes::to_object(entries)),
            Attributes::Json(v) => Some(v.clone()),
        }
    }
}

/// The key as the JSON path takes it: a string, or `{matchingKey, bucketingKey}`.
pub fn key_json(matching: &str, bucketing: Option<&str>) -> Value {
    match bucketing {
        None => Value::String(matching.to_owned()),
        Some(b) => {
            let mut key = Map::new();
            key.insert("matchingKey".to_owned(), Value::String(matching.to_owned()));
            key.insert("bucketingKey".to_owned(), Value::String(b.to_owned()));
            Value::Object(key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_order_and_rejects_what_runs_past_the_end() {
        let mut buf = b"alicebob".to_vec();
        buf.extend_from_slice(&3u32.to_le_bytes());
        buf.extend_from_slice(b"f_1");
        let mut r = Inputs::new(&buf);
        assert_eq!(r.text(5, "key"), Ok("alice"));
        assert_eq!(r.optional_text(ABSENT, "bucketing key"), Ok(None));
        assert_eq!(r.optional_text(3, "bucketing key"), Ok(Some("bob")));
        assert_eq!(r.prefixed_text("feature flag names"), Ok("f_1"));
        assert_eq!(r.position(), buf.len());
        assert!(matches!(r.attributes(ABSENT, true), Ok(Attributes::None)));
        assert!(r.text(1, "key").is_err());
        assert!(Inputs::new(&buf).text(usize::MAX, "key").is_err());
        assert!(Inputs::new(&[0xff]).text(1, "key").is_err());
    }

    #[test]
    fn keys_as_the_json_path_takes_them() {
        assert_eq!(key_json("a", None), serde_json::json!("a"));
        assert_eq!(key_json("a", Some("b")), serde_json::json!({"matchingKey": "a", "bucketingKey": "b"}));
    }
}
