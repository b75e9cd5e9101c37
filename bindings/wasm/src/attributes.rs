//! The fast path's compact attribute encoding: what the JS wrapper writes into wasm memory
//! instead of `JSON.stringify` text, read here as entries whose strings stay borrowed from the
//! buffer ([`entries`], what the evaluation reads), or decoded into the same `serde_json` value
//! the JSON text would have parsed to ([`decode`]).
//!
//! Layout (little-endian): `u32` entry count, then per entry a `u32` name length, the name's
//! UTF-8, and a value: a tag byte, then its payload.
//!
//! | tag | value | payload |
//! |---|---|---|
//! | 0 | `null` | none |
//! | 1 | `false` | none |
//! | 2 | `true` | none |
//! | 3 | a number | `f64` |
//! | 4 | a string | `u32` length, UTF-8 |
//! | 5 | an array | `u32` count, then that many tagged values (no arrays inside) |
//!
//! The wrapper writes only what `JSON.stringify` would have written (it skips `undefined`
//! members, writes non-finite numbers as `null` and `-0` as `0`) and falls back to JSON text for
//! anything else (nested objects, `toJSON`, BigInts). Numbers become what serde_json parses from
//! `JSON.stringify`'s text: integers below 1e21 as integers when they fit `u64`/`i64`, the rest
//! as floats.

use serde_json::{Map, Number, Value};
use split_edge::eval::{AttributeEntry, AttributeValue};

/// Tag of `null`.
const NULL: u8 = 0;
/// Tag of `false`.
const FALSE: u8 = 1;
/// Tag of `true`.
const TRUE: u8 = 2;
/// Tag of a number (`f64` payload).
const NUMBER: u8 = 3;
/// Tag of a string (`u32` length, UTF-8).
const STRING: u8 = 4;
/// Tag of an array (`u32` count, tagged elements).
const ARRAY: u8 = 5;

/// Why the bytes are not an encoding the wrapper writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(&'static str);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the attributes were not passed correctly ({})", self.0)
    }
}

/// A cursor over the encoded bytes.
struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError("length overflow"))?;
        let out = self.bytes.get(self.at..end).ok_or(DecodeError("truncated"))?;
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        self.take(1)?.first().copied().ok_or(DecodeError("truncated"))
    }

    fn u32(&mut self) -> Result<usize, DecodeError> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| DecodeError("truncated"))?;
        usize::try_from(u32::from_le_bytes(b)).map_err(|_| DecodeError("length overflow"))
    }

    fn f64(&mut self) -> Result<f64, DecodeError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| DecodeError("truncated"))?;
        Ok(f64::from_le_bytes(b))
    }

    fn str(&mut self) -> Result<&'b str, DecodeError> {
        let len = self.u32()?;
        std::str::from_utf8(self.take(len)?).map_err(|_| DecodeError("a string is not UTF-8"))
    }

    /// A top-level value: strings borrowed, the rest decoded.
    fn entry_value(&mut self) -> Result<AttributeValue<'b>, DecodeError> {
        if self.bytes.get(self.at) == Some(&STRING) {
            self.at = self.at.saturating_add(1);
            return self.str().map(AttributeValue::Str);
        }
        self.value(false).map(AttributeValue::Json)
    }

    fn value(&mut self, nested: bool) -> Result<Value, DecodeError> {
        Ok(match self.u8()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            NUMBER => number(self.f64()?),
            STRING => Value::String(self.str()?.to_owned()),
            ARRAY if !nested => {
                let count = self.u32()?;
                // Every element takes at least its tag byte: the count cannot outgrow the input.
                let mut items = Vec::with_capacity(count.min(self.bytes.len().saturating_sub(self.at)));
                for _ in 0..count {
                    items.push(self.value(true)?);
                }
                Value::Array(items)
            }
            _ => return Err(DecodeError("an unknown value tag")),
        })
    }
}

/// `2^64` and `-2^63` as `f64`: the integer ranges serde_json parses into `u64` / `i64`.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
const MINUS_TWO_POW_63: f64 = -9_223_372_036_854_775_808.0;

/// The number serde_json parses from `JSON.stringify(n)` (`n` finite, not `-0`).
fn number(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    // JSON.stringify writes integers below 1e21 as digits, which serde_json reads as integers
    // when they fit.
    if n.fract() == 0.0 && n.abs() < 1e21 {
        if (0.0..TWO_POW_64).contains(&n) {
            return Value::Number(Number::from(n as u64));
        }
        if (MINUS_TWO_POW_63..0.0).contains(&n) {
            return Value::Number(Number::from(n as i64));
        }
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// Reads the attributes the wrapper encoded as entries, their strings borrowed from `bytes`.
pub fn entries(bytes: &[u8]) -> Result<Vec<AttributeEntry<'_>>, DecodeError> {
    let mut r = Reader { bytes, at: 0 };
    let count = r.u32()?;
    // Every entry takes at least 5 bytes: the count cannot outgrow the input.
    let mut out = Vec::with_capacity(count.min(bytes.len() / 5));
    for _ in 0..count {
        let name = r.str()?;
        let value = r.entry_value()?;
        out.push(AttributeEntry { name, value });
    }
    if r.at != bytes.len() {
        return Err(DecodeError("trailing bytes"));
    }
    Ok(out)
}

/// The JSON object that entries stand for (a repeated name keeps its first place and its last
/// value, as `JSON.parse` does).
pub fn to_object(entries: &[AttributeEntry<'_>]) -> Value {
    let mut map = Map::new();
    for e in entries {
        let value = match &e.value {
            AttributeValue::Str(s) => Value::String((*s).to_owned()),
            AttributeValue::Json(v) => v.clone(),
        };
        map.insert(e.name.to_owned(), value);
    }
    Value::Object(map)
}

/// Decodes the attributes the wrapper encoded into the JSON object they stand for.
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    entries(bytes).map(|e| to_object(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }

    #[test]
    fn decodes_what_json_would_have_parsed() {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        put_str(&mut b, "plan");
        b.push(STRING);
        put_str(&mut b, "pro ü");
        put_str(&mut b, "n");
        b.push(NUMBER);
        b.extend_from_slice(&12.0f64.to_le_bytes());
        put_str(&mut b, "x");
        b.push(NUMBER);
        b.extend_from_slice(&(-2.5f64).to_le_bytes());
        put_str(&mut b, "ok");
        b.push(TRUE);
        put_str(&mut b, "none");
        b.push(NULL);
        put_str(&mut b, "tags");
        b.push(ARRAY);
        b.extend_from_slice(&3u32.to_le_bytes());
        b.push(STRING);
        put_str(&mut b, "a");
        b.push(NUMBER);
        b.extend_from_slice(&1e21f64.to_le_bytes());
        b.push(FALSE);
        let v = decode(&b).unwrap();
        let from_json: Value =
            serde_json::from_str(r#"{"plan":"pro ü","n":12,"x":-2.5,"ok":true,"none":null,"tags":["a",1e+21,false]}"#)
                .unwrap();
        assert_eq!(v, from_json);
        assert_eq!(v["n"].to_string(), "12", "an integer, as serde_json parses 12");
    }

    #[test]
    fn numbers_match_serde_json_on_json_stringify_text() {
        for (n, text) in [
            (0.0, "0"),
            (-7.0, "-7"),
            (1e19, "10000000000000000000"),
            (1e20, "100000000000000000000"),
            (-1e19, "-10000000000000000000"),
            (1e21, "1e+21"),
            (0.1, "0.1"),
            (5e-7, "5e-7"),
        ] {
            let parsed: Value = serde_json::from_str(text).unwrap();
            assert_eq!(number(n), parsed, "{n}");
            assert_eq!(number(n).to_string(), parsed.to_string(), "{n}");
        }
        assert_eq!(number(f64::NAN), Value::Null);
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[1, 0, 0, 0]).is_err());
        assert!(decode(&[1, 0, 0, 0, 1, 0, 0, 0, b'a', 9]).is_err());
        assert!(decode(&[1, 0, 0, 0, 1, 0, 0, 0, b'a', ARRAY, 1, 0, 0, 0, ARRAY, 0, 0, 0, 0]).is_err());
        assert!(decode(&[0, 0, 0, 0, 7]).is_err());
        assert!(decode(&[1, 0, 0, 0, 255, 255, 255, 255]).is_err());
        assert_eq!(decode(&[0, 0, 0, 0]), Ok(json!({})));
    }
}
