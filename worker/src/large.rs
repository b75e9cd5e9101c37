//! Large segments in Workers KV (sans-I/O): key lists sharded by a hash of the key, so that a
//! membership is one KV read of one shard, and built in bounded memory.
//!
//! ```text
//! env/<envId>/v/<version>/ls/<shard>      shard i of a large segment's keys (binary, below)
//! ```
//!
//! A key `k` of a large segment with `n` shards is in shard `murmur3_x86_32(k, SHARD_SEED) % n`.
//! A shard holds its keys sorted bytewise: `"SELS"`, a format byte, the key count (u32 LE), the
//! end offset of each key (u32 LE each), then the keys' bytes. A lookup binary-searches it in
//! place: nothing is parsed or allocated, and a shard that does not decode is an error, never
//! a panic.
//!
//! Shards are sized from the announced file size (or the pushed body's): about [`SHARD_BYTES`]
//! each, so a 10-million-key segment of 36-character keys has about 800 shards of 450 KB. They
//! are built in *passes*: each pass reads the whole key list and keeps only the keys of its range
//! of shards, at most about [`PASS_BYTES`] of them, so building never holds the whole list.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use split_edge::hash::murmur3_x86_32;
use split_edge::sync::large_segments::{CsvKeys, LargeSegmentError};

use crate::layout::{KvValue, KvWrite, Manifest};
use split_edge::snapshot::{RemoteLargeSegment, DEFAULT_CACHE_KEYS};
use split_edge::Snapshot;

/// The hash seed of shard placement.
pub const SHARD_SEED: u32 = 0x5e15_ed9e;
/// The size a shard is aimed at.
pub const SHARD_BYTES: u64 = 512 * 1024;
/// The most key bytes one build pass holds.
pub const PASS_BYTES: u64 = 16 * 1024 * 1024;
/// The most shards of one large segment.
pub const MAX_SHARDS: u32 = 4096;
const MAGIC: &[u8; 4] = b"SELS";
const FORMAT: u8 = 1;
const HEADER: usize = 9;

/// One large segment in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LargeSegmentEntry {
    /// Its change number.
    pub change_number: i64,
    /// How many distinct keys it has.
    pub key_count: u64,
    /// How many shards hold them (0: no members).
    pub shards: u32,
    /// The KV key prefix of its shards (`<prefix><i>`).
    pub prefix: String,
}

impl LargeSegmentEntry {
    /// The KV key of the shard holding `key` (`None`: no shards).
    pub fn shard_key_of(&self, key: &str) -> Option<String> {
        (self.shards > 0).then(|| self.shard_key(shard_of(key.as_bytes(), self.shards)))
    }

    /// The KV key of shard `i`.
    pub fn shard_key(&self, i: u32) -> String {
        format!("{}{i}", self.prefix)
    }

    /// Every shard's KV key.
    pub fn shard_keys(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.shards).map(|i| self.shard_key(i))
    }
}

/// The shard prefix of a large segment stored with version `version`.
pub fn shard_prefix(env_id: &str, version: &str) -> String {
    format!("env/{env_id}/v/{version}/ls/")
}

/// Which of `shards` shards holds `key`.
pub fn shard_of(key: &[u8], shards: u32) -> u32 {
    murmur3_x86_32(key, SHARD_SEED).checked_rem(shards).unwrap_or(0)
}

/// How a large segment is built: how many shards, in how many passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildPlan {
    /// Shards.
    pub shards: u32,
    /// Passes over the key list.
    pub passes: u32,
}

impl BuildPlan {
    /// The plan for a key list of about `bytes` bytes (a CSV file's size; each key also costs 4
    /// bytes of offset in a shard).
    pub fn for_size(bytes: u64, key_count: u64) -> BuildPlan {
        let stored = bytes.saturating_add(key_count.saturating_mul(4));
        let shards = u32::try_from(stored.div_ceil(SHARD_BYTES)).unwrap_or(MAX_SHARDS).clamp(1, MAX_SHARDS);
        let passes = u32::try_from(stored.div_ceil(PASS_BYTES)).unwrap_or(shards).clamp(1, shards);
        BuildPlan { shards, passes }
    }

    /// The shards pass `pass` builds: `[start, end)`.
    pub fn pass_range(&self, pass: u32) -> (u32, u32) {
        let at = |p: u32| {
            let scaled = u64::from(self.shards).saturating_mul(u64::from(p));
            u32::try_from(scaled.checked_div(u64::from(self.passes)).unwrap_or(0)).unwrap_or(self.shards)
        };
        (at(pass), at(pass.saturating_add(1)).min(self.shards))
    }
}

/// Collects the keys of a range of shards during one pass, then encodes them.
#[derive(Debug)]
pub struct PassBuilder {
    shards: u32,
    start: u32,
    keys: Vec<Vec<Vec<u8>>>,
}

impl PassBuilder {
    /// A builder of shards `range` of `plan`.
    pub fn new(plan: &BuildPlan, (start, end): (u32, u32)) -> PassBuilder {
        let count = usize::try_from(end.saturating_sub(start)).unwrap_or(0);
        PassBuilder { shards: plan.shards, start, keys: vec![Vec::new(); count] }
    }

    /// Takes `key` if it belongs to one of this pass's shards.
    pub fn add(&mut self, key: &[u8]) {
        let shard = shard_of(key, self.shards);
        if let Some(list) = shard.checked_sub(self.start).and_then(|i| self.keys.get_mut(usize::try_from(i).ok()?)) {
            list.push(key.to_vec());
        }
    }

    /// The encoded shards (`(index, bytes)`) and how many distinct keys they hold.
    pub fn finish(self) -> (Vec<(u32, Vec<u8>)>, u64) {
        let mut distinct = 0u64;
        let mut out = Vec::with_capacity(self.keys.len());
        for (i, mut keys) in (self.start..).zip(self.keys) {
            keys.sort_unstable();
            keys.dedup();
            distinct = distinct.saturating_add(u64::try_from(keys.len()).unwrap_or(u64::MAX));
            out.push((i, encode_shard(&keys)));
        }
        (out, distinct)
    }
}

/// Stores one large segment's key list (a CSV file, one key per row) as shards, pass by pass:
/// the host feeds the whole file in each pass ([`Upload::feed`]), then stores what
/// [`Upload::end_pass`] gives, until [`Upload::is_done`]. Nothing is stored for the manifest
/// before the last pass: a failed upload leaves the previous key list serving.
#[derive(Debug)]
pub struct Upload {
    plan: BuildPlan,
    prefix: String,
    pass: u32,
    builder: PassBuilder,
    csv: CsvKeys,
    distinct: u64,
    rows: u64,
}

impl Upload {
    /// An upload of a key list of about `bytes` bytes and `key_count` keys, its shards under `prefix`.
    pub fn new(bytes: u64, key_count: u64, prefix: String) -> Upload {
        let plan = BuildPlan::for_size(bytes, key_count);
        Upload {
            builder: PassBuilder::new(&plan, plan.pass_range(0)),
            plan,
            prefix,
            pass: 0,
            csv: CsvKeys::new(),
            distinct: 0,
            rows: 0,
        }
    }

    /// The plan (shards and passes).
    pub fn plan(&self) -> BuildPlan {
        self.plan
    }

    /// Reads the next bytes of the file in this pass.
    ///
    /// # Errors
    /// The file is not a CSV file of one column.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), LargeSegmentError> {
        let builder = &mut self.builder;
        self.csv.feed(chunk, |key| builder.add(key))
    }

    /// Ends this pass: the shards it built, to store.
    ///
    /// # Errors
    /// The file ends inside a quoted field.
    pub fn end_pass(&mut self) -> Result<Vec<KvWrite>, LargeSegmentError> {
        let builder = &mut self.builder;
        self.rows = std::mem::take(&mut self.csv).finish(|key| builder.add(key))?;
        self.pass = self.pass.saturating_add(1);
        let next = PassBuilder::new(&self.plan, self.plan.pass_range(self.pass));
        let (shards, distinct) = std::mem::replace(&mut self.builder, next).finish();
        self.distinct = self.distinct.saturating_add(distinct);
        Ok(shards
            .into_iter()
            .map(|(i, bytes)| KvWrite { key: format!("{}{i}", self.prefix), value: KvValue::Binary(bytes) })
            .collect())
    }

    /// Whether every pass is done.
    pub fn is_done(&self) -> bool {
        self.pass >= self.plan.passes
    }

    /// The rows of the file (after a pass).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The manifest entry of what was stored, at `change_number` (after the last pass).
    pub fn entry(&self, change_number: i64) -> LargeSegmentEntry {
        LargeSegmentEntry {
            change_number,
            key_count: self.distinct,
            shards: self.plan.shards,
            prefix: self.prefix.clone(),
        }
    }
}

/// How an isolate's membership lookups went (its `/admin/stats` figures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupStats {
    /// Memberships looked up in KV (the rest were answered from the isolate's cache).
    pub lookups: u64,
    /// Shards read from KV (one per distinct shard a request needed).
    pub shard_reads: u64,
    /// Requests answered with memberships still unknown after [`MAX_LOOKUP_ROUNDS`] rounds
    /// (answered as non-members).
    pub unresolved: u64,
}

/// How many rounds of lookups one request may take: each round evaluates, reads the shards of
/// the memberships it missed, and evaluates again (a membership can decide which others are
/// needed, through dependencies).
pub const MAX_LOOKUP_ROUNDS: usize = 8;

/// Registers `manifest`'s large segments as remote ones in `next`, keeping the cached
/// memberships (from `held`, the snapshot served so far, or `next` itself when it is that one)
/// of those stored as in `previous`; the others start with nothing cached.
pub fn carry_remote(
    held: &mut Snapshot,
    next: &mut Snapshot,
    previous: Option<&Manifest>,
    manifest: Option<&Manifest>,
) {
    let mut cached: Vec<(String, RemoteLargeSegment)> = Vec::new();
    for snapshot in [held, &mut *next] {
        let names: Vec<String> = snapshot.remote_large_segments().map(|(n, _)| n.to_owned()).collect();
        cached.extend(names.into_iter().filter_map(|n| snapshot.take_remote_large_segment(&n).map(|r| (n, r))));
    }
    for (name, entry) in manifest.iter().flat_map(|m| m.large_segments.iter()) {
        let unchanged = previous.and_then(|p| p.large_segments.get(name)) == Some(entry);
        let kept = cached.iter().position(|(n, _)| n == name).filter(|_| unchanged).map(|i| cached.swap_remove(i).1);
        let remote = kept.unwrap_or_else(|| RemoteLargeSegment::new(entry.change_number, DEFAULT_CACHE_KEYS));
        next.insert_remote_large_segment(name.clone(), remote);
    }
}

/// A shard's bytes for `keys`, sorted and without duplicates.
pub fn encode_shard(keys: &[Vec<u8>]) -> Vec<u8> {
    let total: usize = keys.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(keys.len().saturating_mul(4).saturating_add(total).saturating_add(HEADER));
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    out.extend_from_slice(&u32::try_from(keys.len()).unwrap_or(u32::MAX).to_le_bytes());
    let mut end = 0u32;
    for k in keys {
        end = end.saturating_add(u32::try_from(k.len()).unwrap_or(u32::MAX));
        out.extend_from_slice(&end.to_le_bytes());
    }
    for k in keys {
        out.extend_from_slice(k);
    }
    out
}

/// A shard that does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardError(pub &'static str);

impl fmt::Display for ShardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a large segment shard is corrupt: {}", self.0)
    }
}

impl std::error::Error for ShardError {}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, ShardError> {
    let b = bytes.get(at..at.saturating_add(4)).ok_or(ShardError("truncated"))?;
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Ok(u32::from_le_bytes(a))
}

/// Whether `key` is in the shard `bytes`.
///
/// # Errors
/// [`ShardError`] when the bytes are not a shard of this format.
pub fn shard_contains(bytes: &[u8], key: &[u8]) -> Result<bool, ShardError> {
    if bytes.get(..4) != Some(MAGIC.as_slice()) || bytes.get(4) != Some(&FORMAT) {
        return Err(ShardError("not a shard of format 1"));
    }
    let count = usize::try_from(read_u32(bytes, 5)?).map_err(|_| ShardError("count"))?;
    let data = count.checked_mul(4).and_then(|o| o.checked_add(HEADER)).ok_or(ShardError("count"))?;
    if data > bytes.len() {
        return Err(ShardError("truncated"));
    }
    let offset = |i: usize| -> Result<usize, ShardError> {
        let at = i.checked_mul(4).and_then(|o| o.checked_add(HEADER)).ok_or(ShardError("count"))?;
        usize::try_from(read_u32(bytes, at)?).map_err(|_| ShardError("offset"))
    };
    let key_at = |i: usize| -> Result<&[u8], ShardError> {
        let start = match i.checked_sub(1) {
            None => 0,
            Some(before) => offset(before)?,
        };
        let end = offset(i)?;
        bytes.get(data.saturating_add(start)..data.saturating_add(end)).ok_or(ShardError("an offset is out of range"))
    };
    let (mut lo, mut hi) = (0usize, count);
    while lo < hi {
        let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        match key_at(mid)?.cmp(key) {
            Ordering::Equal => return Ok(true),
            Ordering::Less => lo = mid.saturating_add(1),
            Ordering::Greater => hi = mid,
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(keys: &[&str], plan: BuildPlan) -> Vec<Vec<u8>> {
        let mut shards = vec![Vec::new(); plan.shards as usize];
        for pass in 0..plan.passes {
            let mut b = PassBuilder::new(&plan, plan.pass_range(pass));
            for k in keys {
                b.add(k.as_bytes());
            }
            for (i, bytes) in b.finish().0 {
                assert!(shards[i as usize].is_empty(), "shard {i} built twice");
                shards[i as usize] = bytes;
            }
        }
        shards
    }

    #[test]
    fn every_key_is_found_in_its_shard_and_no_other_key_is() {
        let keys: Vec<String> = (0..5000).map(|i| format!("user-{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let plan = BuildPlan { shards: 7, passes: 3 };
        let shards = build(&refs, plan);
        assert!(shards.iter().all(|s| !s.is_empty()), "every shard is built exactly once");
        let entry = LargeSegmentEntry { change_number: 1, key_count: 5000, shards: 7, prefix: "p/".into() };
        for k in &keys {
            let i = shard_of(k.as_bytes(), 7) as usize;
            assert_eq!(entry.shard_key_of(k), Some(format!("p/{i}")));
            assert_eq!(shard_contains(&shards[i], k.as_bytes()), Ok(true), "{k}");
        }
        for k in ["user-5000", "", "user-", "zzz"] {
            let i = shard_of(k.as_bytes(), 7) as usize;
            assert_eq!(shard_contains(&shards[i], k.as_bytes()), Ok(false), "{k}");
        }
    }

    #[test]
    fn duplicates_count_once_and_an_empty_shard_finds_nothing() {
        let plan = BuildPlan { shards: 1, passes: 1 };
        let mut b = PassBuilder::new(&plan, plan.pass_range(0));
        for k in ["a", "b", "a", "a"] {
            b.add(k.as_bytes());
        }
        let (shards, distinct) = b.finish();
        assert_eq!(distinct, 2);
        assert_eq!(shard_contains(&shards[0].1, b"a"), Ok(true));
        assert_eq!(shard_contains(&encode_shard(&[]), b"a"), Ok(false));
    }

    #[test]
    fn corrupt_shards_are_errors() {
        let good = encode_shard(&[b"abc".to_vec(), b"abd".to_vec()]);
        assert!(shard_contains(b"", b"a").is_err());
        assert!(shard_contains(b"SELS\x02\0\0\0\0", b"a").is_err());
        for cut in 0..good.len() {
            // Any prefix either decodes to an answer or is an error; none panics.
            let _ = shard_contains(&good[..cut], b"abd");
        }
        let mut huge = good.clone();
        huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(shard_contains(&huge, b"abc").is_err());
        let mut bad_offset = good;
        bad_offset[9..13].copy_from_slice(&1000u32.to_le_bytes());
        assert!(shard_contains(&bad_offset, b"abc").is_err());
    }

    #[test]
    fn an_upload_in_passes_stores_every_shard_once() {
        let file: String = (0..3000).map(|i| format!("k{i}\r\n")).collect::<String>() + "k0\n\"k,1\"";
        let mut up = Upload::new(40 * 1024 * 1024, 3000, "p/".into());
        assert_eq!(up.plan(), BuildPlan { shards: 81, passes: 3 });
        let mut stored = std::collections::BTreeMap::new();
        while !up.is_done() {
            for chunk in file.as_bytes().chunks(1000) {
                up.feed(chunk).unwrap();
            }
            for w in up.end_pass().unwrap() {
                assert!(stored.insert(w.key, w.value).is_none());
            }
        }
        assert_eq!(stored.len(), 81);
        assert_eq!(up.rows(), 3002);
        let entry = up.entry(12);
        assert_eq!((entry.key_count, entry.shards, entry.change_number), (3001, 81, 12));
        for k in ["k0", "k2999", "k,1"] {
            let bytes = stored[&entry.shard_key_of(k).unwrap()].as_bytes();
            assert_eq!(shard_contains(bytes, k.as_bytes()), Ok(true), "{k}");
        }
        let mut bad = Upload::new(10, 1, "p/".into());
        assert!(bad.feed(b"a,b\n").is_err());
    }

    #[test]
    fn ten_million_keys_fit_kv_and_a_pass_bound() {
        // 10 million UUIDs: a 370 MB file.
        let plan = BuildPlan::for_size(370_000_000, 10_000_000);
        assert_eq!(plan.shards, 783);
        assert_eq!(plan.passes, 25);
        // Each shard ≈ 490 KB (KV values may reach 25 MiB), each pass ≈ 15 MB of keys.
        let (stored, shards) = (370_000_000u64 + 40_000_000, u64::from(plan.shards));
        assert!(stored / shards < 600 * 1024);
        let widest = (0..plan.passes).map(|p| plan.pass_range(p)).map(|(s, e)| e - s).max().unwrap();
        assert!(u64::from(widest) * stored / shards <= PASS_BYTES + SHARD_BYTES * 2);
        // The passes cover every shard once, in order.
        let mut next = 0;
        for p in 0..plan.passes {
            let (s, e) = plan.pass_range(p);
            assert_eq!(s, next);
            next = e;
        }
        assert_eq!(next, plan.shards);
        assert_eq!(BuildPlan::for_size(0, 0), BuildPlan { shards: 1, passes: 1 });
        assert_eq!(BuildPlan::for_size(u64::MAX, u64::MAX).shards, MAX_SHARDS);
    }
}
