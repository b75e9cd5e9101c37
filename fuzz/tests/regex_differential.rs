//! The regex engine against ECMAScript's reference: every row of `fuzz/regex/corpus.jsonl`
//! (patterns, subjects and Node's `new RegExp(pattern).test(subject)` answers, written by
//! `node fuzz/regex/generate.mjs`) must get the same answer from `EcmaRegex`, and a pattern that
//! Node rejects with a SyntaxError must be rejected as `RegexError::Syntax`.

use serde_json::Value;
use split_edge::regex::{EcmaRegex, RegexError};

const CORPUS: &str = include_str!("../regex/corpus.jsonl");

fn units(subject: &Value) -> Vec<u16> {
    match subject {
        Value::String(s) => s.encode_utf16().collect(),
        Value::Object(o) => o
            .get("u")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).filter_map(|u| u16::try_from(u).ok()).collect())
            .unwrap_or_default(),
        other => panic!("bad subject {other}"),
    }
}

#[test]
fn every_row_matches_node() {
    let mut mismatches = Vec::new();
    let (mut patterns, mut subjects, mut bounded) = (0usize, 0usize, 0usize);
    for line in CORPUS.lines().filter(|l| !l.is_empty()) {
        let row: Value = serde_json::from_str(line).expect("a corpus row is JSON");
        let pattern = row["p"].as_str().expect("p is a string");
        patterns += 1;
        let compiled = EcmaRegex::new(pattern);
        if let Some(message) = row.get("error") {
            match compiled {
                Err(RegexError::Syntax { .. }) => {}
                other => mismatches.push(format!("{pattern:?}: Node throws {message}, engine gives {other:?}")),
            }
            continue;
        }
        let re = match compiled {
            Ok(re) => re,
            // The engine's documented resource bounds (module docs): e.g. `\u{110000}` without the
            // `u` flag is `u` repeated 110000 times, past `MAX_PROGRAM_SIZE`.
            Err(RegexError::TooLarge { .. } | RegexError::TooDeep { .. }) => {
                bounded += 1;
                continue;
            }
            Err(e) => {
                mismatches.push(format!("{pattern:?}: Node compiles it, engine rejects it: {e}"));
                continue;
            }
        };
        let expected = row["m"].as_array().expect("m is a list");
        for (subject, want) in row["s"].as_array().expect("s is a list").iter().zip(expected) {
            subjects += 1;
            let got = re.is_match_utf16(&units(subject));
            if Some(got) != want.as_bool() {
                mismatches.push(format!("{pattern:?} on {subject}: Node {want}, engine {got}"));
            }
        }
    }
    assert!(bounded * 50 < patterns, "{bounded} of {patterns} patterns hit the engine's size bounds");
    assert!(patterns >= 1000 && subjects >= 5000, "corpus too small: {patterns} patterns, {subjects} subjects");
    assert!(
        mismatches.is_empty(),
        "{} of {patterns} patterns / {subjects} subjects differ from Node:\n{}",
        mismatches.len(),
        mismatches.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}
