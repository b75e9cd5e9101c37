//! Request bodies at the Worker's door (sans-I/O): the byte limit of each route, and a reader
//! that takes the body in pieces within that limit, so that an oversized body is refused before
//! it is parsed or held.
//!
//! - A `Content-Length` over the limit is refused at once (413), before anything is read.
//! - A body without `Content-Length` (chunked) is counted while it streams in, and refused
//!   (413) as soon as it passes the limit: at most `limit` bytes are ever buffered.
//! - A body that ends before its `Content-Length`, or whose stream fails (bad chunked
//!   encoding), is a 400 naming what went wrong.
//! - A body that is not UTF-8 is a 400 naming the byte position of the first invalid byte
//!   (nothing is replaced with U+FFFD, so two different names never collide).
//!
//! Limits ([`limit`]): [`PUSH_MAX_BYTES`] for data pushes, [`crate::admin::LARGE_PUSH_MAX_BYTES`]
//! for large segment key lists, [`CLIENT_MAX_BYTES`] for every other route.

use std::fmt;

use serde_json::Value;

use crate::api::Reply;

/// The largest body of `POST /admin/split-changes`, `/admin/segment-changes` and
/// `/admin/snapshot`: 16 MiB. Real Split environments fit many times over (a flag definition
/// is a few KB: 16 MiB holds thousands of flags, or a segment of about a million keys), and the
/// parsed body, its stored form and the compiled rules must fit in an isolate's 128 MB.
pub const PUSH_MAX_BYTES: usize = 16 << 20;

/// The largest body of the other routes that read one (the client and OFREP POSTs): 1 MiB.
/// body-parser's 300 KB limit of split-evaluator ([`crate::params::BODY_LIMIT`]) is still
/// answered as split-evaluator does below it; this bound only stops reading larger bodies.
pub const CLIENT_MAX_BYTES: usize = 1 << 20;

/// The byte limit of a route's body.
pub fn limit(path: &str) -> usize {
    match path {
        "/admin/split-changes" | "/admin/segment-changes" | crate::admin::SNAPSHOT_PATH => PUSH_MAX_BYTES,
        crate::admin::LARGE_SEGMENT_PATH => crate::admin::LARGE_PUSH_MAX_BYTES,
        _ => CLIENT_MAX_BYTES,
    }
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Over the route's limit: `size` bytes declared by `Content-Length`, or at least `size`
    /// bytes read so far.
    TooLarge {
        /// The declared or counted size.
        size: usize,
        /// Whether `size` is the declared `Content-Length` (else counted while reading).
        declared: bool,
        /// The route's limit.
        max: usize,
    },
    /// The `Content-Length` header is not a number.
    BadLength(String),
    /// The body ended after `got` of the `declared` bytes.
    Truncated {
        /// Bytes received.
        got: usize,
        /// Bytes `Content-Length` declared.
        declared: usize,
    },
    /// The body's stream failed (e.g. bad chunked encoding); the runtime's message.
    Stream(String),
    /// The body is not UTF-8: the first invalid byte is at `position` (0-based).
    NotUtf8 {
        /// The byte offset of the first byte that is not valid UTF-8.
        position: usize,
    },
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge { size, declared: true, max } => write!(
                f,
                "the request body is {size} bytes (Content-Length), over this route's limit of {max} bytes; nothing was read"
            ),
            BodyError::TooLarge { size, declared: false, max } => write!(
                f,
                "the request body is over this route's limit of {max} bytes (at least {size} were sent); nothing was kept"
            ),
            BodyError::BadLength(v) => write!(f, "the Content-Length header {v:?} is not a number of bytes"),
            BodyError::Truncated { got, declared } => write!(
                f,
                "the request body ended after {got} of the {declared} bytes its Content-Length declares"
            ),
            BodyError::Stream(e) => write!(f, "the request body could not be read (malformed or cut short): {e}"),
            BodyError::NotUtf8 { position } => write!(
                f,
                "the request body is not UTF-8 text: the byte at position {position} (counting from 0) is not valid UTF-8"
            ),
        }
    }
}

impl std::error::Error for BodyError {}

impl BodyError {
    /// The HTTP status: 413 over the limit, 400 otherwise.
    pub fn status(&self) -> u16 {
        if matches!(self, BodyError::TooLarge { .. }) {
            413
        } else {
            400
        }
    }

    /// The answer: `{"error": "<message>"}` with [`BodyError::status`].
    pub fn reply(&self) -> Reply {
        Reply::error(self.status(), Value::String(self.to_string()))
    }
}

/// Reads a body in pieces within a byte limit.
#[derive(Debug, Default)]
pub struct BodyReader {
    bytes: Vec<u8>,
    max: usize,
    declared: Option<usize>,
}

impl BodyReader {
    /// A reader of at most `max` bytes; a `Content-Length` over `max` is refused at once.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] (declared) or [`BodyError::BadLength`].
    pub fn new(max: usize, content_length: Option<&str>) -> Result<BodyReader, BodyError> {
        let declared = match content_length.map(str::trim) {
            None => None,
            Some(text) => Some(text.parse::<u64>().map_err(|_| BodyError::BadLength(text.to_owned()))?),
        };
        let declared = match declared.map(usize::try_from) {
            None => None,
            Some(Ok(n)) if n <= max => Some(n),
            Some(Ok(n)) => return Err(BodyError::TooLarge { size: n, declared: true, max }),
            Some(Err(_)) => return Err(BodyError::TooLarge { size: usize::MAX, declared: true, max }),
        };
        Ok(BodyReader { bytes: Vec::with_capacity(declared.unwrap_or(0)), max, declared })
    }

    /// Adds a piece of the body.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] as soon as the body is over the limit (the bytes read are dropped).
    pub fn push(&mut self, piece: &[u8]) -> Result<(), BodyError> {
        let total = self.bytes.len().saturating_add(piece.len());
        if total > self.max {
            self.bytes = Vec::new();
            return Err(BodyError::TooLarge { size: total, declared: false, max: self.max });
        }
        self.bytes.extend_from_slice(piece);
        Ok(())
    }

    /// The body as text.
    ///
    /// # Errors
    /// [`BodyError::Truncated`] when fewer bytes came than declared, [`BodyError::NotUtf8`].
    pub fn finish(self) -> Result<String, BodyError> {
        if let Some(declared) = self.declared.filter(|d| *d > self.bytes.len()) {
            return Err(BodyError::Truncated { got: self.bytes.len(), declared });
        }
        String::from_utf8(self.bytes).map_err(|e| BodyError::NotUtf8 { position: e.utf8_error().valid_up_to() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(max: usize, length: Option<&str>, pieces: &[&[u8]]) -> Result<String, BodyError> {
        let mut r = BodyReader::new(max, length)?;
        for p in pieces {
            r.push(p)?;
        }
        r.finish()
    }

    #[test]
    fn limits_are_checked_before_and_while_reading() {
        assert_eq!(read(10, Some("4"), &[b"ab", b"cd"]).unwrap(), "abcd");
        assert_eq!(read(10, None, &[b"0123456789"]).unwrap(), "0123456789");
        let e = read(10, Some("60000000"), &[]).unwrap_err();
        assert_eq!(e, BodyError::TooLarge { size: 60_000_000, declared: true, max: 10 });
        assert_eq!(e.reply().status, 413);
        assert!(e.reply().body.contains("limit of 10 bytes"), "{}", e.reply().body);
        let e = read(10, None, &[b"012345", b"789012"]).unwrap_err();
        assert_eq!(e, BodyError::TooLarge { size: 12, declared: false, max: 10 });
        assert_eq!(e.status(), 413);
        let e = read(10, Some("99999999999999999999999"), &[]).unwrap_err();
        assert_eq!(e.status(), 400, "not a u64: {e}");
        assert_eq!(read(10, Some("abc"), &[]).unwrap_err(), BodyError::BadLength("abc".into()));
    }

    #[test]
    fn truncated_and_broken_bodies_are_400s() {
        let e = read(100, Some("8"), &[b"abc"]).unwrap_err();
        assert_eq!(e, BodyError::Truncated { got: 3, declared: 8 });
        assert_eq!(e.reply().status, 400);
        assert!(e.to_string().contains("after 3 of the 8 bytes"), "{e}");
        assert_eq!(BodyError::Stream("x".into()).reply().status, 400);
    }

    #[test]
    fn invalid_utf8_names_its_position() {
        let e = read(100, None, &[b"{\"name\":\"a", &[0xff], b"\"}"]).unwrap_err();
        assert_eq!(e, BodyError::NotUtf8 { position: 10 });
        let reply = e.reply();
        assert_eq!(reply.status, 400);
        assert!(reply.body.contains("position 10"), "{}", reply.body);
        // A sequence cut between pieces is fine; one cut at the end is not.
        assert_eq!(
            read(100, None, &["é".as_bytes().get(..1).unwrap(), "é".as_bytes().get(1..).unwrap()]).unwrap(),
            "é"
        );
        assert_eq!(read(100, None, &[b"ab", &[0xc3]]).unwrap_err(), BodyError::NotUtf8 { position: 2 });
    }

    #[test]
    fn routes_have_their_limits() {
        assert_eq!(limit("/admin/split-changes"), PUSH_MAX_BYTES);
        assert_eq!(limit("/admin/segment-changes"), PUSH_MAX_BYTES);
        assert_eq!(limit(crate::admin::SNAPSHOT_PATH), PUSH_MAX_BYTES);
        assert_eq!(limit(crate::admin::LARGE_SEGMENT_PATH), crate::admin::LARGE_PUSH_MAX_BYTES);
        assert_eq!(limit("/client/get-treatment"), CLIENT_MAX_BYTES);
        const { assert!(PUSH_MAX_BYTES < crate::layout::KV_VALUE_MAX_BYTES) };
    }
}
