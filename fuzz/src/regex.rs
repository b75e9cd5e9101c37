//! The regex engine (`MATCHES_STRING`): the bytes are a pattern and a subject separated by the
//! first NUL byte (invalid UTF-8 replaced).
//!
//! Checks: compiling and matching never panic; `is_match` on a string and `is_match_utf16` on
//! its UTF-16 units agree; compiling twice answers the same; where both compile, `p`, `(?:p)`
//! and `p|[]` (`[]` never matches) answer the same. The last check is skipped for patterns
//! with backreferences, whose backtracking budget may run out at different points.
//!
//! The differential half (answers compared with Node's `RegExp`) is the corpus test,
//! `fuzz/tests/regex_differential.rs`.

use split_edge::regex::EcmaRegex;

/// Longest subject the rewriting checks run on (in bytes).
const MAX_SUBJECT: usize = 256;

/// Compiles the pattern part of `data` and matches the subject part.
pub fn run(data: &[u8]) {
    let (pattern, subject) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let pattern = String::from_utf8_lossy(pattern);
    let subject = String::from_utf8_lossy(subject);
    let Ok(re) = EcmaRegex::new(&pattern) else { return };
    let answer = re.is_match(&subject);
    let units: Vec<u16> = subject.encode_utf16().collect();
    assert_eq!(re.is_match_utf16(&units), answer, "is_match and is_match_utf16 differ on {pattern:?} / {subject:?}");
    let again = EcmaRegex::new(&pattern).expect("a pattern that compiled compiles again");
    assert_eq!(again.is_match(&subject), answer, "two compilations of {pattern:?} differ");
    if subject.len() > MAX_SUBJECT || has_backreference(&pattern) {
        return;
    }
    for rewritten in [format!("(?:{pattern})"), format!("{pattern}|[]")] {
        if let Ok(other) = EcmaRegex::new(&rewritten) {
            assert_eq!(other.is_match(&subject), answer, "{pattern:?} and {rewritten:?} differ on {subject:?}");
        }
    }
    // A lone surrogate at each end of the subject is another code path (UTF-16 only).
    let mut wrapped = vec![0xD800];
    wrapped.extend_from_slice(&units);
    let _ = re.is_match_utf16(&wrapped);
}

/// Whether `pattern` may contain a backreference (`\1`..`\9`, `\k`).
fn has_backreference(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    bytes.windows(2).any(|w| w[0] == b'\\' && ((w[1].is_ascii_digit() && w[1] != b'0') || w[1] == b'k'))
}
