//! The binary form (feature `binary`): the conformance corpora answer identically after an
//! encode → decode of rules and segments, manager views are identical, evaluating with only the
//! segments `segments_used_by` names answers as with all of them, and no bytes make decoding
//! panic.
#![cfg(feature = "binary")]

mod common;

use std::collections::HashMap;

use serde_json::{Map, Value};
use split_edge::binary::{
    decode_segment, decode_segment_keys_into, encode_segment, encode_segment_keys, BinaryError, ValueKind, HEADER_LEN,
    SCHEMA_VERSION,
};
use split_edge::snapshot::Segment;
use split_edge::{conformance, Client, ClientConfig, Manager, Snapshot};

struct Corpus {
    snapshot: Snapshot,
    requests: Vec<Map<String, Value>>,
    expected: Vec<Value>,
}

fn corpus(name: &str) -> Corpus {
    let dir = common::shared(&format!("conformance/{name}"));
    let splits = std::fs::read_to_string(dir.join("splits.json")).expect("splits.json");
    let mut files: Vec<_> =
        std::fs::read_dir(dir.join("segments")).expect("segments dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let segments: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).expect("segment")).collect();
    let snapshot = conformance::load(&splits, &segments).expect("corpus loads");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect(f);
    let requests = read("requests.jsonl").lines().map(|l| serde_json::from_str(l).expect("request")).collect();
    let expected = read("expected.jsonl").lines().map(|l| serde_json::from_str(l).expect("expected")).collect();
    Corpus { snapshot, requests, expected }
}

/// The snapshot rebuilt from binary values only: rules, then each segment from its own value.
fn through_binary(snapshot: &Snapshot) -> Snapshot {
    let mut decoded = Snapshot::decode_rules(&snapshot.encode_rules().expect("encodes")).expect("decodes");
    for (name, segment) in snapshot.segments() {
        decoded.insert_segment(name.to_owned(), decode_segment(&encode_segment(segment)).expect("segment decodes"));
    }
    decoded
}

fn answers(snapshot: &Snapshot, requests: &[Map<String, Value>]) -> Vec<Value> {
    let config = ClientConfig::default();
    let client = Client::new(snapshot, &config);
    requests.iter().map(|r| conformance::answer(&client, r)).collect()
}

fn assert_conforms(name: &str, got: &[Value], c: &Corpus) {
    assert!(c.requests.len() > 1000, "{name}: corpus read");
    let failures: Vec<String> = c
        .requests
        .iter()
        .zip(got)
        .zip(&c.expected)
        .filter(|((_, g), e)| ["treatment", "config", "label"].iter().any(|f| g.get(f) != e.get(f)))
        .map(|((r, g), e)| format!("request {}\n  expected {e}\n  got      {g}", Value::Object(r.clone())))
        .collect();
    assert!(
        failures.is_empty(),
        "{name}: {} rows differ:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

fn round_trip(name: &str) {
    let c = corpus(name);
    let decoded = through_binary(&c.snapshot);
    let got = answers(&decoded, &c.requests);
    assert_conforms(name, &got, &c);
    assert_eq!(got, answers(&c.snapshot, &c.requests), "{name}: identical to the JSON-loaded snapshot");

    // Indexes, change numbers and filter.
    let (a, b) = (&c.snapshot, &decoded);
    assert_eq!(a.flag_names(), b.flag_names());
    assert_eq!(a.flags_change_number(), b.flags_change_number());
    assert_eq!(a.rule_based_segments_change_number(), b.rule_based_segments_change_number());
    assert_eq!(a.rule_based_segment_count(), b.rule_based_segment_count());
    assert_eq!(a.filter(), b.filter());
    let mut sets: Vec<&String> = a.flags().flat_map(|f| f.sets.iter()).collect();
    sets.sort();
    sets.dedup();
    for set in sets {
        assert_eq!(a.flag_names_in_set(set), b.flag_names_in_set(set), "{name}: flag set {set}");
    }
    for tt in a.flags().filter_map(|f| f.traffic_type.as_deref()) {
        assert_eq!(a.flag_names_by_traffic_type(tt), b.flag_names_by_traffic_type(tt));
    }
    for (seg, s) in a.segments() {
        let t = b.segment(seg).expect("segment decoded");
        assert_eq!((&s.keys, s.change_number), (&t.keys, t.change_number));
    }

    // Manager views, and the definitions they read, are identical.
    assert_eq!(Manager::new(a).splits(), Manager::new(b).splits(), "{name}: manager views");
    assert_eq!(Manager::new(a).names(), Manager::new(b).names());
    for f in a.flags() {
        let g = b.flag(&f.name).expect("flag decoded");
        assert_eq!(format!("{:?}", f.definition()), format!("{:?}", g.definition()), "{name}: {}", f.name);
    }

    // Equal rules give equal bytes, also after a decode (definitions still unparsed or parsed).
    let bytes = a.encode_rules().expect("encodes");
    assert_eq!(bytes, through_binary(a).encode_rules().expect("re-encodes"), "{name}: deterministic");
    assert_eq!(bytes, b.encode_rules().expect("re-encodes after manager use"), "{name}: deterministic");
}

#[test]
fn clean_corpus_round_trips() {
    round_trip("clean");
}

#[test]
fn mixed_corpus_round_trips() {
    round_trip("mixed");
}

#[test]
fn edge_corpus_round_trips() {
    round_trip("edge");
}

/// Each request evaluated on a snapshot holding only the segments `segments_used_by` names for
/// its flag answers as the snapshot holding every segment.
fn only_used_segments(name: &str) {
    let c = corpus(name);
    let rules = Snapshot::decode_rules(&c.snapshot.encode_rules().expect("encodes")).expect("decodes");
    let config = ClientConfig::default();
    let full = Client::new(&c.snapshot, &config);
    let mut per_flag: HashMap<String, Snapshot> = HashMap::new();
    let mut partial_rows = 0;
    for (request, expected) in c.requests.iter().zip(&c.expected) {
        // A host passes the validated (trimmed) name it will evaluate.
        let flag = split_edge::validate::flag_name_json(request.get("flag"), "featureFlagName").unwrap_or_default();
        let snapshot = per_flag.entry(flag.to_owned()).or_insert_with(|| {
            let mut s = rules.clone();
            let used = rules.used_by([flag]);
            for seg in &used.standard {
                if let Some(segment) = c.snapshot.segment(seg) {
                    s.insert_segment(seg.clone(), segment.clone());
                }
            }
            assert!(used.large.iter().all(|l| c.snapshot.large_segment(l).is_none()), "no large segments loaded");
            s
        });
        if snapshot.segments().count() < c.snapshot.segments().count() {
            partial_rows += 1;
        }
        let got = conformance::answer(&Client::new(snapshot, &config), request);
        assert_eq!(got, conformance::answer(&full, request), "{name}: {}", Value::Object(request.clone()));
        assert!(["treatment", "config", "label"].iter().all(|f| got.get(f) == expected.get(f)));
    }
    assert!(partial_rows > c.requests.len() / 2, "{name}: most rows ran with a subset of the segments");

    // Every flag at once reaches what the whole corpus needs.
    let all = c.snapshot.all_segments_used();
    let mut s = rules.clone();
    for seg in &all.standard {
        if let Some(segment) = c.snapshot.segment(seg) {
            s.insert_segment(seg.clone(), segment.clone());
        }
    }
    assert_eq!(answers(&s, &c.requests), answers(&c.snapshot, &c.requests), "{name}: all_segments_used");
    let names: Vec<&str> = c.snapshot.flag_names().iter().map(String::as_str).collect();
    assert_eq!(c.snapshot.used_by(names.iter().copied()), all);
}

#[test]
fn clean_corpus_needs_only_the_segments_used() {
    only_used_segments("clean");
}

#[test]
fn mixed_corpus_needs_only_the_segments_used() {
    only_used_segments("mixed");
}

#[test]
fn edge_corpus_needs_only_the_segments_used() {
    only_used_segments("edge");
}

#[test]
fn segments_move_between_snapshots_and_chunks_fill_one() {
    let c = corpus("clean");
    let (name, segment) = c.snapshot.segments().next().expect("a segment");
    let (name, segment) = (name.to_owned(), segment.clone());
    let mut old = c.snapshot.clone();
    let mut next = Snapshot::decode_rules(&old.encode_rules().unwrap()).unwrap();
    next.insert_segment(name.clone(), old.take_segment(&name).expect("loaded"));
    assert!(old.segment(&name).is_none());
    assert_eq!(next.segment(&name).map(|s| &s.keys), Some(&segment.keys));

    // A large segment stored as chunks.
    let keys: Vec<&str> = segment.keys.iter().map(String::as_str).collect();
    let mut large = Segment { change_number: 7, ..Segment::default() };
    let mut total = 0;
    for chunk in keys.chunks(3) {
        total += decode_segment_keys_into(&encode_segment_keys(chunk.iter().copied()), &mut large.keys).unwrap();
    }
    assert_eq!(total, keys.len());
    next.insert_large_segment("big".to_owned(), large);
    assert!(keys.iter().all(|k| next.in_large_segment("big", k)));
    assert_eq!(next.take_large_segment("big").map(|s| s.keys.len()), Some(keys.len()));
}

fn small_rules() -> Vec<u8> {
    corpus("edge").snapshot.encode_rules().expect("encodes")
}

/// Rewrites the header's checksum so that the payload decoder itself sees altered bytes.
fn fix_checksum(bytes: &mut [u8]) {
    if bytes.len() >= HEADER_LEN {
        let crc = crc32(&bytes[HEADER_LEN..]);
        bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    }
}

/// CRC-32 (IEEE), bitwise: the tests do not depend on the crate's checksum implementation.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn each_kind_of_damage_gives_its_error() {
    let bytes = small_rules();
    assert_eq!(&bytes[..4], b"SPLE");

    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    assert!(matches!(Snapshot::decode_rules(&flipped), Err(BinaryError::ChecksumMismatch { .. })));

    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(Snapshot::decode_rules(&magic).unwrap_err(), BinaryError::BadMagic);
    assert_eq!(Snapshot::decode_rules(b"{\"ff\":{}}").unwrap_err(), BinaryError::BadMagic);

    let mut version = bytes.clone();
    version[4..6].copy_from_slice(&(SCHEMA_VERSION + 1).to_le_bytes());
    let err = Snapshot::decode_rules(&version).unwrap_err();
    assert_eq!(err, BinaryError::UnsupportedVersion { found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
    assert!(err.to_string().contains(&format!("reads version {SCHEMA_VERSION}")), "{err}");

    for len in 0..bytes.len() {
        let err = Snapshot::decode_rules(&bytes[..len]).unwrap_err();
        assert!(matches!(err, BinaryError::Truncated { .. }), "{len} bytes: {err:?}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(Snapshot::decode_rules(&longer).unwrap_err(), BinaryError::TrailingBytes { extra: 1 });

    let segment = encode_segment(&Segment::default());
    assert_eq!(
        Snapshot::decode_rules(&segment).unwrap_err(),
        BinaryError::WrongKind { expected: ValueKind::Rules, found: ValueKind::Segment.code() }
    );
    assert!(matches!(decode_segment(&bytes), Err(BinaryError::WrongKind { expected: ValueKind::Segment, .. })));

    // A payload that passes the checksum but is not rules.
    let mut garbage = bytes.clone();
    for b in &mut garbage[HEADER_LEN..HEADER_LEN + 8] {
        *b = 0xff;
    }
    fix_checksum(&mut garbage);
    let err = Snapshot::decode_rules(&garbage).unwrap_err();
    assert!(matches!(err, BinaryError::Malformed { kind: ValueKind::Rules, .. }), "{err:?}");
    assert!(!err.to_string().is_empty());
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutates bytes: flips, overwrites with boundary values, inserts, deletes, truncates.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = [0x00, 0x01, 0x7f, 0x80, 0xff][rng.below(5)],
            2 => bytes.insert(at, rng.next() as u8),
            3 => {
                bytes.remove(at);
            }
            4 => bytes.truncate(at.max(HEADER_LEN)),
            _ => {
                // A large varint where a length may be.
                bytes.splice(at..at, [0xff, 0xff, 0xff, 0xff, 0x0f]);
            }
        }
    }
    if bytes.len() >= HEADER_LEN {
        let len = (bytes.len() - HEADER_LEN) as u32;
        bytes[8..12].copy_from_slice(&len.to_le_bytes());
    }
}

#[test]
fn random_mutations_never_panic() {
    let rules = small_rules();
    let segment = encode_segment(&corpus("clean").snapshot.segments().next().expect("segment").1.clone());
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut decoded, mut refused) = (0, 0);
    let config = ClientConfig::default();
    for i in 0..3000 {
        let mut bytes = if i % 3 == 0 { segment.clone() } else { rules.clone() };
        mutate(&mut rng, &mut bytes);
        if i % 2 == 0 {
            fix_checksum(&mut bytes);
        }
        match Snapshot::decode_rules(&bytes) {
            Ok(s) => {
                decoded += 1;
                // Whatever decoded must evaluate and serve manager views without panicking.
                let client = Client::new(&s, &config);
                for f in s.flag_names().iter().take(20) {
                    let _ = client.get_treatment(&split_edge::Key::new("k"), f, None);
                }
                let _ = Manager::new(&s).splits();
                let _ = s.all_segments_used();
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty());
            }
        }
        let _ = decode_segment(&bytes);
        let _ = decode_segment_keys_into(&bytes, &mut Default::default());
    }
    assert!(refused > 1000, "mutations were refused ({refused}) or decoded ({decoded})");
}
