//! How an environment's rollout data is laid out in Workers KV (sans-I/O).
//!
//! ```text
//! env/<envId>/manifest                          the current version (JSON Manifest), written last
//! env/<envId>/v/<version>/flags                 FlagData: a splitChanges body of every flag and
//!                                               rule-based segment (immutable; the source of truth)
//! env/<envId>/v/<version>/flags/<n>             when that body is over 4 MiB: its text cut in parts
//!                                               of ≤ 4 MiB, `flags` holding the first, these the
//!                                               rest in order (`flagsParts` in the manifest)
//! env/<envId>/v/<version>/rules                 the same rules compiled, in split-edge's binary
//!                                               form (schema version + checksum): what a cold
//!                                               isolate loads, without parsing JSON or compiling
//! env/<envId>/v/<version>/seg/<n>/<chunk>       a JSON array of ≤ 10,000 keys and ≤ 1 MiB of
//!                                               segment n's members (immutable)
//! env/<envId>/v/<version>/ls/<shard>            a shard of one large segment's keys (binary,
//!                                               see [`crate::large`]; immutable)
//! ```
//!
//! No value is over Workers KV's 25 MiB limit ([`KV_VALUE_MAX_BYTES`]), whatever the size of the
//! data: flag data is cut in parts of at most [`FLAG_PART_MAX_BYTES`], segment chunks hold at
//! most [`CHUNK_MAX_BYTES`] (a single key longer than that, which only a push body of up to
//! [`crate::body::PUSH_MAX_BYTES`] can hold, gets a chunk of its own), and binary rules over the
//! limit are not stored (isolates compile the JSON then). A manifest with flag data parts is
//! written as format 2 (older Workers refuse it with a message instead of reading half the
//! data); without parts as format 1, which every Worker reads, so data stored before parts
//! existed keeps loading.
//!
//! A binary value that does not decode (checksum, schema version of another build, another flag
//! filter) is ignored: the rules are compiled from the JSON and the binary value rebuilt. Segments
//! are read lazily: an isolate reads a segment's chunks the first time a request evaluates a flag
//! that can reach it.
//!
//! Data keys are never overwritten: a push writes the new version's data keys first and the
//! manifest last, so a reader that sees a manifest can read everything it names. A push reuses
//! the keys of what it did not change (an unchanged segment keeps its chunks; a segment push
//! keeps the flag data). Readers check the manifest at most every N seconds and reload when its
//! `version` changed.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use split_edge::model::SegmentChange;
use split_edge::sync::FlagFilter;
use split_edge::Snapshot;

use crate::large::LargeSegmentEntry;
use crate::state::{FlagData, PushError, SegmentData};

/// The manifest format of flag data in one value (read by every Worker version).
pub const FORMAT: u32 = 1;
/// The manifest format of flag data cut in parts ([`Manifest::flags_parts`]).
pub const FORMAT_PARTS: u32 = 2;
/// Workers KV's largest value: 25 MiB.
pub const KV_VALUE_MAX_BYTES: usize = 25 << 20;
/// The most bytes of one part of the flag data's JSON: 4 MiB.
pub const FLAG_PART_MAX_BYTES: usize = 4 << 20;
/// The most keys in one segment chunk.
pub const CHUNK_MAX_KEYS: usize = 10_000;
/// The most bytes of one segment chunk's JSON.
pub const CHUNK_MAX_BYTES: usize = 1 << 20;

/// One segment in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentEntry {
    /// The segment's change number.
    pub change_number: i64,
    /// How many members it has.
    pub key_count: usize,
    /// The KV keys of its chunks, in order.
    pub chunks: Vec<String>,
}

/// The current version of an environment's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The version id (unique per push).
    pub version: String,
    /// When it was pushed (ms since the epoch).
    pub updated_at_ms: u64,
    /// The flags' change number.
    pub flags_change_number: i64,
    /// The rule-based segments' change number.
    pub rule_based_segments_change_number: i64,
    /// How many flags the flag data holds.
    pub flag_count: usize,
    /// The KV key of the flag data (its first part when it has [`Manifest::flags_parts`]).
    pub flags_key: String,
    /// The KV keys of the rest of the flag data's text, in order, when it is over
    /// [`FLAG_PART_MAX_BYTES`] (empty: all of it is at `flags_key`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags_parts: Vec<String>,
    /// The KV key of the compiled rules in binary form (`None`: none stored, e.g. by an older
    /// Worker: the rules are compiled from the flag data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_key: Option<String>,
    /// Every segment, by name.
    pub segments: BTreeMap<String, SegmentEntry>,
    /// Every large segment stored, by name (their keys stay in KV; isolates look members up).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub large_segments: BTreeMap<String, LargeSegmentEntry>,
}

/// A KV write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvWrite {
    /// The key.
    pub key: String,
    /// The value.
    pub value: KvValue,
}

/// A stored value: JSON text, or the binary form of compiled rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvValue {
    /// JSON text (manifests, flag data, segment chunks).
    Json(String),
    /// Binary (compiled rules).
    Binary(Vec<u8>),
}

impl KvValue {
    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            KvValue::Json(s) => s.as_bytes(),
            KvValue::Binary(b) => b,
        }
    }

    /// The JSON text (`None` for binary values).
    pub fn as_json(&self) -> Option<&str> {
        match self {
            KvValue::Json(s) => Some(s),
            KvValue::Binary(_) => None,
        }
    }
}

/// Why stored data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutError {
    /// The manifest is not JSON of the expected shape, or of another format.
    Manifest(String),
    /// A key named by the manifest is missing.
    Missing(String),
    /// A chunk is not a JSON array of strings.
    Chunk(String),
    /// The flag data does not load.
    Flags(String),
    /// The binary rules are unusable (they are then rebuilt from the flag data).
    Binary(String),
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayoutError::Manifest(m) => write!(f, "the manifest is unreadable: {m}"),
            LayoutError::Missing(k) => write!(f, "KV key {k:?} named by the manifest is missing"),
            LayoutError::Chunk(k) => write!(f, "segment chunk {k:?} is not a JSON array of strings"),
            LayoutError::Flags(m) => write!(f, "the stored flag data does not load: {m}"),
            LayoutError::Binary(m) => write!(f, "the stored binary rules are unusable: {m}"),
        }
    }
}

impl std::error::Error for LayoutError {}

/// `env/<envId>/`.
pub fn env_prefix(env_id: &str) -> String {
    format!("env/{env_id}/")
}

/// The manifest's key.
pub fn manifest_key(env_id: &str) -> String {
    format!("env/{env_id}/manifest")
}

fn flags_key(env_id: &str, version: &str) -> String {
    format!("env/{env_id}/v/{version}/flags")
}

fn flags_part_key(env_id: &str, version: &str, part: usize) -> String {
    format!("env/{env_id}/v/{version}/flags/{part}")
}

fn rules_key(env_id: &str, version: &str) -> String {
    format!("env/{env_id}/v/{version}/rules")
}

fn chunk_key(env_id: &str, version: &str, segment: usize, chunk: usize) -> String {
    format!("env/{env_id}/v/{version}/seg/{segment}/{chunk}")
}

impl Manifest {
    /// Parses a stored manifest.
    ///
    /// # Errors
    /// [`LayoutError::Manifest`].
    pub fn from_json(json: &str) -> Result<Manifest, LayoutError> {
        let m: Manifest = serde_json::from_str(json).map_err(|e| LayoutError::Manifest(e.to_string()))?;
        if m.format != FORMAT && m.format != FORMAT_PARTS {
            return Err(LayoutError::Manifest(format!(
                "format {} (this Worker reads {FORMAT} and {FORMAT_PARTS})",
                m.format
            )));
        }
        if m.format == FORMAT && !m.flags_parts.is_empty() {
            return Err(LayoutError::Manifest(format!("format {FORMAT} names flag data parts")));
        }
        Ok(m)
    }

    /// The manifest as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The KV keys of the flag data's text, in order: [`Manifest::flags_key`], then
    /// [`Manifest::flags_parts`]. Their values, concatenated, are the flag data.
    pub fn flag_data_keys(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.flags_key).chain(self.flags_parts.iter())
    }

    /// Every KV key this manifest names.
    pub fn data_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.flag_data_keys().cloned().collect();
        keys.extend(self.rules_key.iter().cloned());
        keys.extend(self.segments.values().flat_map(|s| s.chunks.iter().cloned()));
        keys.extend(self.large_segments.values().flat_map(LargeSegmentEntry::shard_keys));
        keys
    }
}

/// Replaces the manifest of a version's writes (their last write) by `manifest`.
pub fn set_manifest(writes: &mut Vec<KvWrite>, env_id: &str, manifest: &Manifest) {
    let key = manifest_key(env_id);
    if writes.last().is_some_and(|w| w.key == key) {
        writes.pop();
    }
    writes.push(KvWrite { key, value: KvValue::Json(manifest.to_json()) });
}

/// Splits sorted keys into chunks of at most [`CHUNK_MAX_KEYS`] keys and [`CHUNK_MAX_BYTES`] of
/// JSON each (a single key over the byte bound gets a chunk of its own).
pub fn chunk_keys<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut bytes = 2usize;
    for k in keys {
        let size = serde_json::to_string(k).map(|s| s.len()).unwrap_or(k.len()).saturating_add(1);
        if !current.is_empty() && (current.len() >= CHUNK_MAX_KEYS || bytes.saturating_add(size) > CHUNK_MAX_BYTES) {
            chunks.push(serde_json::to_string(&current).unwrap_or_default());
            current.clear();
            bytes = 2;
        }
        current.push(k);
        bytes = bytes.saturating_add(size);
    }
    if !current.is_empty() {
        chunks.push(serde_json::to_string(&current).unwrap_or_default());
    }
    chunks
}

/// Cuts text into parts of at most `max` bytes each (at character boundaries; `max` ≥ 4), in
/// order: their concatenation is `text`. Empty text is one empty part.
pub fn split_text(text: &str, max: usize) -> Vec<&str> {
    let max = max.max(4);
    let mut parts = Vec::with_capacity(text.len().div_ceil(max).max(1));
    let mut rest = text;
    while rest.len() > max {
        let mut end = max;
        while !rest.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let (part, tail) = rest.split_at(end);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// The flag data's stored text from its parts' values (`values` answers a key's value).
///
/// # Errors
/// [`LayoutError::Missing`] naming the first missing part.
pub fn join_flag_data<'v>(
    manifest: &Manifest,
    values: impl Fn(&str) -> Option<&'v str>,
) -> Result<String, LayoutError> {
    let mut text = String::new();
    for key in manifest.flag_data_keys() {
        text.push_str(values(key).ok_or_else(|| LayoutError::Missing(key.clone()))?);
    }
    Ok(text)
}

/// What a push changes.
#[derive(Debug, Clone)]
pub enum Change<'a> {
    /// New flag data, and its compiled rules (stored in binary form beside it).
    Flags(&'a FlagData, Option<&'a Snapshot>),
    /// One segment's new members.
    Segment(&'a SegmentData),
    /// One large segment's new shards (already stored: only the manifest is written).
    LargeSegment(&'a str, &'a LargeSegmentEntry),
}

/// The writes of a new version (data keys first, the manifest last) and its manifest.
/// `previous` is the current manifest (`None`: nothing stored yet).
pub fn plan_push(
    env_id: &str,
    version: &str,
    now_ms: u64,
    previous: Option<&Manifest>,
    change: Change<'_>,
) -> (Vec<KvWrite>, Manifest) {
    match change {
        Change::Flags(data, rules) => plan_version(env_id, version, now_ms, previous, Some((data, rules)), &[]),
        Change::Segment(seg) => plan_version(env_id, version, now_ms, previous, None, &[seg]),
        Change::LargeSegment(name, entry) => {
            let (mut writes, mut manifest) = plan_version(env_id, version, now_ms, previous, None, &[]);
            manifest.large_segments.insert(name.to_owned(), entry.clone());
            set_manifest(&mut writes, env_id, &manifest);
            (writes, manifest)
        }
    }
}

/// [`plan_push`] of several changes at once (a synchronization run's): new flag data, if any
/// (with its compiled rules, stored in binary form when given), and new members of some
/// segments. Data keys first, the manifest last.
pub fn plan_version(
    env_id: &str,
    version: &str,
    now_ms: u64,
    previous: Option<&Manifest>,
    flags: Option<(&FlagData, Option<&Snapshot>)>,
    segments: &[&SegmentData],
) -> (Vec<KvWrite>, Manifest) {
    let mut writes = Vec::new();
    let mut manifest = match previous {
        Some(p) => p.clone(),
        None => Manifest {
            format: FORMAT,
            version: String::new(),
            updated_at_ms: 0,
            flags_change_number: -1,
            rule_based_segments_change_number: -1,
            flag_count: 0,
            flags_key: String::new(),
            flags_parts: Vec::new(),
            rules_key: None,
            segments: BTreeMap::new(),
            large_segments: BTreeMap::new(),
        },
    };
    manifest.version = version.to_owned();
    manifest.updated_at_ms = now_ms;
    match flags {
        Some((data, rules)) => {
            let key = flags_key(env_id, version);
            let json = data.to_json();
            let parts = split_text(&json, FLAG_PART_MAX_BYTES);
            manifest.flags_parts.clear();
            for (i, part) in parts.into_iter().enumerate() {
                let part_key = if i == 0 { key.clone() } else { flags_part_key(env_id, version, i) };
                if i > 0 {
                    manifest.flags_parts.push(part_key.clone());
                }
                writes.push(KvWrite { key: part_key, value: KvValue::Json(part.to_owned()) });
            }
            drop(json);
            // Rules that do not encode (not expected) are simply not stored: isolates compile the JSON.
            manifest.rules_key = rules.and_then(|snapshot| encode_rules(snapshot, &key).ok()).map(|bytes| {
                let key = rules_key(env_id, version);
                writes.push(KvWrite { key: key.clone(), value: KvValue::Binary(bytes) });
                key
            });
            manifest.flags_key = key;
            manifest.flags_change_number = data.flags_change_number;
            manifest.rule_based_segments_change_number = data.rule_based_segments_change_number;
            manifest.flag_count = data.flags.len();
        }
        None if previous.is_none() => {
            // Segments before any flags: store empty flag data so the manifest is complete.
            let key = flags_key(env_id, version);
            writes.push(KvWrite { key: key.clone(), value: KvValue::Json(FlagData::default().to_json()) });
            manifest.flags_key = key;
            manifest.flags_parts.clear();
            manifest.rules_key = None;
        }
        None => {}
    }
    // Chunk keys are numbered by the segment's position among all the version's segments, so
    // they are unique within the version.
    for seg in segments {
        manifest.segments.entry(seg.name.clone()).or_insert(SegmentEntry {
            change_number: -1,
            key_count: 0,
            chunks: Vec::new(),
        });
    }
    for seg in segments {
        let index = manifest.segments.keys().position(|n| *n == seg.name).unwrap_or(0);
        let chunks: Vec<String> = chunk_keys(seg.keys.iter())
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                let key = chunk_key(env_id, version, index, i);
                writes.push(KvWrite { key: key.clone(), value: KvValue::Json(value) });
                key
            })
            .collect();
        manifest.segments.insert(
            seg.name.clone(),
            SegmentEntry { change_number: seg.change_number, key_count: seg.keys.len(), chunks },
        );
    }
    manifest.format = if manifest.flags_parts.is_empty() { FORMAT } else { FORMAT_PARTS };
    writes.push(KvWrite { key: manifest_key(env_id), value: KvValue::Json(manifest.to_json()) });
    (writes, manifest)
}

/// The rules (flags and rule-based segments, no segments) of stored flag data
/// ([`FlagData::to_json`]'s form), compiled, keeping only the flags `filter` selects.
///
/// # Errors
/// [`LayoutError::Flags`] when the flag data does not load.
pub fn compile_rules(flags_json: &str, filter: FlagFilter) -> Result<Snapshot, LayoutError> {
    let data = FlagData::from_json(flags_json).map_err(|e: PushError| LayoutError::Flags(e.to_string()))?;
    compile_flag_data(&data, flags_json, filter)
}

/// [`compile_rules`] of flag data at hand (`json` is its stored form).
fn compile_flag_data(data: &FlagData, json: &str, filter: FlagFilter) -> Result<Snapshot, LayoutError> {
    let mut snapshot = Snapshot::new().with_filter(filter);
    snapshot.apply_split_changes_json(json).map_err(|e| LayoutError::Flags(e.to_string()))?;
    if let Some(body) = data.reorder_body() {
        snapshot.apply_split_changes_json(&body).map_err(|e| LayoutError::Flags(e.to_string()))?;
    }
    Ok(snapshot)
}

/// [`compile_rules`] of flag data at hand.
///
/// # Errors
/// [`LayoutError::Flags`] when the flag data does not load.
pub fn compile(data: &FlagData, filter: FlagFilter) -> Result<Snapshot, LayoutError> {
    compile_flag_data(data, &data.to_json(), filter)
}

/// The binary form of a snapshot's rules compiled from the flag data at `flags_key` (its segments
/// are stored apart, as JSON chunks): the flag data's key (`u16` length, little-endian, then the
/// key), then the core's binary form (`split_edge::binary`). Flag data keys are immutable, so the
/// rules stay valid for as long as the manifest names that key; a writer that puts new flag data
/// under a new key and leaves `rulesKey` as it was gets its new flags served, not the old rules.
///
/// # Errors
/// [`LayoutError::Binary`]; not expected for rules compiled by this build.
pub fn encode_rules(snapshot: &Snapshot, flags_key: &str) -> Result<Vec<u8>, LayoutError> {
    let rules = snapshot.encode_rules().map_err(|e| LayoutError::Binary(e.to_string()))?;
    let len = u16::try_from(flags_key.len())
        .map_err(|_| LayoutError::Binary(format!("the flag data key has {} bytes, over 65535", flags_key.len())))?;
    let mut out = Vec::with_capacity(2_usize.saturating_add(flags_key.len()).saturating_add(rules.len()));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(flags_key.as_bytes());
    out.extend_from_slice(&rules);
    if out.len() > KV_VALUE_MAX_BYTES {
        return Err(LayoutError::Binary(format!(
            "they take {} bytes, over Workers KV's limit of {KV_VALUE_MAX_BYTES}: not stored (isolates compile the JSON)",
            out.len()
        )));
    }
    Ok(out)
}

/// Decodes binary rules for the flag data at `flags_key` of an environment with flag filter
/// `filter`.
///
/// # Errors
/// [`LayoutError::Binary`]: rules compiled from other flag data or under another flag filter, a
/// bad checksum, another schema version. The caller compiles the JSON instead.
pub fn decode_rules(bytes: &[u8], flags_key: &str, filter: &FlagFilter) -> Result<Snapshot, LayoutError> {
    let source = bytes
        .split_first_chunk::<2>()
        .and_then(|(len, rest)| rest.split_at_checked(usize::from(u16::from_le_bytes(*len))));
    let Some((source, rules)) = source else {
        return Err(LayoutError::Binary("the value is shorter than its header".to_owned()));
    };
    if source != flags_key.as_bytes() {
        return Err(LayoutError::Binary(format!(
            "they were compiled from {}, not from {flags_key}",
            String::from_utf8_lossy(source)
        )));
    }
    let snapshot = Snapshot::decode_rules(rules).map_err(|e| LayoutError::Binary(e.to_string()))?;
    if snapshot.filter() != filter {
        return Err(LayoutError::Binary("they were compiled under another flag filter".to_owned()));
    }
    Ok(snapshot)
}

/// A segment's members, read from its chunks (`values` answers a chunk's JSON).
///
/// # Errors
/// [`LayoutError::Missing`] or [`LayoutError::Chunk`] naming the chunk.
pub fn segment_keys<'v>(
    entry: &SegmentEntry,
    values: impl Fn(&str) -> Option<&'v str>,
) -> Result<Vec<String>, LayoutError> {
    let mut added: Vec<String> = Vec::with_capacity(entry.key_count);
    for key in &entry.chunks {
        let chunk = values(key).ok_or_else(|| LayoutError::Missing(key.clone()))?;
        let keys: Vec<String> = serde_json::from_str(chunk).map_err(|_| LayoutError::Chunk(key.clone()))?;
        added.extend(keys);
    }
    Ok(added)
}

/// Loads a segment's members into `snapshot` (replacing what it held of that segment).
pub fn install_segment(snapshot: &mut Snapshot, name: &str, entry: &SegmentEntry, keys: Vec<String>) {
    let _ = snapshot.take_segment(name);
    snapshot.apply_segment_change(SegmentChange {
        name: name.to_owned(),
        added: keys,
        removed: Vec::new(),
        since: Some(-1),
        till: entry.change_number,
    });
}

/// Builds the snapshot of a manifest from the values it names (`values` answers a key's value,
/// `None` when missing), keeping only the flags `filter` selects.
///
/// # Errors
/// [`LayoutError`] naming the missing or unreadable key.
pub fn assemble<'v>(
    manifest: &Manifest,
    filter: FlagFilter,
    values: impl Fn(&str) -> Option<&'v str>,
) -> Result<Snapshot, LayoutError> {
    assemble_reusing(manifest, None, filter, values)
}

/// The segments of `manifest` stored exactly as in `previous` (same chunk keys): their members
/// can be taken from the snapshot loaded from `previous` instead of being read again.
pub fn unchanged_segments<'m>(manifest: &'m Manifest, previous: Option<&Manifest>) -> Vec<&'m str> {
    let Some(previous) = previous else { return Vec::new() };
    manifest
        .segments
        .iter()
        .filter(|(name, entry)| previous.segments.get(*name) == Some(*entry))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// The KV keys to read to load `manifest` when the snapshot of `previous` is at hand.
pub fn keys_to_read(manifest: &Manifest, previous: Option<&Manifest>) -> Vec<String> {
    let unchanged = unchanged_segments(manifest, previous);
    let mut keys: Vec<String> = manifest.flag_data_keys().cloned().collect();
    for (name, entry) in &manifest.segments {
        if !unchanged.contains(&name.as_str()) {
            keys.extend(entry.chunks.iter().cloned());
        }
    }
    keys
}

/// [`assemble`], taking the members of segments that did not change since `previous` (its
/// manifest and the snapshot loaded from it) from that snapshot.
///
/// # Errors
/// [`LayoutError`] naming the missing or unreadable key.
pub fn assemble_reusing<'v>(
    manifest: &Manifest,
    previous: Option<(&Manifest, &Snapshot)>,
    filter: FlagFilter,
    values: impl Fn(&str) -> Option<&'v str>,
) -> Result<Snapshot, LayoutError> {
    let unchanged = unchanged_segments(manifest, previous.map(|(m, _)| m));
    let flags_json = join_flag_data(manifest, &values)?;
    let mut snapshot = compile_rules(&flags_json, filter)?;
    for (name, entry) in &manifest.segments {
        let reused = previous
            .filter(|_| unchanged.contains(&name.as_str()))
            .and_then(|(_, snap)| snap.segment(name))
            .map(|seg| seg.keys.iter().cloned().collect::<Vec<String>>());
        let added = match reused {
            Some(keys) => keys,
            None => segment_keys(entry, &values)?,
        };
        install_segment(&mut snapshot, name, entry, added);
    }
    Ok(snapshot)
}

/// What `GET /admin/snapshot` answers: the environment's data as the bodies that would load it,
/// `{"splitChanges": <splitChanges body>, "segmentChanges": [<segmentChanges body>, ...]}`.
/// Flags are the stored definitions (`flags_json`, [`FlagData`]'s stored form) of the flags
/// `snapshot` serves (after the environment's flag-set filter); segments are `snapshot`'s, keys
/// sorted, each a full body (`since` -1).
///
/// # Errors
/// [`LayoutError::Flags`] when the stored flag data cannot be read.
pub fn export(flags_json: &str, snapshot: &Snapshot) -> Result<serde_json::Value, LayoutError> {
    let mut data = FlagData::from_json(flags_json).map_err(|e| LayoutError::Flags(e.to_string()))?;
    data.flags.retain(|(name, _)| snapshot.flag(name).is_some());
    data.upsert_order.retain(|name| snapshot.flag(name).is_some());
    let split_changes: serde_json::Value =
        serde_json::from_str(&data.to_json()).map_err(|e| LayoutError::Flags(e.to_string()))?;
    let mut segments: Vec<(&str, &split_edge::snapshot::Segment)> = snapshot.segments().collect();
    segments.sort_unstable_by_key(|(name, _)| *name);
    let segment_changes: Vec<serde_json::Value> = segments
        .into_iter()
        .map(|(name, seg)| {
            let mut keys: Vec<&String> = seg.keys.iter().collect();
            keys.sort_unstable();
            serde_json::json!({"name": name, "added": keys, "removed": [], "since": -1, "till": seg.change_number})
        })
        .collect();
    Ok(serde_json::json!({"splitChanges": split_changes, "segmentChanges": segment_changes}))
}

/// The stored form of a loaded segment (for an incremental segment push).
pub fn segment_data(snapshot: &Snapshot, name: &str) -> Option<SegmentData> {
    snapshot.segment(name).map(|s| SegmentData {
        name: name.to_owned(),
        keys: s.keys.iter().cloned().collect(),
        change_number: s.change_number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::apply_segment_change;
    use std::collections::HashMap;

    const FLAGS: &str = r#"{"ff":{"d":[{"name":"f","trafficTypeName":"user","seed":1,"status":"ACTIVE","killed":false,
        "defaultTreatment":"off","changeNumber":1,"conditions":[{"conditionType":"ROLLOUT",
        "matcherGroup":{"combiner":"AND","matchers":[{"matcherType":"IN_SEGMENT","negate":false,
        "userDefinedSegmentMatcherData":{"segmentName":"beta"}}]},
        "partitions":[{"treatment":"on","size":100}],"label":"in segment beta"}]}],"s":-1,"t":7}}"#;

    #[test]
    fn export_gives_the_bodies_of_what_is_served() {
        let mut data = FlagData::default();
        data.apply_split_changes(FLAGS).unwrap();
        let other =
            FLAGS.replace(r#""name":"f""#, r#""name":"g","sets":["x"]"#).replace(r#""s":-1,"t":7"#, r#""s":7,"t":8"#);
        data.apply_split_changes(&other).unwrap();
        let mut snapshot = Snapshot::new().with_filter(FlagFilter::by_sets(&["x"]).unwrap());
        snapshot.apply_split_changes_json(&data.to_json()).unwrap();
        snapshot.apply_segment_change(SegmentChange {
            name: "beta".into(),
            added: vec!["z".into(), "a".into()],
            removed: vec![],
            since: Some(-1),
            till: 3,
        });
        let out = export(&data.to_json(), &snapshot).unwrap();
        let names: Vec<&str> =
            out["splitChanges"]["ff"]["d"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["g"], "only the flags the filter serves");
        assert_eq!(out["splitChanges"]["ff"]["t"], 8);
        assert_eq!(
            out["segmentChanges"][0],
            serde_json::json!({"name": "beta", "added": ["a", "z"], "removed": [], "since": -1, "till": 3})
        );
        let mut reloaded = Snapshot::new();
        reloaded.apply_split_changes_json(&out["splitChanges"].to_string()).unwrap();
        assert_eq!(reloaded.flag_names(), ["g"]);
        assert!(matches!(export("nope", &snapshot), Err(LayoutError::Flags(_))));
    }

    fn store(writes: &[KvWrite], kv: &mut HashMap<String, String>) {
        for w in writes {
            assert!(w.key.len() <= 512, "KV keys are at most 512 bytes");
            if let Some(json) = w.value.as_json() {
                kv.insert(w.key.clone(), json.to_owned());
            }
        }
    }

    #[test]
    fn chunks_are_bounded() {
        let keys: Vec<String> = (0..25_000).map(|i| format!("user-{i:06}")).collect();
        let chunks = chunk_keys(keys.iter());
        assert_eq!(chunks.len(), 3);
        let back: Vec<String> = chunks.iter().flat_map(|c| serde_json::from_str::<Vec<String>>(c).unwrap()).collect();
        assert_eq!(back, keys);
        let big: Vec<String> = (0..300).map(|i| format!("{i}{}", "x".repeat(10_000))).collect();
        let chunks = chunk_keys(big.iter());
        assert!(chunks.len() >= 3);
        assert!(chunks.iter().all(|c| c.len() <= CHUNK_MAX_BYTES));
        assert!(chunk_keys(std::iter::empty()).is_empty());
    }

    #[test]
    fn text_parts_join_back_at_character_boundaries() {
        let text = "aé😀".repeat(1000);
        for max in [4, 5, 7, 100, 10_000] {
            let parts = split_text(&text, max);
            assert!(parts.iter().all(|p| p.len() <= max), "{max}");
            assert_eq!(parts.concat(), text);
        }
        assert_eq!(split_text("", 10), [""]);
        assert_eq!(split_text("abc", 10), ["abc"]);
    }

    /// The bound the layout promises: whatever the flag data's size (a push body of up to
    /// `PUSH_MAX_BYTES` gives about as much; many pushes add up to more), no value written is
    /// over KV's limit, and the parts read back as the flag data.
    #[test]
    fn no_value_is_over_kv_limit_whatever_the_flag_data_size() {
        let mut data = FlagData::default();
        data.apply_split_changes(FLAGS).unwrap();
        let (_, template) = data.flags.first().cloned().unwrap();
        let padding = "x".repeat(20_000);
        // ≈ 40 MiB of flag data: over KV's 25 MiB limit if stored in one value.
        for i in 0..2_000 {
            let mut flag = template.clone();
            flag["name"] = serde_json::Value::String(format!("flag-{i:05}"));
            flag["conditions"][0]["label"] = serde_json::Value::String(format!("{padding}{i}"));
            data.flags.push((format!("flag-{i:05}"), flag));
        }
        data.upsert_order = data.flags.iter().map(|(n, _)| n.clone()).collect();
        let json = data.to_json();
        assert!(json.len() > KV_VALUE_MAX_BYTES + (10 << 20), "{} bytes", json.len());
        let (writes, m) = plan_push("e", "v1", 1, None, Change::Flags(&data, None));
        assert!(writes.iter().all(|w| w.value.as_bytes().len() <= KV_VALUE_MAX_BYTES));
        assert!(writes.iter().all(|w| w.key == "env/e/manifest" || w.value.as_bytes().len() <= FLAG_PART_MAX_BYTES));
        assert_eq!(m.flags_parts.len(), json.len().div_ceil(FLAG_PART_MAX_BYTES) - 1);
        assert_eq!(m.format, FORMAT_PARTS);
        let mut kv = HashMap::new();
        store(&writes, &mut kv);
        let stored = Manifest::from_json(kv.get("env/e/manifest").unwrap()).unwrap();
        assert_eq!(stored, m);
        assert_eq!(join_flag_data(&stored, |k| kv.get(k).map(String::as_str)).unwrap(), json);
        let snap = assemble(&stored, FlagFilter::none(), |k| kv.get(k).map(String::as_str)).unwrap();
        assert_eq!(snap.flag_count(), 2_001);
        assert!(stored.data_keys().iter().all(|k| kv.contains_key(k)), "the garbage collector keeps every part");
        // A segment push keeps the parts; a small flag push goes back to one value, format 1.
        let (seg, _) =
            apply_segment_change(None, r#"{"name":"beta","added":["a"],"removed":[],"since":-1,"till":3}"#).unwrap();
        let (_, m2) = plan_push("e", "v2", 2, Some(&m), Change::Segment(&seg));
        assert_eq!(
            (m2.flags_key.as_str(), &m2.flags_parts, m2.format),
            (m.flags_key.as_str(), &m.flags_parts, FORMAT_PARTS)
        );
        let mut small = FlagData::default();
        small.apply_split_changes(FLAGS).unwrap();
        let (writes, m3) = plan_push("e", "v3", 3, Some(&m2), Change::Flags(&small, None));
        assert!(m3.flags_parts.is_empty());
        assert_eq!(m3.format, FORMAT);
        assert_eq!(writes.len(), 2);
        // A part missing is named; format 1 naming parts is refused.
        kv.remove(m.flags_parts.last().unwrap());
        assert!(matches!(join_flag_data(&m, |k| kv.get(k).map(String::as_str)), Err(LayoutError::Missing(_))));
        let bad = m.to_json().replace("\"format\":2", "\"format\":1");
        assert!(Manifest::from_json(&bad).is_err());
        assert!(Manifest::from_json(&m.to_json().replace("\"format\":2", "\"format\":3")).is_err());
    }

    #[test]
    fn push_and_assemble() {
        let mut kv = HashMap::new();
        let mut data = FlagData::default();
        data.apply_split_changes(FLAGS).unwrap();
        let (writes, m1) = plan_push("e1", "v1", 100, None, Change::Flags(&data, None));
        assert_eq!(writes.last().unwrap().key, "env/e1/manifest", "manifest last");
        store(&writes, &mut kv);
        let (seg, _) =
            apply_segment_change(None, r#"{"name":"beta","added":["alice"],"removed":[],"since":-1,"till":3}"#)
                .unwrap();
        let (writes, m2) = plan_push("e1", "v2", 200, Some(&m1), Change::Segment(&seg));
        assert_eq!(m2.flags_key, m1.flags_key, "flag data reused");
        store(&writes, &mut kv);
        let stored = Manifest::from_json(kv.get("env/e1/manifest").unwrap()).unwrap();
        assert_eq!(stored, m2);
        let snap = assemble(&stored, FlagFilter::none(), |k| kv.get(k).map(String::as_str)).unwrap();
        assert_eq!(snap.flags_change_number(), 7);
        assert!(snap.in_segment("beta", "alice"));
        assert_eq!(segment_data(&snap, "beta").unwrap(), seg);
        // The old version still assembles (readers holding it never see half an update).
        assert!(assemble(&m1, FlagFilter::none(), |k| kv.get(k).map(String::as_str)).is_ok());
        // A flag push after it reuses the segment: only the flag data is read.
        let (writes, m3) = plan_push("e1", "v3", 300, Some(&m2), Change::Flags(&data, None));
        store(&writes, &mut kv);
        assert_eq!(keys_to_read(&m3, Some(&m2)), vec![m3.flags_key.clone()]);
        assert_eq!(keys_to_read(&m3, None).len(), 2);
        let only_flags: HashMap<String, String> =
            kv.iter().filter(|(k, _)| **k == m3.flags_key).map(|(k, v)| (k.clone(), v.clone())).collect();
        let snap3 =
            assemble_reusing(&m3, Some((&m2, &snap)), FlagFilter::none(), |k| only_flags.get(k).map(String::as_str))
                .unwrap();
        assert!(snap3.in_segment("beta", "alice"));
        // Missing data is named.
        kv.remove(&m2.segments["beta"].chunks[0]);
        let e = assemble(&m2, FlagFilter::none(), |k| kv.get(k).map(String::as_str)).unwrap_err();
        assert!(matches!(e, LayoutError::Missing(_)));
        assert!(Manifest::from_json("{}").is_err());
    }

    #[test]
    fn segment_before_flags() {
        let (seg, _) =
            apply_segment_change(None, r#"{"name":"s","added":["a"],"removed":[],"since":-1,"till":3}"#).unwrap();
        let (writes, m) = plan_push("e", "v1", 1, None, Change::Segment(&seg));
        let kv: HashMap<String, String> =
            writes.into_iter().filter_map(|w| w.value.as_json().map(|v| (w.key.clone(), v.to_owned()))).collect();
        let snap = assemble(&m, FlagFilter::none(), |k| kv.get(k).map(String::as_str)).unwrap();
        assert!(snap.in_segment("s", "a"));
        assert_eq!(snap.flags_change_number(), -1);
    }
    #[test]
    fn rules_are_stored_binary_before_the_manifest_and_checked_on_read() {
        let mut data = FlagData::default();
        data.apply_split_changes(FLAGS).unwrap();
        let filter = FlagFilter::none();
        let rules = compile(&data, filter.clone()).unwrap();
        let (writes, m) = plan_push("e", "v1", 1, None, Change::Flags(&data, Some(&rules)));
        let key = m.rules_key.clone().expect("the manifest names the rules");
        let at = |k: &str| writes.iter().position(|w| w.key == k).unwrap();
        assert!(at(&key) < at("env/e/manifest"), "rules written before the manifest names them");
        let bytes = writes[at(&key)].value.as_bytes().to_vec();
        let decoded = decode_rules(&bytes, &m.flags_key, &filter).unwrap();
        assert_eq!(decoded.flag_names(), rules.flag_names());
        assert_eq!(decoded.flags_change_number(), 7);
        // Compiled under another filter: refused, so the caller compiles the JSON with its own.
        let other = FlagFilter::by_sets(&["x"]).unwrap();
        assert!(matches!(decode_rules(&bytes, &m.flags_key, &other), Err(LayoutError::Binary(_))));
        // Damaged bytes: refused with the reason, never a panic.
        let mut damaged = bytes.clone();
        if let Some(last) = damaged.last_mut() {
            *last ^= 0xff;
        }
        let e = decode_rules(&damaged, &m.flags_key, &filter).unwrap_err();
        assert!(e.to_string().contains("corrupted"), "{e}");
        // Named by a manifest whose flag data is another key (an external writer that left
        // `rulesKey` as it was): refused, the new flag data is compiled.
        let e = decode_rules(&bytes, "env/e/v/v2/flags", &filter).unwrap_err();
        assert!(e.to_string().contains("not from env/e/v/v2/flags"), "{e}");
        assert!(decode_rules(&bytes[..1], &m.flags_key, &filter).is_err());
        // A manifest without rules (written by an older build) still reads.
        let (_, m0) = plan_push("e", "v0", 1, None, Change::Flags(&data, None));
        assert_eq!(m0.rules_key, None);
        assert!(!Manifest::to_json(&m0).contains("rules"));
    }
}
