//! The versioned binary form of compiled rules and of segments (feature `binary`).
//!
//! A cold host that stores JSON re-parses it and recompiles every rule before its first answer.
//! The binary form skips both: [`Snapshot::encode_rules`] writes the compiled rules (flags,
//! rule-based segments, flag sets, change numbers, filter; not segments) and
//! [`Snapshot::decode_rules`] reads them back without parsing JSON or recompiling rules.
//! Segments are encoded apart, one per value ([`encode_segment`]) or in chunks of keys
//! ([`encode_segment_keys`]), so that a host stores each as its own value and loads only the
//! ones a request needs ([`Snapshot::segments_used_by`]).
//!
//! # Framing
//!
//! Every value is a 16-byte header and a payload, integers little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `SPLE` |
//! | 4 | 2 | schema version ([`SCHEMA_VERSION`]) |
//! | 6 | 1 | kind ([`ValueKind`]: 1 rules, 2 segment, 3 segment keys) |
//! | 7 | 1 | reserved, 0 |
//! | 8 | 4 | payload length in bytes |
//! | 12 | 4 | CRC-32 (IEEE) of the payload |
//! | 16 | n | payload |
//!
//! Rules payloads are [postcard](https://docs.rs/postcard) of the compiled types. Segment payloads
//! are written here in the same varint style: a segment is its change number (zigzag varint) then
//! its keys; a keys chunk is its keys alone; keys are a count then, for each key (sorted), its
//! UTF-8 length and bytes.
//!
//! What is not carried as compiled: `MATCHES_STRING` regexes travel as their source and are
//! compiled again when decoded (one program per distinct source, as a load shares them); semvers
//! travel as their normalized version string and are parsed again; each definition model (read
//! by manager views only) travels as JSON text, parsed on its first manager use. Hash sets and
//! maps are written sorted, so equal rules encode to equal bytes.
//!
//! # Compatibility
//!
//! [`SCHEMA_VERSION`] is bumped whenever the layout of any carried type changes, and also when
//! compiling a definition would give a different result (a fixed matcher, a new `Rules` decision):
//! the binary form holds compile results. A value of another version is refused with
//! [`BinaryError::UnsupportedVersion`]; the host then compiles the JSON and writes the binary
//! form again.
//!
//! # Robustness
//!
//! Decoding never panics on any bytes and returns a [`BinaryError`]. Allocations follow the
//! input: a string is allocated only once its bytes are present, and a length prefix reserves at
//! most as many elements as the remaining bytes could hold (postcard's sequences reserve at most
//! 1 MiB up front, serde's cautious bound, and fail at the end of the input).

use std::fmt;

use rustc_hash::FxHashSet;

pub use crate::snapshot::Segment;
#[allow(unused_imports)] // Linked from the module documentation.
use crate::snapshot::Snapshot;

/// The first four bytes of every binary value.
pub const MAGIC: [u8; 4] = *b"SPLE";

/// The layout version this build writes and reads. Bumped whenever the layout (or a compile
/// result it carries) changes.
pub const SCHEMA_VERSION: u16 = 1;

/// The header's size in bytes.
pub const HEADER_LEN: usize = 16;

/// What a binary value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// A snapshot's compiled rules ([`Snapshot::encode_rules`]).
    Rules,
    /// One segment: change number and keys ([`encode_segment`]).
    Segment,
    /// A chunk of a segment's keys ([`encode_segment_keys`]).
    SegmentKeys,
}

impl ValueKind {
    /// The header byte.
    pub fn code(self) -> u8 {
        match self {
            ValueKind::Rules => 1,
            ValueKind::Segment => 2,
            ValueKind::SegmentKeys => 3,
        }
    }

    /// The kind of a header byte.
    pub fn from_code(code: u8) -> Option<ValueKind> {
        [ValueKind::Rules, ValueKind::Segment, ValueKind::SegmentKeys].into_iter().find(|k| k.code() == code)
    }

    fn describe(self) -> &'static str {
        match self {
            ValueKind::Rules => "compiled rules",
            ValueKind::Segment => "a segment",
            ValueKind::SegmentKeys => "a chunk of segment keys",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why bytes do not decode. A host answers all of them the same way: it falls back to the JSON
/// form and writes the binary form again; the variants say why, for its logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryError {
    /// The bytes do not start with [`MAGIC`]: not a split-edge binary value.
    BadMagic,
    /// Written with another schema version.
    UnsupportedVersion {
        /// The version in the header.
        found: u16,
        /// The version this build reads ([`SCHEMA_VERSION`]).
        supported: u16,
    },
    /// A value of another kind (or an unknown kind byte).
    WrongKind {
        /// The kind the caller asked to decode.
        expected: ValueKind,
        /// The header's kind byte.
        found: u8,
    },
    /// Fewer bytes than the header announces (or than a header).
    Truncated {
        /// How many bytes the value needs.
        expected: usize,
        /// How many there are.
        actual: usize,
    },
    /// More bytes than the header announces.
    TrailingBytes {
        /// How many bytes follow the payload.
        extra: usize,
    },
    /// The payload's CRC-32 differs from the header's: the bytes were altered.
    ChecksumMismatch {
        /// The header's checksum.
        expected: u32,
        /// The payload's checksum.
        actual: u32,
    },
    /// The payload passed the checksum but does not decode (written by a build with the same
    /// schema version but another layout, or not by split-edge).
    Malformed {
        /// What the value was decoded as.
        kind: ValueKind,
        /// What is wrong.
        message: String,
    },
    /// Encoding failed (not expected for data this crate built).
    Encode(String),
}

impl fmt::Display for BinaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REBUILD: &str = "load the JSON form instead and encode it again with this build";
        match self {
            BinaryError::BadMagic => write!(
                f,
                "not a split-edge binary value (it does not start with the bytes \"SPLE\"): check that the right \
                 key was read, or {REBUILD}"
            ),
            BinaryError::UnsupportedVersion { found, supported } => write!(
                f,
                "written with binary schema version {found}, but this build reads version {supported} only: {REBUILD}"
            ),
            BinaryError::WrongKind { expected, found } => match ValueKind::from_code(*found) {
                Some(kind) => write!(f, "this value holds {kind}, not {expected}: check which key was read"),
                None => write!(f, "unknown value kind {found} (expected {expected}): {REBUILD}"),
            },
            BinaryError::Truncated { expected, actual } => write!(
                f,
                "the value is truncated: {expected} bytes expected, {actual} present (an interrupted write or a \
                 value size limit?): {REBUILD}"
            ),
            BinaryError::TrailingBytes { extra } => {
                write!(f, "{extra} unexpected bytes follow the payload (two values concatenated?): {REBUILD}")
            }
            BinaryError::ChecksumMismatch { expected, actual } => {
                write!(f, "the payload is corrupted (CRC-32 {actual:08x}, the header says {expected:08x}): {REBUILD}")
            }
            BinaryError::Malformed { kind, message } => write!(
                f,
                "the payload does not decode as {kind} of schema version {SCHEMA_VERSION} ({message}); it was \
                 probably written by another build with the same schema version: {REBUILD}, and bump \
                 SCHEMA_VERSION if the layout changed"
            ),
            BinaryError::Encode(message) => write!(f, "the binary form could not be written: {message}"),
        }
    }
}

impl std::error::Error for BinaryError {}

/// Frames a payload: header, then the payload.
///
/// # Errors
/// [`BinaryError::Encode`] when the payload exceeds 4 GiB.
pub(crate) fn frame(kind: ValueKind, payload: &[u8]) -> Result<Vec<u8>, BinaryError> {
    let len = u32::try_from(payload.len())
        .map_err(|_| BinaryError::Encode(format!("the payload has {} bytes, over 4 GiB", payload.len())))?;
    let mut out = Vec::with_capacity(HEADER_LEN.saturating_add(payload.len()));
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
    out.push(kind.code());
    out.push(0);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// The payload of a framed value of `kind`, after checking magic, version, kind, length and
/// checksum (in that order).
///
/// # Errors
/// The first check that fails.
pub(crate) fn unframe(kind: ValueKind, bytes: &[u8]) -> Result<&[u8], BinaryError> {
    let magic_seen = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if !MAGIC.starts_with(magic_seen) || bytes.is_empty() {
        return Err(if bytes.is_empty() {
            BinaryError::Truncated { expected: HEADER_LEN, actual: 0 }
        } else {
            BinaryError::BadMagic
        });
    }
    let Some((header, payload)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(BinaryError::Truncated { expected: HEADER_LEN, actual: bytes.len() });
    };
    let [_, _, _, _, v0, v1, code, _, l0, l1, l2, l3, c0, c1, c2, c3] = *header;
    let version = u16::from_le_bytes([v0, v1]);
    if version != SCHEMA_VERSION {
        return Err(BinaryError::UnsupportedVersion { found: version, supported: SCHEMA_VERSION });
    }
    if code != kind.code() {
        return Err(BinaryError::WrongKind { expected: kind, found: code });
    }
    let len = usize::try_from(u32::from_le_bytes([l0, l1, l2, l3])).unwrap_or(usize::MAX);
    if payload.len() < len {
        return Err(BinaryError::Truncated { expected: HEADER_LEN.saturating_add(len), actual: bytes.len() });
    }
    if payload.len() > len {
        return Err(BinaryError::TrailingBytes { extra: payload.len().saturating_sub(len) });
    }
    let expected = u32::from_le_bytes([c0, c1, c2, c3]);
    let actual = crc32fast::hash(payload);
    if expected != actual {
        return Err(BinaryError::ChecksumMismatch { expected, actual });
    }
    Ok(payload)
}

/// The binary form of one segment: its change number and keys.
pub fn encode_segment(segment: &Segment) -> Vec<u8> {
    let mut payload = Vec::with_capacity(keys_capacity(segment.keys.iter()).saturating_add(10));
    write_varint(&mut payload, zigzag(segment.change_number));
    write_keys(&mut payload, segment.keys.iter().map(String::as_str));
    frame_infallible(ValueKind::Segment, payload)
}

/// Decodes one segment written by [`encode_segment`]. Put it into a snapshot with
/// [`Snapshot::insert_segment`] (or [`Snapshot::insert_large_segment`]).
///
/// # Errors
/// [`BinaryError`] saying what is wrong with the bytes.
pub fn decode_segment(bytes: &[u8]) -> Result<Segment, BinaryError> {
    let mut reader = Reader { rest: unframe(ValueKind::Segment, bytes)?, kind: ValueKind::Segment };
    let change_number = unzigzag(reader.varint()?);
    let mut keys = FxHashSet::default();
    reader.keys_into(&mut keys)?;
    reader.finish()?;
    Ok(Segment { keys, change_number })
}

/// The binary form of a chunk of a segment's keys (a large segment stored as several values).
/// Keys are written sorted.
pub fn encode_segment_keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Vec<u8> {
    let keys: Vec<&str> = keys.into_iter().collect();
    let mut payload = Vec::with_capacity(keys_capacity(keys.iter()).saturating_add(5));
    write_keys(&mut payload, keys);
    frame_infallible(ValueKind::SegmentKeys, payload)
}

/// Decodes a chunk written by [`encode_segment_keys`] straight into `keys` (e.g. a
/// [`Segment`]'s), each key hashed once; returns how many keys the chunk holds.
///
/// # Errors
/// [`BinaryError`] saying what is wrong with the bytes; `keys` then holds some of the chunk's keys.
pub fn decode_segment_keys_into(bytes: &[u8], keys: &mut FxHashSet<String>) -> Result<usize, BinaryError> {
    let mut reader = Reader { rest: unframe(ValueKind::SegmentKeys, bytes)?, kind: ValueKind::SegmentKeys };
    let count = reader.keys_into(keys)?;
    reader.finish()?;
    Ok(count)
}

/// Frames a payload whose length was built here (segments of over 4 GiB are not expected: such a
/// payload is framed truncated to nothing and then refuses to decode, rather than panicking).
fn frame_infallible(kind: ValueKind, payload: Vec<u8>) -> Vec<u8> {
    frame(kind, &payload).unwrap_or_default()
}

fn keys_capacity<'k, S: AsRef<str> + 'k>(keys: impl Iterator<Item = &'k S>) -> usize {
    keys.fold(5_usize, |n, k| n.saturating_add(k.as_ref().len()).saturating_add(2))
}

fn write_keys<'k>(out: &mut Vec<u8>, keys: impl IntoIterator<Item = &'k str>) {
    let mut keys: Vec<&str> = keys.into_iter().collect();
    keys.sort_unstable();
    write_varint(out, keys.len() as u64);
    for key in keys {
        write_varint(out, key.len() as u64);
        out.extend_from_slice(key.as_bytes());
    }
}

fn write_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ ((n & 1) as i64).wrapping_neg()
}

/// Reads a segment payload.
struct Reader<'b> {
    rest: &'b [u8],
    kind: ValueKind,
}

impl<'b> Reader<'b> {
    fn malformed(&self, message: impl Into<String>) -> BinaryError {
        BinaryError::Malformed { kind: self.kind, message: message.into() }
    }

    fn varint(&mut self) -> Result<u64, BinaryError> {
        let mut n = 0_u64;
        for shift in (0..64).step_by(7) {
            let Some((&byte, rest)) = self.rest.split_first() else {
                return Err(self.malformed("the payload ends inside a number"));
            };
            self.rest = rest;
            n |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                if shift == 63 && byte > 1 {
                    break;
                }
                return Ok(n);
            }
        }
        Err(self.malformed("a number is longer than 64 bits"))
    }

    fn keys_into(&mut self, keys: &mut FxHashSet<String>) -> Result<usize, BinaryError> {
        let count = self.varint()?;
        // Each key takes at least one byte: reserve no more than the payload can hold.
        let count = usize::try_from(count).ok().filter(|c| *c <= self.rest.len()).ok_or_else(|| {
            self.malformed(format!("{count} keys announced, but only {} bytes remain", self.rest.len()))
        })?;
        keys.reserve(count);
        for i in 0..count {
            let len = self.varint()?;
            let len = usize::try_from(len).ok().filter(|l| *l <= self.rest.len()).ok_or_else(|| {
                self.malformed(format!("key {i} has {len} bytes, but only {} remain", self.rest.len()))
            })?;
            let (key, rest) = self.rest.split_at(len);
            let key = std::str::from_utf8(key).map_err(|_| self.malformed(format!("key {i} is not UTF-8")))?;
            self.rest = rest;
            keys.insert(key.to_owned());
        }
        Ok(count)
    }

    fn finish(&self) -> Result<(), BinaryError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.malformed(format!("{} bytes are left over after the keys", self.rest.len())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        for n in [0_i64, 1, -1, 63, -64, 64, 1_700_000_000_000, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_varint(&mut out, zigzag(n));
            let mut r = Reader { rest: &out, kind: ValueKind::Segment };
            assert_eq!(unzigzag(r.varint().unwrap()), n);
            assert!(r.rest.is_empty());
        }
        // Eleven continuation bytes: too long, not a panic.
        let long = [0xff_u8; 11];
        let mut r = Reader { rest: &long, kind: ValueKind::Segment };
        assert!(matches!(r.varint(), Err(BinaryError::Malformed { .. })));
    }

    #[test]
    fn segments_and_chunks_round_trip() {
        let segment = Segment { keys: ["a", "b", "ü"].iter().map(|k| k.to_string()).collect(), change_number: -1 };
        let bytes = encode_segment(&segment);
        let back = decode_segment(&bytes).unwrap();
        assert_eq!((back.keys, back.change_number), (segment.keys.clone(), -1));
        let chunk = encode_segment_keys(["x", "y"]);
        let mut keys = segment.keys.clone();
        assert_eq!(decode_segment_keys_into(&chunk, &mut keys).unwrap(), 2);
        assert_eq!(keys.len(), 5);
        assert!(matches!(
            decode_segment(&chunk),
            Err(BinaryError::WrongKind { expected: ValueKind::Segment, found: 3 })
        ));
    }

    #[test]
    fn a_huge_key_count_reserves_nothing() {
        let mut payload = Vec::new();
        write_varint(&mut payload, u64::MAX);
        let bytes = frame(ValueKind::SegmentKeys, &payload).unwrap();
        let mut keys = FxHashSet::default();
        assert!(matches!(decode_segment_keys_into(&bytes, &mut keys), Err(BinaryError::Malformed { .. })));
        assert_eq!(keys.capacity(), 0);
    }
}
