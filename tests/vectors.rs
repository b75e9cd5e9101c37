//! Every row of Split's official hash and semver test vectors (`shared/fixtures/`, see its README)
//! must pass. Each test checks the number of rows it read against what the file holds, so an empty or
//! truncated read cannot pass, and reports the first mismatches with their line numbers.

use split_edge::hash::{bucket, murmur3_x86_128, murmur3_x86_128_hex, murmur3_x86_32};
use split_edge::semver::Semver;
use std::cmp::Ordering;

/// How many mismatches to print before giving up listing them.
const SHOW: usize = 20;

macro_rules! fixture {
    ($rel:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/", $rel)
    };
}

/// The file's lines (1-based numbers), without the trailing newline; a final empty line is not a row.
fn lines(path: &str) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.lines().enumerate().map(|(i, l)| (i + 1, l.to_owned())).collect()
}

/// Fails listing the first mismatches, if any.
fn check(name: &str, rows: usize, expected_rows: usize, failures: &[String]) {
    assert_eq!(rows, expected_rows, "{name}: read {rows} rows, the file holds {expected_rows}");
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(SHOW).map(String::as_str).collect();
        panic!("{name}: {} of {rows} rows fail; first ones:\n{}", failures.len(), shown.join("\n"));
    }
}

/// `seed,key,hash,bucket` files (no header, no quoting): the seed is the flag's int32 seed.
fn murmur32_file(name: &str, path: &str, expected_rows: usize) {
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines(path) {
        // The key is everything between the first and the third-from-last comma.
        let (seed, rest) = line.split_once(',').unwrap_or_else(|| panic!("{name}:{n}: bad row {line:?}"));
        let mut tail = rest.rsplitn(3, ',');
        let (b, hash, key) = match (tail.next(), tail.next(), tail.next()) {
            (Some(b), Some(h), Some(k)) => (b, h, k),
            _ => panic!("{name}:{n}: bad row {line:?}"),
        };
        let seed: i32 = seed.parse().unwrap_or_else(|e| panic!("{name}:{n}: seed {seed:?}: {e}"));
        let hash: u32 = hash.parse().unwrap_or_else(|e| panic!("{name}:{n}: hash {hash:?}: {e}"));
        let b: u8 = b.parse().unwrap_or_else(|e| panic!("{name}:{n}: bucket {b:?}: {e}"));
        rows += 1;
        let got_hash = murmur3_x86_32(key.as_bytes(), seed as u32);
        let got_bucket = bucket(key, seed);
        if got_hash != hash || got_bucket != b {
            failures.push(format!(
                "  line {n}: seed={seed} key={key:?}: hash {got_hash} (want {hash}), bucket {got_bucket} (want {b})"
            ));
        }
    }
    check(name, rows, expected_rows, &failures);
}

#[test]
fn murmur3_v2() {
    murmur32_file("murmur3-v2.csv", fixture!("hash/murmur3-v2.csv"), 100_000);
}

#[test]
fn murmur3_uuids_positive_seed() {
    murmur32_file("murmur3-uuids-positive-seed.csv", fixture!("hash/murmur3-uuids-positive-seed.csv"), 1_126);
}

#[test]
fn murmur3_uuids_negative_seed() {
    murmur32_file("murmur3-uuids-negative-seed.csv", fixture!("hash/murmur3-uuids-negative-seed.csv"), 1_126);
}

#[test]
fn murmur3_double_treatment_users() {
    murmur32_file("murmur3-double-treatment-users.csv", fixture!("hash/murmur3-double-treatment-users.csv"), 500);
}

/// `key,seed,h`: `h` is the first 64 bits of the x86_128 hash as an unsigned decimal, which is
/// `(h1 << 32) | h2` of the four state words, i.e. the first 16 hex digits of `hash128`.
#[test]
fn murmur3_x86_128_uuids() {
    let name = "murmur3-x86-128-uuids.csv";
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines(fixture!("hash/murmur3-x86-128-uuids.csv")) {
        let mut parts = line.rsplitn(3, ',');
        let (h, seed, key) = match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(s), Some(k)) => (h, s, k),
            _ => panic!("{name}:{n}: bad row {line:?}"),
        };
        let seed: u32 = seed.parse().unwrap_or_else(|e| panic!("{name}:{n}: seed {seed:?}: {e}"));
        let h: u64 = h.parse().unwrap_or_else(|e| panic!("{name}:{n}: h {h:?}: {e}"));
        rows += 1;
        let [h1, h2, _, _] = murmur3_x86_128(key.as_bytes(), seed);
        let got = (u64::from(h1) << 32) | u64::from(h2);
        let hex = murmur3_x86_128_hex(key.as_bytes(), seed);
        let hex_ok = hex.len() == 32 && hex.get(..16) == Some(format!("{h:016x}").as_str());
        if got != h || !hex_ok {
            failures.push(format!("  line {n}: key={key:?} seed={seed}: {got} / {hex} (want {h} = {h:016x}…)"));
        }
    }
    check(name, rows, 10_000, &failures);
}

fn parse(name: &str, n: usize, s: &str) -> Result<Semver, String> {
    Semver::parse(s).map_err(|e| format!("  line {n}: {s:?} does not parse: {e} ({name})"))
}

/// `higher,lower`: both parse, `compare(higher, lower) > 0` and `compare(lower, higher) < 0`.
#[test]
fn semver_valid() {
    let name = "valid-semantic-versions.csv";
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines(fixture!("semver/valid-semantic-versions.csv")) {
        let (hi, lo) = line.split_once(',').unwrap_or_else(|| panic!("{name}:{n}: bad row {line:?}"));
        rows += 1;
        match (parse(name, n, hi), parse(name, n, lo)) {
            (Ok(h), Ok(l)) => {
                let (a, b) = (h.compare(&l), l.compare(&h));
                if a != Ordering::Greater || b != Ordering::Less {
                    failures.push(format!("  line {n}: {hi} vs {lo}: {a:?} / reverse {b:?}"));
                }
            }
            (h, l) => failures.extend(h.err().into_iter().chain(l.err())),
        }
    }
    check(name, rows, 20, &failures);
}

/// One version per line, including the first line `# invalid`: none parses.
#[test]
fn semver_invalid() {
    let name = "invalid-semantic-versions.csv";
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines(fixture!("semver/invalid-semantic-versions.csv")) {
        rows += 1;
        if let Ok(v) = Semver::parse(&line) {
            failures.push(format!("  line {n}: {line:?} parses as {:?}", v.version()));
        }
    }
    check(name, rows, 28, &failures);
}

/// `a,b,true|false`: EQUAL_TO_SEMVER, i.e. the normalized version strings are equal.
#[test]
fn semver_equal_to() {
    let name = "equal-to-semver.csv";
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines(fixture!("semver/equal-to-semver.csv")) {
        let fields: Vec<&str> = line.split(',').collect();
        let [a, b, want] = fields[..] else { panic!("{name}:{n}: bad row {line:?}") };
        let want: bool = want.parse().unwrap_or_else(|e| panic!("{name}:{n}: {want:?}: {e}"));
        rows += 1;
        match (parse(name, n, a), parse(name, n, b)) {
            (Ok(x), Ok(y)) => {
                let got = x.version() == y.version();
                if got != want {
                    failures.push(format!("  line {n}: {a} == {b}: {got} (want {want})"));
                }
            }
            (x, y) => failures.extend(x.err().into_iter().chain(y.err())),
        }
    }
    check(name, rows, 8, &failures);
}

/// `start,value,end,true|false`: BETWEEN_SEMVER, i.e. `start <= value <= end` by `compare`.
#[test]
fn semver_between() {
    let name = "between-semver.csv";
    let mut rows = 0;
    let mut failures = Vec::new();
    for (n, line) in lines(fixture!("semver/between-semver.csv")) {
        let fields: Vec<&str> = line.split(',').collect();
        let [start, value, end, want] = fields[..] else { panic!("{name}:{n}: bad row {line:?}") };
        let want: bool = want.parse().unwrap_or_else(|e| panic!("{name}:{n}: {want:?}: {e}"));
        rows += 1;
        match (parse(name, n, start), parse(name, n, value), parse(name, n, end)) {
            (Ok(s), Ok(v), Ok(e)) => {
                let got = s.compare(&v) != Ordering::Greater && e.compare(&v) != Ordering::Less;
                if got != want {
                    failures.push(format!("  line {n}: {start} <= {value} <= {end}: {got} (want {want})"));
                }
            }
            (s, v, e) => failures.extend(s.err().into_iter().chain(v.err()).chain(e.err())),
        }
    }
    check(name, rows, 17, &failures);
}
