//! Large segment definitions (spec §1.7), sans I/O: the request for one
//! (`GET {sdk}/largeSegmentDefinition/<name>?since=<cn>`, as Go's server-side SDK makes it), what
//! its answer says (no change, an empty segment, or a file to download: a request for download,
//! "RFD"), and the file's CSV, one key per row, read in chunks.
//!
//! ```
//! use split_edge::sync::large_segments::{parse_definition, CsvKeys, Definition};
//!
//! let body = r#"{"n":"big","t":"LS_NEW_DEFINITION","v":"1.0","cn":7,
//!   "rfd":{"d":{"f":1,"k":2,"s":8,"e":2000000000000},"p":{"m":"GET","u":"https://files.example/big.csv","h":{}}}}"#;
//! let Definition::File(file) = parse_definition("big", 200, body, 1_700_000_000_000)? else { panic!() };
//! assert_eq!(file.url, "https://files.example/big.csv");
//! let mut keys = Vec::new();
//! let mut csv = CsvKeys::new();
//! csv.feed(b"alice\nbo", |k| keys.push(k.to_vec()))?;
//! csv.feed(b"b\n", |k| keys.push(k.to_vec()))?;
//! csv.finish(|k| keys.push(k.to_vec()))?;
//! assert_eq!(keys, [b"alice".to_vec(), b"bob".to_vec()]);
//! # Ok::<(), split_edge::sync::large_segments::LargeSegmentError>(())
//! ```

use std::fmt;

use serde::Deserialize;

use crate::http::{HttpRequest, Method, RequestId};

/// The definition spec version this module reads (`v`): CSV files of one column.
pub const SPEC_VERSION: &str = "1.0";
/// `t` of a definition with a file.
pub const NEW_DEFINITION: &str = "LS_NEW_DEFINITION";
/// `t` of a large segment without members.
pub const EMPTY: &str = "LS_EMPTY";
/// The longest CSV row accepted, in bytes (keys Split evaluates have at most 250 characters).
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// Why a definition or its file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LargeSegmentError {
    /// The SDK API (or the file's server) answered this status.
    Status {
        /// The status.
        status: u16,
    },
    /// The definition is not JSON of the expected shape.
    Malformed(String),
    /// The definition names another large segment.
    WrongName {
        /// The name asked for.
        expected: String,
        /// The name answered.
        found: String,
    },
    /// A definition type (`t`) other than `LS_NEW_DEFINITION` and `LS_EMPTY`.
    UnknownType(String),
    /// A file spec version (`v`) other than [`SPEC_VERSION`].
    UnsupportedVersion(String),
    /// A file format (`d.f`) other than 1 (CSV).
    UnsupportedFormat(i64),
    /// The file's URL expired (`d.e`) before it was used: ask for the definition again.
    Expired {
        /// When it expired (ms since the epoch).
        expires_at_ms: i64,
    },
    /// The CSV file is malformed.
    Csv {
        /// The row (1-based).
        row: u64,
        /// What is wrong.
        reason: &'static str,
    },
}

impl LargeSegmentError {
    /// Whether asking again later may succeed (network-level and server errors, an expired URL);
    /// malformed or unsupported definitions and files fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            LargeSegmentError::Status { status } => *status == 429 || *status >= 500 || *status == 0,
            LargeSegmentError::Expired { .. } => true,
            _ => false,
        }
    }
}

impl fmt::Display for LargeSegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LargeSegmentError::Status { status } => write!(f, "the server answered HTTP {status}"),
            LargeSegmentError::Malformed(m) => write!(f, "the large segment definition is malformed: {m}"),
            LargeSegmentError::WrongName { expected, found } => {
                write!(f, "asked for large segment {expected:?}, the definition is of {found:?}")
            }
            LargeSegmentError::UnknownType(t) => write!(f, "unknown large segment definition type {t:?}"),
            LargeSegmentError::UnsupportedVersion(v) => {
                write!(f, "large segment file spec version {v:?} is not supported (only {SPEC_VERSION})")
            }
            LargeSegmentError::UnsupportedFormat(n) => {
                write!(f, "large segment file format {n} is not supported (only 1, CSV)")
            }
            LargeSegmentError::Expired { expires_at_ms } => {
                write!(f, "the large segment file URL expired at {expires_at_ms} ms")
            }
            LargeSegmentError::Csv { row, reason } => write!(f, "large segment file, row {row}: {reason}"),
        }
    }
}

impl std::error::Error for LargeSegmentError {}

/// `{sdk}/largeSegmentDefinition/<name>?since=<since>` (the name not URL-encoded, as segment
/// names in `segmentChanges` URLs).
pub fn definition_url(sdk: &str, name: &str, since: i64) -> String {
    format!("{sdk}/largeSegmentDefinition/{name}?since={since}")
}

/// The definition request, with the SDK's `headers` (authorization and metadata).
pub fn definition_request(
    id: RequestId,
    sdk: &str,
    headers: Vec<(String, String)>,
    name: &str,
    since: i64,
) -> HttpRequest {
    HttpRequest { id, method: Method::Get, url: definition_url(sdk, name, since), headers, body: None }
}

/// What a definition answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Definition {
    /// 304: the large segment did not change since the change number asked with.
    NotModified,
    /// `LS_EMPTY`: the large segment has no members at this change number.
    Empty {
        /// The change number.
        change_number: i64,
    },
    /// `LS_NEW_DEFINITION`: the members are in a file.
    File(FileRequest),
}

/// How to download a large segment's file, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// The change number of the members it holds.
    pub change_number: i64,
    /// The method (`GET` when none is given).
    pub method: String,
    /// The file's URL.
    pub url: String,
    /// Headers to send (each name with every value given).
    pub headers: Vec<(String, String)>,
    /// How many keys the file holds, as announced (`d.k`).
    pub key_count: u64,
    /// The file's size in bytes, as announced (`d.s`).
    pub file_size: u64,
    /// When the URL expires (ms since the epoch).
    pub expires_at_ms: i64,
}

#[derive(Deserialize)]
struct DefinitionBody {
    n: String,
    t: String,
    #[serde(default)]
    v: Option<String>,
    cn: i64,
    #[serde(default)]
    rfd: Option<Rfd>,
}

#[derive(Deserialize)]
struct Rfd {
    d: RfdData,
    p: RfdParams,
}

#[derive(Deserialize)]
struct RfdData {
    f: i64,
    #[serde(default)]
    k: u64,
    #[serde(default)]
    s: u64,
    e: i64,
}

#[derive(Deserialize)]
struct RfdParams {
    #[serde(default)]
    m: Option<String>,
    u: String,
    #[serde(default)]
    h: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

/// Reads the answer to a [`definition_request`] for large segment `name`, at `now_ms`.
///
/// # Errors
/// A status other than 200 and 304, a body of another shape or name, a type, version or format
/// this module does not read, or a file URL already expired.
pub fn parse_definition(name: &str, status: u16, body: &str, now_ms: u64) -> Result<Definition, LargeSegmentError> {
    match status {
        304 => return Ok(Definition::NotModified),
        200 => {}
        status => return Err(LargeSegmentError::Status { status }),
    }
    let def: DefinitionBody = serde_json::from_str(body).map_err(|e| LargeSegmentError::Malformed(e.to_string()))?;
    if def.n != name {
        return Err(LargeSegmentError::WrongName { expected: name.to_owned(), found: def.n });
    }
    match def.t.as_str() {
        EMPTY => Ok(Definition::Empty { change_number: def.cn }),
        NEW_DEFINITION => {
            let version = def.v.unwrap_or_default();
            if version != SPEC_VERSION {
                return Err(LargeSegmentError::UnsupportedVersion(version));
            }
            let rfd = def.rfd.ok_or_else(|| LargeSegmentError::Malformed("LS_NEW_DEFINITION without rfd".into()))?;
            if rfd.d.f != 1 {
                return Err(LargeSegmentError::UnsupportedFormat(rfd.d.f));
            }
            if rfd.d.e <= i64::try_from(now_ms).unwrap_or(i64::MAX) {
                return Err(LargeSegmentError::Expired { expires_at_ms: rfd.d.e });
            }
            let headers = rfd
                .p
                .h
                .unwrap_or_default()
                .into_iter()
                .flat_map(|(name, values)| values.into_iter().map(move |v| (name.clone(), v)))
                .collect();
            Ok(Definition::File(FileRequest {
                change_number: def.cn,
                method: rfd.p.m.filter(|m| !m.is_empty()).unwrap_or_else(|| "GET".to_owned()),
                url: rfd.p.u,
                headers,
                key_count: rfd.d.k,
                file_size: rfd.d.s,
                expires_at_ms: rfd.d.e,
            }))
        }
        other => Err(LargeSegmentError::UnknownType(other.to_owned())),
    }
}

/// Where the CSV reader is within a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of the field.
    FieldStart,
    /// In an unquoted field.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field (the end, or the first of `""`).
    QuoteInQuoted,
}

/// Reads a large segment file (CSV, RFC 4180 as Go's `encoding/csv` reads it: rows end with
/// `\n` or `\r\n`, blank rows are skipped, a field may be quoted with `""` for a quote; one
/// column only) from chunks of any size, giving each key's bytes.
#[derive(Debug, Clone)]
pub struct CsvKeys {
    field: Vec<u8>,
    state: State,
    /// Something (a byte, a quote) was read in this row.
    started: bool,
    /// A `\r` outside quotes was read: a row end if `\n` follows, data otherwise.
    carriage_return: bool,
    /// The row being read (1-based).
    row: u64,
    keys: u64,
}

impl Default for CsvKeys {
    fn default() -> Self {
        CsvKeys::new()
    }
}

impl CsvKeys {
    /// A reader at the start of a file.
    pub fn new() -> CsvKeys {
        CsvKeys { field: Vec::new(), state: State::FieldStart, started: false, carriage_return: false, row: 1, keys: 0 }
    }

    /// How many keys were given so far.
    pub fn keys(&self) -> u64 {
        self.keys
    }

    fn error(&self, reason: &'static str) -> LargeSegmentError {
        LargeSegmentError::Csv { row: self.row, reason }
    }

    fn end_row(&mut self, on_key: &mut impl FnMut(&[u8])) {
        // A blank row (nothing, not even quotes) is skipped, as Go does.
        if self.started {
            on_key(&self.field);
            self.keys = self.keys.saturating_add(1);
        }
        self.field.clear();
        self.state = State::FieldStart;
        self.started = false;
        self.row = self.row.saturating_add(1);
    }

    fn push(&mut self, b: u8) -> Result<(), LargeSegmentError> {
        if self.field.len() >= MAX_ROW_BYTES {
            return Err(self.error("the row is longer than 64 KiB"));
        }
        self.field.push(b);
        self.started = true;
        Ok(())
    }

    /// Reads the next chunk, giving each complete key to `on_key`.
    ///
    /// # Errors
    /// [`LargeSegmentError::Csv`]: a second column, a quote inside an unquoted field, text after
    /// a closing quote, or a row over [`MAX_ROW_BYTES`].
    pub fn feed(&mut self, chunk: &[u8], mut on_key: impl FnMut(&[u8])) -> Result<(), LargeSegmentError> {
        for &b in chunk {
            if self.carriage_return && self.state == State::Quoted {
                // `\r\n` inside quotes reads as `\n` (Go removes carriage returns before
                // newlines); a lone `\r` is data.
                self.carriage_return = false;
                if b != b'\n' {
                    self.push(b'\r')?;
                }
            } else if self.carriage_return {
                self.carriage_return = false;
                if b == b'\n' {
                    self.end_row(&mut on_key);
                    continue;
                }
                if self.state == State::QuoteInQuoted {
                    return Err(self.error("text after a closing quote"));
                }
                // A lone `\r` is data (Go keeps it).
                self.state = State::Unquoted;
                self.push(b'\r')?;
            }
            self.feed_one(b, &mut on_key)?;
        }
        Ok(())
    }

    fn feed_one(&mut self, b: u8, on_key: &mut impl FnMut(&[u8])) -> Result<(), LargeSegmentError> {
        match (self.state, b) {
            (State::Quoted, b'"') => self.state = State::QuoteInQuoted,
            (State::Quoted, b'\r') => self.carriage_return = true,
            (State::Quoted, b) => self.push(b)?,
            (State::QuoteInQuoted, b'"') => {
                self.state = State::Quoted;
                self.push(b'"')?;
            }
            (_, b',') => return Err(self.error("the file has more than one column")),
            (_, b'\n') => self.end_row(on_key),
            (_, b'\r') => self.carriage_return = true,
            (State::QuoteInQuoted, _) => return Err(self.error("text after a closing quote")),
            (State::FieldStart, b'"') => {
                self.state = State::Quoted;
                self.started = true;
            }
            (_, b'"') => return Err(self.error("a quote inside an unquoted field")),
            (_, b) => {
                self.state = State::Unquoted;
                self.push(b)?;
            }
        }
        Ok(())
    }

    /// Ends the file, giving its last key (a last row without a line end).
    ///
    /// # Errors
    /// [`LargeSegmentError::Csv`] when the file ends inside a quoted field.
    pub fn finish(mut self, mut on_key: impl FnMut(&[u8])) -> Result<u64, LargeSegmentError> {
        if self.state == State::Quoted {
            return Err(self.error("the file ends inside a quoted field"));
        }
        self.end_row(&mut on_key);
        Ok(self.keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], chunk: usize) -> Result<Vec<String>, LargeSegmentError> {
        let mut keys = Vec::new();
        let mut csv = CsvKeys::new();
        for part in text.chunks(chunk.max(1)) {
            csv.feed(part, |k| keys.push(String::from_utf8_lossy(k).into_owned()))?;
        }
        csv.finish(|k| keys.push(String::from_utf8_lossy(k).into_owned()))?;
        Ok(keys)
    }

    #[test]
    fn rows_quotes_and_line_ends_whatever_the_chunks() {
        let text = b"a\r\nb\n\n\"c,\"\"d\"\"\"\n\"e\r\nf\"\r\ng\rh\nlast";
        for chunk in 1..text.len() {
            assert_eq!(read(text, chunk).unwrap(), ["a", "b", "c,\"d\"", "e\nf", "g\rh", "last"], "chunk {chunk}");
        }
        assert_eq!(read(b"", 4).unwrap(), Vec::<String>::new());
        assert_eq!(read(b"\"\"\n", 4).unwrap(), [""]);
    }

    #[test]
    fn malformed_files_name_the_row() {
        let err = |text: &[u8]| read(text, 3).unwrap_err();
        assert_eq!(err(b"a\nb,c\n"), LargeSegmentError::Csv { row: 2, reason: "the file has more than one column" });
        assert_eq!(err(b"a\"b\n"), LargeSegmentError::Csv { row: 1, reason: "a quote inside an unquoted field" });
        assert_eq!(err(b"\"a\"b\n"), LargeSegmentError::Csv { row: 1, reason: "text after a closing quote" });
        assert_eq!(err(b"x\n\"open"), LargeSegmentError::Csv { row: 2, reason: "the file ends inside a quoted field" });
        let long = vec![b'k'; MAX_ROW_BYTES + 1];
        assert!(matches!(err(&long), LargeSegmentError::Csv { row: 1, .. }));
    }

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn definitions() {
        let file = r#"{"n":"big","t":"LS_NEW_DEFINITION","v":"1.0","cn":9,"rfd":{"d":{"i":100,"f":1,"k":3,"s":30,"e":1800000000000},
            "p":{"m":"GET","u":"https://f.example/a.csv?sig=1","h":{"X-A":["1","2"]}}}}"#;
        assert_eq!(
            parse_definition("big", 200, file, NOW).unwrap(),
            Definition::File(FileRequest {
                change_number: 9,
                method: "GET".into(),
                url: "https://f.example/a.csv?sig=1".into(),
                headers: vec![("X-A".into(), "1".into()), ("X-A".into(), "2".into())],
                key_count: 3,
                file_size: 30,
                expires_at_ms: 1_800_000_000_000,
            })
        );
        assert_eq!(
            parse_definition("big", 200, r#"{"n":"big","t":"LS_EMPTY","v":"1.0","cn":10}"#, NOW).unwrap(),
            Definition::Empty { change_number: 10 }
        );
        assert_eq!(parse_definition("big", 304, "", NOW).unwrap(), Definition::NotModified);
        assert_eq!(
            definition_url("https://sdk.split.io/api", "big", -1),
            "https://sdk.split.io/api/largeSegmentDefinition/big?since=-1"
        );
    }

    #[test]
    fn unusable_definitions() {
        let def = |t: &str, v: &str, f: i64, e: i64| {
            format!(
                r#"{{"n":"big","t":"{t}","v":"{v}","cn":1,"rfd":{{"d":{{"f":{f},"k":1,"s":1,"e":{e}}},"p":{{"u":"https://f"}}}}}}"#
            )
        };
        let later = 1_800_000_000_000;
        let e = |body: &str| parse_definition("big", 200, body, NOW).unwrap_err();
        assert_eq!(e(&def("LS_OTHER", "1.0", 1, later)), LargeSegmentError::UnknownType("LS_OTHER".into()));
        assert_eq!(e(&def(NEW_DEFINITION, "2.0", 1, later)), LargeSegmentError::UnsupportedVersion("2.0".into()));
        assert_eq!(e(&def(NEW_DEFINITION, "1.0", 2, later)), LargeSegmentError::UnsupportedFormat(2));
        let expired = e(&def(NEW_DEFINITION, "1.0", 1, 5));
        assert_eq!(expired, LargeSegmentError::Expired { expires_at_ms: 5 });
        assert!(expired.is_retryable());
        assert!(matches!(e("[]"), LargeSegmentError::Malformed(_)));
        assert!(matches!(
            parse_definition("other", 200, &def(NEW_DEFINITION, "1.0", 1, later), NOW),
            Err(LargeSegmentError::WrongName { .. })
        ));
        let status = parse_definition("big", 503, "", NOW).unwrap_err();
        assert!(status.is_retryable());
        assert!(!parse_definition("big", 403, "", NOW).unwrap_err().is_retryable());
        // The default method is GET.
        let Definition::File(f) = parse_definition("big", 200, &def(NEW_DEFINITION, "1.0", 1, later), NOW).unwrap()
        else {
            panic!("a file")
        };
        assert_eq!(f.method, "GET");
    }
}
