//! Tests: the official vector file, cases checked against Node.js, the
//! engine's bounds, and hostile patterns.

use super::{EcmaRegex, RegexError, MAX_NESTING, MAX_PROGRAM_SIZE};
use std::time::{Duration, Instant};

fn re(pattern: &str) -> EcmaRegex {
    match EcmaRegex::new(pattern) {
        Ok(r) => r,
        Err(e) => panic!("pattern {pattern:?} rejected: {e}"),
    }
}

/// Checks both entry points (`&str` and UTF-16) agree with `expected`.
fn check(pattern: &str, input: &str, expected: bool) {
    let r = re(pattern);
    let shown: String = input.chars().take(60).collect();
    assert_eq!(r.is_match(input), expected, "/{pattern}/.test({shown:?}...)");
    let units: Vec<u16> = input.encode_utf16().collect();
    assert_eq!(r.is_match_utf16(&units), expected, "/{pattern}/.test({shown:?}...) (UTF-16)");
}

#[test]
fn official_vectors() {
    let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/regex/regex.txt"));
    let mut count = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        // `pattern#input#expected`: the expected value follows the last `#`,
        // the input the one before (patterns may contain `#`).
        let (rest, expected) = line.rsplit_once('#').unwrap();
        let (pattern, input) = rest.rsplit_once('#').unwrap();
        let expected = match expected {
            "true" => true,
            "false" => false,
            other => panic!("bad expectation {other:?} in {line:?}"),
        };
        check(pattern, input, expected);
        count += 1;
    }
    assert_eq!(count, 145);
}

#[test]
fn node_checked_cases() {
    for &(pattern, input, expected) in CASES {
        match expected {
            Some(expected) => check(pattern, input, expected),
            None => assert!(EcmaRegex::new(pattern).is_err(), "/{pattern}/ should be rejected"),
        }
    }
}

#[test]
fn lone_surrogates() {
    for &(pattern, input, expected) in UTF16_CASES {
        assert_eq!(re(pattern).is_match_utf16(input), expected, "/{pattern}/ on {input:x?}");
    }
    // `.` matches a lone surrogate; `\uD834` matches the lead half of a pair.
    assert!(re("^.$").is_match_utf16(&[0xDC00]));
    assert!(re("^\\uDF06$").is_match_utf16(&[0xDF06]));
    assert!(!re("^\\uDF06$").is_match_utf16(&[0xD834, 0xDF06]));
}

#[test]
fn astral_dot() {
    check("^.$", "\u{1D306}", false);
    check("^..$", "\u{1D306}", true);
    check("^.\\uDF06$", "\u{1D306}", true);
    check("^[^x]{2}$", "\u{1F600}", true);
}

#[test]
fn line_terminators_and_dot() {
    for lt in ["\n", "\r", "\u{2028}", "\u{2029}"] {
        check(".", lt, false);
        check("^[^]$", lt, true);
        check("^\\s$", lt, true);
        check("a$", &format!("a{lt}"), false);
        check("^b", &format!("a{lt}b"), false);
    }
    check(".", "\u{85}", true);
}

#[test]
fn whitespace_set() {
    let spaces = [
        '\u{9}', '\u{A}', '\u{B}', '\u{C}', '\u{D}', '\u{20}', '\u{A0}', '\u{1680}', '\u{2000}', '\u{2001}',
        '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200A}',
        '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}', '\u{FEFF}',
    ];
    for c in spaces {
        check("^\\s$", &c.to_string(), true);
        check("^\\S$", &c.to_string(), false);
    }
    for c in ['\u{85}', '\u{180E}', '\u{200B}', 'a', '\u{0}'] {
        check("^\\s$", &c.to_string(), false);
        check("^\\S$", &c.to_string(), true);
    }
}

#[test]
fn empty_class_and_negated_empty_class() {
    check("[]", "", false);
    check("[]", "anything", false);
    check("[^]", "", false);
    check("[^]", "\n", true);
    check("^[^]*$", "a\nb\u{2028}", true);
}

#[test]
fn forward_and_undefined_backreferences_match_empty() {
    check("\\1(a)", "a", true);
    check("(a)|\\1b", "b", true);
    check("^(a)?\\1$", "", true);
    check("\\k<n>(?<n>x)", "x", true);
    check("(?<n>a)|\\k<n>b", "b", true);
}

#[test]
fn invalid_patterns_are_rejected() {
    for p in ["(", "a**", "[b-a]", "x{2,1}", "*", "a{1}{2}", "(?<=a)+", "\\", "[a", "(?<a>.)\\k<b>"] {
        let err = EcmaRegex::new(p).unwrap_err();
        assert!(matches!(err, RegexError::Syntax { .. }), "{p}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        EcmaRegex::new("ab(c").map(|_| ()),
        Err(RegexError::Syntax { position: 2, message: "Unterminated group" })
    );
    assert_eq!(
        EcmaRegex::new("é+*").map(|_| ()),
        Err(RegexError::Syntax { position: 2, message: "Nothing to repeat" })
    );
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}a{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    check(&ok, "a", true);
    let deep = format!("{}a{}", "(?:".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1));
    assert!(matches!(EcmaRegex::new(&deep), Err(RegexError::TooDeep { .. })));
    let hostile = "(".repeat(10_000);
    assert!(EcmaRegex::new(&hostile).is_err());
    let hostile = format!("{}{}", "(?=".repeat(10_000), ")".repeat(10_000));
    assert!(EcmaRegex::new(&hostile).is_err());
}

/// Recursion over the pattern tree is bounded by the nesting limit: the
/// deepest patterns compile and run within a small (512 KiB) stack.
#[test]
fn deepest_patterns_fit_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let depth = MAX_NESTING;
            let nested_loops = format!("{}a{}", "(?:".repeat(depth), ")*".repeat(depth));
            check(&nested_loops, "aaa", true);
            let looks = format!("{}a{}", "(?=(".repeat(depth / 2), "+))".repeat(depth / 2));
            check(&looks, "a", true);
            let backrefs = format!("{}a{}\\1", "(?<=(".repeat(depth / 2), "))".repeat(depth / 2));
            check(&backrefs, "aa", true);
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn program_size_is_bounded() {
    for p in ["a{100000}", "(?:x{300}){300}", "((a{1000}){1000}){1000}", "a{0,60000}", "(\\1a{50}){5000}"] {
        assert_eq!(EcmaRegex::new(p).map(|_| ()), Err(RegexError::TooLarge { limit: MAX_PROGRAM_SIZE }), "{p}");
    }
    // Empty bodies cost nothing, however large the count.
    check("^(?:){1000000000}$", "", true);
    check("^a{0,3000000000}$", &"a".repeat(5000), true);
    check("^(?:a{10}){100}$", &"a".repeat(1000), true);
    check("^(?:a{10}){100}$", &"a".repeat(999), false);
}

#[test]
fn regex_is_send_sync_clone_debug() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_traits::<EcmaRegex>();
    assert_traits::<RegexError>();
    let r = re("a+b");
    let c = r.clone();
    assert_eq!(c.as_str(), "a+b");
    assert!(format!("{c:?}").contains("a+b"));
    let e: Box<dyn std::error::Error> = Box::new(EcmaRegex::new("(").unwrap_err());
    assert!(e.to_string().contains("Unterminated group"));
}

/// Each engine path: bit-parallel with lookarounds as context bits (reading
/// forwards and backwards), more lookarounds or states than it takes (the
/// thread-list simulation). Expectations checked against Node.js 20.
#[test]
fn engine_paths() {
    let a70 = "a".repeat(70);
    let x64 = "x".repeat(64);
    let cases: Vec<(&str, String, bool)> = vec![
        ("^(?=.*a)(?=.*b)(?=.*c)(?=.*d)", "dcba".into(), true),
        ("^(?=.*a)(?=.*b)(?=.*c)(?=.*d)", "dcb".into(), false),
        ("(?<=a{70})b", format!("{a70}b"), true),
        ("(?<=a{70})b", format!("{}b", &a70[1..]), false),
        ("^(?!x{64})\\w{64,}$", x64.clone(), false),
        ("^(?!x{64})\\w{64,}$", format!("{}y", &x64[1..]), true),
        ("\\b(?=\\w{3}\\b)\\w+", "ab abc".into(), true),
        ("\\b(?=\\w{3}\\b)\\w+", "ab abcd".into(), false),
        ("(?<=\\b\\w)\\w\\b", "a bc".into(), true),
        ("(?<=\\b\\w)\\w\\b", "abc".into(), false),
        ("^[a-z]{1,70}$", a70.clone(), true),
        ("^[a-z]{1,70}$", format!("{a70}a"), false),
        ("(?<\\uD87E\\uDC00>x)\\k<\u{2F800}>", "xx".into(), true),
    ];
    for (pattern, input, expected) in cases {
        check(pattern, &input, expected);
    }
}

/// Hostile patterns and 10,000-unit inputs: `(pattern, input, expected)`.
fn hostile_cases() -> Vec<(&'static str, String, bool)> {
    let a = "a".repeat(10_000);
    let a_b = format!("{}b", "a".repeat(9_999));
    let a_c = format!("{}!", "a".repeat(9_999));
    let x = "x".repeat(10_000);
    vec![
        ("(a+)+$", a_c.clone(), false),
        ("(a+)+$", a.clone(), true),
        ("^(a+)+$", a_c.clone(), false),
        ("(a|a)*b", a.clone(), false),
        ("(a|a)*b", a_b.clone(), true),
        ("(a*)*b", a.clone(), false),
        ("(.*a){20}", format!("{}{}", "a".repeat(19), "b".repeat(9_981)), false),
        ("(.*a){20}", format!("{}{}", "b".repeat(9_980), "a".repeat(20)), true),
        ("(x+x+)+y", x.clone(), false),
        ("^(([a-z])+.)+[A-Z]([a-z])+$", x.clone(), false),
        ("(a|aa)+$", a_c.clone(), false),
        ("^(\\w+\\s?)*$", format!("{}!", "word ".repeat(2_000)), false),
        ("(?=(a+))*b", a.clone(), false),
        ("(?<=(a+)+)b", a.clone(), false),
        ("(?<=(a+)+)b", a_b.clone(), true),
        ("(?!(a+)+b)a$", a.clone(), true),
        ("^(?:(?=.*a)(?=.*b).)*$", a.clone(), false),
        ("(.*){20}x", a.clone(), false),
        ("(a{1,10}){1,10}b", a.clone(), false),
        // Backreferences: real backtracking, bounded by the step budget.
        ("^(a+)+\\1b", a.clone(), false),
        ("(a*)*\\1b", a.clone(), false),
        ("(a)\\1", a.clone(), true),
        ("(\\w+)\\s\\1", format!("abc abc{}", "x".repeat(10_000)), true),
        ("^(\\w+)\\s\\1$", format!("{} {}", "x".repeat(5_000), "x".repeat(4_999)), false),
        ("(\\w+)\\s\\1", format!("{}{}", "x".repeat(200), " x"), true),
    ]
}

/// The deliberate bound: backtracking that exceeds its step budget answers
/// `false` (JavaScript answers `true` here, after ~5·10⁷ steps).
#[test]
fn backtracking_budget_answers_false() {
    let input = format!("{} abc abc", "x".repeat(10_000));
    check("(\\w+)\\s\\1", &input, false);
}

#[test]
fn hostile_patterns_are_correct() {
    for (pattern, input, expected) in hostile_cases() {
        check(pattern, &input, expected);
    }
}

/// Prints timings (run with `cargo test --release -- --ignored --nocapture`).
#[test]
#[ignore = "timing report, not a correctness test"]
fn hostile_patterns_timing() {
    for (pattern, input, expected) in hostile_cases() {
        let r = re(pattern);
        let runs = 20u32;
        let start = Instant::now();
        for _ in 0..runs {
            assert_eq!(r.is_match(&input), expected);
        }
        let each = start.elapsed() / runs;
        println!("{:>12.3?}  /{pattern}/ on {} units", each, input.len());
    }
    let simple = [
        ("^user_[0-9]+$", "user_1234567890123456789012345"),
        ("@split\\.io$", "someone.with.long.name@split.io"),
        ("\\d", "abcdefghijklmnopqrstuvwxyzabc1"),
        ("(gmail|yahoo)\\.com", "someone.else.entirely@yahoo.com"),
        ("^[^@]+@[^@]+\\.[a-z]{2,}$", "first.last+tag@example-mail.com"),
        ("^[a-z0-9_-]{3,16}$", "my-us3r_n4m3"),
        ("(?<=@)split", "someone.with.long.name@split.io"),
        ("^(\\w+)@\\1\\.com$", "someone@someone.com"),
    ];
    for (pattern, input) in simple {
        let r = re(pattern);
        let runs = 100_000u32;
        let start = Instant::now();
        let mut hits = 0u32;
        for _ in 0..runs {
            hits += u32::from(r.is_match(std::hint::black_box(input)));
        }
        let each: Duration = start.elapsed() / runs;
        println!("{:>12.3?}  /{pattern}/ on {} units ({hits} hits)", each, input.len());
    }
}

/// `(pattern, input, expected)` checked against Node.js 20 (`None`: SyntaxError).
const CASES: &[(&str, &str, Option<bool>)] = &[
    ("^.$", "\u{1D306}", Some(false)), // utf16
    ("^.$", "a", Some(true)), // utf16
    ("^.$", "", Some(false)), // utf16
    ("^.$", "\u{E9}", Some(true)), // utf16
    ("^..$", "\u{1D306}", Some(true)), // utf16
    ("^..$", "ab", Some(true)), // utf16
    ("^\\uD834\\uDF06$", "\u{1D306}", Some(true)), // utf16
    ("\\uD834", "\u{1D306}", Some(true)), // utf16
    ("\\uD834", "x", Some(false)), // utf16
    ("^[\\uD834\\uDF06]$", "\u{1D306}", Some(false)), // utf16
    ("^\u{1D306}$", "\u{1D306}", Some(true)), // utf16
    ("^\u{1D306}+$", "\u{1D306}\u{1D306}", Some(false)), // utf16
    ("^[\u{1D306}]+$", "\u{1D306}\u{1D306}", Some(true)), // utf16
    ("^[^a]$", "\u{1D306}", Some(false)), // utf16
    ("^[^a]$", "b", Some(true)), // utf16
    ("caf\u{E9}", "un caf\u{E9}", Some(true)), // utf16
    ("caf\u{E9}", "cafe", Some(false)), // utf16
    ("^\\S\\S$", "\u{1D306}", Some(true)), // utf16
    ("a.b", "a\nb", Some(false)), // dot
    ("a.b", "a\rb", Some(false)), // dot
    ("a.b", "a\u{2028}b", Some(false)), // dot
    ("a.b", "a\u{2029}b", Some(false)), // dot
    ("a.b", "a\tb", Some(true)), // dot
    ("a.b", "a\u{85}b", Some(true)), // dot
    ("a.b", "a\u{B}b", Some(true)), // dot
    ("^[^]$", "\n", Some(true)), // dot
    ("^[^]$", "a", Some(true)), // dot
    ("^[^]$", "", Some(false)), // dot
    ("^[]$", "", Some(false)), // dot
    ("^[]$", "a", Some(false)), // dot
    ("[]", "", Some(false)), // dot
    ("[]", "abc", Some(false)), // dot
    ("a[]?b", "ab", Some(true)), // dot
    ("a[]?b", "a b", Some(false)), // dot
    ("[^]*", "", Some(true)), // dot
    ("^.*$", "abc\ndef", Some(false)), // dot
    ("^.*$", "abcdef", Some(true)), // dot
    ("^[\\s\\S]*$", "abc\ndef", Some(true)), // dot
    ("^\\s$", "\t", Some(true)), // space
    ("^\\s$", "\n", Some(true)), // space
    ("^\\s$", "\u{B}", Some(true)), // space
    ("^\\s$", "\u{C}", Some(true)), // space
    ("^\\s$", "\r", Some(true)), // space
    ("^\\s$", " ", Some(true)), // space
    ("^\\s$", "\u{A0}", Some(true)), // space
    ("^\\s$", "\u{1680}", Some(true)), // space
    ("^\\s$", "\u{2000}", Some(true)), // space
    ("^\\s$", "\u{2005}", Some(true)), // space
    ("^\\s$", "\u{200A}", Some(true)), // space
    ("^\\s$", "\u{2028}", Some(true)), // space
    ("^\\s$", "\u{2029}", Some(true)), // space
    ("^\\s$", "\u{202F}", Some(true)), // space
    ("^\\s$", "\u{205F}", Some(true)), // space
    ("^\\s$", "\u{3000}", Some(true)), // space
    ("^\\s$", "\u{FEFF}", Some(true)), // space
    ("^\\s$", "\u{200B}", Some(false)), // space
    ("^\\s$", "\u{85}", Some(false)), // space
    ("^\\s$", "\u{180E}", Some(false)), // space
    ("^\\s$", "x", Some(false)), // space
    ("^\\S$", "\u{A0}", Some(false)), // space
    ("^\\S$", "a", Some(true)), // space
    ("^[\\s]$", "\u{3000}", Some(true)), // space
    ("^[\\s]$", "a", Some(false)), // space
    ("^[^\\s]$", "\u{3000}", Some(false)), // space
    ("^[^\\s]$", "a", Some(true)), // space
    ("\\bfoo\\b", "a foo b", Some(true)), // bound
    ("\\bfoo\\b", "afoo", Some(false)), // bound
    ("\\bfoo\\b", "foo", Some(true)), // bound
    ("\\bfoo\\b", "foo_", Some(false)), // bound
    ("\\bfoo\\b", "foo-", Some(true)), // bound
    ("\\bfoo\\b", "\u{E9}foo", Some(true)), // bound
    ("\\B", "", Some(true)), // bound
    ("\\B", "a", Some(false)), // bound
    ("\\B", "ab", Some(true)), // bound
    ("\\B", " ", Some(true)), // bound
    ("^\\b$", "", Some(false)), // bound
    ("^\\B$", "", Some(true)), // bound
    ("\\b", "", Some(false)), // bound
    ("\\b", "\u{E9}", Some(false)), // bound
    ("\\b", " a", Some(true)), // bound
    ("a\\Bb", "ab", Some(true)), // bound
    ("a\\Bb", "a b", Some(false)), // bound
    ("[\\b]", "\u{8}", Some(true)), // bound
    ("[\\b]", "b", Some(false)), // bound
    ("\\w\\b\\w", "ab", Some(false)), // bound
    ("\u{E9}\\b", "\u{E9}", Some(false)), // bound
    ("\u{E9}\\b", "a\u{E9}", Some(false)), // bound
    ("foo(?=bar)", "foobar", Some(true)), // look
    ("foo(?=bar)", "foobaz", Some(false)), // look
    ("foo(?!bar)", "foobar", Some(false)), // look
    ("foo(?!bar)", "foobaz", Some(true)), // look
    ("foo(?!bar)", "foo", Some(true)), // look
    ("(?<=\\$)\\d+", "$42", Some(true)), // look
    ("(?<=\\$)\\d+", "42", Some(false)), // look
    ("(?<=\\$)\\d+", "\u{20AC}42", Some(false)), // look
    ("(?<!\\$)\\b\\d+", "$42", Some(false)), // look
    ("(?<!\\$)\\b\\d+", "42", Some(true)), // look
    ("^(?=.*\\d)(?=.*[a-z]).{6,}$", "abc123", Some(true)), // look
    ("^(?=.*\\d)(?=.*[a-z]).{6,}$", "abcdef", Some(false)), // look
    ("^(?=.*\\d)(?=.*[a-z]).{6,}$", "123456", Some(false)), // look
    ("^(?=.*\\d)(?=.*[a-z]).{6,}$", "ab1", Some(false)), // look
    ("(?<=a(?=b)b)c", "abc", Some(true)), // look
    ("(?<=a(?=b)b)c", "ac", Some(false)), // look
    ("(?<=a(?=b)b)c", "abbc", Some(false)), // look
    ("(?<=^|,)x(?=,|$)", "x", Some(true)), // look
    ("(?<=^|,)x(?=,|$)", "a,x,b", Some(true)), // look
    ("(?<=^|,)x(?=,|$)", "ax", Some(false)), // look
    ("(?<=^|,)x(?=,|$)", "a,xb", Some(false)), // look
    ("(?=a)*b", "b", Some(true)), // look
    ("(?=a)+b", "b", Some(false)), // look
    ("(?=a)+b", "ab", Some(false)), // look
    ("(?!a){2}b", "b", Some(true)), // look
    ("(?!a){2}b", "ab", Some(true)), // look
    ("(?<=(?<!b)a)c", "ac", Some(true)), // look
    ("(?<=(?<!b)a)c", "bac", Some(false)), // look
    ("(?<=(?<!b)a)c", "aac", Some(true)), // look
    ("(?<=\\d{3})x", "12x", Some(false)), // look
    ("(?<=\\d{3})x", "123x", Some(true)), // look
    ("^(?!.*(.).*\\1)[a-z]+$", "abc", Some(true)), // look
    ("^(?!.*(.).*\\1)[a-z]+$", "abca", Some(false)), // look
    ("(?<=ab*)c", "abbbc", Some(true)), // look
    ("(?<=ab*)c", "ac", Some(true)), // look
    ("(?<=ab*)c", "bc", Some(false)), // look
    ("(?!)", "", Some(false)), // look
    ("(?!)", "a", Some(false)), // look
    ("(?=)", "", Some(true)), // look
    ("x(?<=x)", "x", Some(true)), // look
    ("(?<=^a+)b", "aaab", Some(true)), // look
    ("(?<=^a+)b", "caab", Some(false)), // look
    ("^(?:(?!ab).)*$", "aaa", Some(true)), // look
    ("^(?:(?!ab).)*$", "xaby", Some(false)), // look
    ("^(?:(?!ab).)*$", "", Some(true)), // look
    ("(a)\\1", "aa", Some(true)), // backref
    ("(a)\\1", "ab", Some(false)), // backref
    ("^(\\w+)\\s\\1$", "hello hello", Some(true)), // backref
    ("^(\\w+)\\s\\1$", "hello world", Some(false)), // backref
    ("\\1(a)", "a", Some(true)), // backref
    ("\\1(a)", "", Some(false)), // backref
    ("(a)|\\1b", "b", Some(true)), // backref
    ("^(?:(a)|b)\\1$", "aa", Some(true)), // backref
    ("^(?:(a)|b)\\1$", "b", Some(true)), // backref
    ("^(?:(a)|b)\\1$", "ba", Some(false)), // backref
    ("^(?:(a)|b)\\1$", "ab", Some(false)), // backref
    ("^(a)?\\1$", "", Some(true)), // backref
    ("^(a)?\\1$", "aa", Some(true)), // backref
    ("^(a)?\\1$", "a", Some(false)), // backref
    ("(?<x>a)\\k<x>", "aa", Some(true)), // backref
    ("(?<x>a)\\k<x>", "ab", Some(false)), // backref
    ("\\k<x>(?<x>a)", "a", Some(true)), // backref
    ("(?<x>.)(?<y>.)\\k<y>\\k<x>", "abba", Some(true)), // backref
    ("(?<x>.)(?<y>.)\\k<y>\\k<x>", "abab", Some(false)), // backref
    ("^(a*)*\\1$", "aaa", Some(true)), // backref
    ("^(a*)*\\1$", "b", Some(false)), // backref
    ("^(?:(a)|(b))+\\1\\2$", "abb", Some(true)), // backref
    ("^(?:(a)|(b))+\\1\\2$", "aba", Some(false)), // backref
    ("^(?:(a)|(b))+\\1\\2$", "abab", Some(false)), // backref
    ("(?<=(a)\\1)b", "aab", Some(true)), // backref
    ("(?<=(a)\\1)b", "ab", Some(true)), // backref
    ("(?<=\\1(a))b", "aab", Some(true)), // backref
    ("(?<=\\1(a))b", "ab", Some(false)), // backref
    ("(?<=\\1(a))b", "b", Some(false)), // backref
    ("(?=(a+))a*b\\1", "baaabac", Some(true)), // backref
    ("(?=(a+))a*b\\1", "aaab", Some(false)), // backref
    ("(.)(?!\\1)", "aa", Some(true)), // backref
    ("(.)(?!\\1)", "ab", Some(true)), // backref
    ("^(?:(\\d)\\1)+$", "1122", Some(true)), // backref
    ("^(?:(\\d)\\1)+$", "1123", Some(false)), // backref
    ("(a)\\2(b)", "ab", Some(true)), // backref
    ("^(a)(?:\\1b)*$", "aabab", Some(true)), // backref
    ("^(a)(?:\\1b)*$", "aab", Some(true)), // backref
    ("^(a)(?:\\1b)*$", "a", Some(true)), // backref
    ("^(a)(?:\\1b)*$", "abb", Some(false)), // backref
    ("^(\\w)(\\w)?\\2\\1$", "aa", Some(true)), // backref
    ("^(\\w)(\\w)?\\2\\1$", "abba", Some(true)), // backref
    ("^(\\w)(\\w)?\\2\\1$", "abca", Some(false)), // backref
    ("^(a+)\\1*$", "aaaaaa", Some(true)), // backref
    ("^(a+)\\1*$", "aaaaa", Some(true)), // backref
    ("^(a+?)\\1+$", "aaaa", Some(true)), // backref
    ("^(a+?)\\1+$", "a", Some(false)), // backref
    ("(\\d+)-\\1", "12-12", Some(true)), // backref
    ("(\\d+)-\\1", "12-13", Some(false)), // backref
    ("(a)|b\\1", "b", Some(true)), // backref
    ("(?<year>\\d{4})-(?<month>\\d{2})", "2024-05", Some(true)), // named
    ("(?<year>\\d{4})-(?<month>\\d{2})", "24-05", Some(false)), // named
    ("(?<a>x)\\1", "xx", Some(true)), // named
    ("(?<a>x)\\1", "x1", Some(false)), // named
    ("(?<$b_1>x)\\k<$b_1>", "xx", Some(true)), // named
    ("(?<\u{E9}>x)\\k<\u{E9}>", "xx", Some(true)), // named
    ("(?<\\u0061>x)\\k<a>", "xx", Some(true)), // named
    ("(?<a\\u{62}>x)\\k<ab>", "xx", Some(true)), // named
    ("\\k<a>", "k<a>", Some(true)), // named
    ("\\k", "k", Some(true)), // named
    ("(?<a>x)|\\k<a>y", "y", Some(true)), // named
    ("]", "]", Some(true)), // annexb
    ("]", "a", Some(false)), // annexb
    ("}", "}", Some(true)), // annexb
    ("{", "{", Some(true)), // annexb
    ("a{", "a{", Some(true)), // annexb
    ("a{1", "a{1", Some(true)), // annexb
    ("a{,5}", "a{,5}", Some(true)), // annexb
    ("a{,5}", "a", Some(false)), // annexb
    ("a{1,2", "a{1,2", Some(true)), // annexb
    ("x{a}", "x{a}", Some(true)), // annexb
    ("\\a", "a", Some(true)), // annexb
    ("\\p{L}", "p{L}", Some(true)), // annexb
    ("\\p{L}", "a", Some(false)), // annexb
    ("\\P", "P", Some(true)), // annexb
    ("\\cJ", "\n", Some(true)), // annexb
    ("\\cJ", "cJ", Some(false)), // annexb
    ("\\cj", "\n", Some(true)), // annexb
    ("\\c1", "\\c1", Some(true)), // annexb
    ("\\c1", "\u{11}", Some(false)), // annexb
    ("\\c", "\\c", Some(true)), // annexb
    ("\\c*", "\\", Some(true)), // annexb
    ("\\c*", "\\ccc", Some(true)), // annexb
    ("[\\c1]", "\u{11}", Some(true)), // annexb
    ("[\\c1]", "1", Some(false)), // annexb
    ("[\\c_]", "\u{1F}", Some(true)), // annexb
    ("[\\c]", "\\", Some(true)), // annexb
    ("[\\c]", "c", Some(true)), // annexb
    ("[\\c]", "x", Some(false)), // annexb
    ("[\\c!]", "\\", Some(true)), // annexb
    ("[\\c!]", "!", Some(true)), // annexb
    ("[\\c!]", "c", Some(true)), // annexb
    ("\\1", "\u{1}", Some(true)), // annexb
    ("\\1", "1", Some(false)), // annexb
    ("\\12", "\n", Some(true)), // annexb
    ("\\123", "S", Some(true)), // annexb
    ("\\1234", "S4", Some(true)), // annexb
    ("\\400", " 0", Some(true)), // annexb
    ("\\8", "8", Some(true)), // annexb
    ("\\9", "9", Some(true)), // annexb
    ("\\08", "\08", Some(true)), // annexb
    ("\\0", "\0", Some(true)), // annexb
    ("\\00", "\0", Some(true)), // annexb
    ("\\07", "\u{7}", Some(true)), // annexb
    ("\\377", "\u{FF}", Some(true)), // annexb
    ("\\777", "?7", Some(true)), // annexb
    ("\\777", "?7", Some(true)), // annexb
    ("(a)\\2", "a\u{2}", Some(true)), // annexb
    ("(a)\\10", "a\u{8}", Some(true)), // annexb
    ("[\\1]", "\u{1}", Some(true)), // annexb
    ("[\\8]", "8", Some(true)), // annexb
    ("[\\08]", "8", Some(true)), // annexb
    ("[\\08]", "\0", Some(true)), // annexb
    ("\\x4", "x4", Some(true)), // annexb
    ("\\x41", "A", Some(true)), // annexb
    ("\\xg1", "xg1", Some(true)), // annexb
    ("\\u004", "u004", Some(true)), // annexb
    ("\\u0041", "A", Some(true)), // annexb
    ("\\u{41}", "A", Some(false)), // annexb
    ("\\u{41}", "u{41}", Some(false)), // annexb
    ("\\u{41}", "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu", Some(true)), // annexb
    ("[\\u{41}]", "u", Some(true)), // annexb
    ("[\\u{41}]", "{", Some(true)), // annexb
    ("[\\u{41}]", "A", Some(false)), // annexb
    ("\\k<a", "k<a", Some(true)), // annexb
    ("[\\d-z]", "-", Some(true)), // annexb
    ("[\\d-z]", "z", Some(true)), // annexb
    ("[\\d-z]", "5", Some(true)), // annexb
    ("[\\d-z]", "a", Some(false)), // annexb
    ("[a-\\d]", "-", Some(true)), // annexb
    ("[a-\\d]", "b", Some(false)), // annexb
    ("[a-\\d]", "5", Some(true)), // annexb
    ("[\\w-\\d]", "-", Some(true)), // annexb
    ("[\\w-\\d]", "a", Some(true)), // annexb
    ("[a-]", "-", Some(true)), // annexb
    ("[a-]", "a", Some(true)), // annexb
    ("[-a]", "-", Some(true)), // annexb
    ("[--0]", "/", Some(true)), // annexb
    ("[--0]", "-", Some(true)), // annexb
    ("[--0]", "1", Some(false)), // annexb
    ("[a-z-0]", "-", Some(true)), // annexb
    ("[a-z-0]", "0", Some(true)), // annexb
    ("[a-z-0]", "5", Some(false)), // annexb
    ("[\\-]", "-", Some(true)), // annexb
    ("[\\B]", "B", Some(true)), // annexb
    ("[\\z]", "z", Some(true)), // annexb
    ("\\/", "/", Some(true)), // annexb
    ("\\-", "-", Some(true)), // annexb
    ("(?=a){2}", "a", Some(true)), // annexb
    ("(?=x)?y", "y", Some(true)), // annexb
    ("a{2}b", "aab", Some(true)), // annexb
    ("\\$", "$", Some(true)), // annexb
    ("^*?", "x", None), // annexb
    ("\\t\\n\\v\\f\\r", "\t\n\u{B}\u{C}\r", Some(true)), // annexb
    ("a+?b", "aaab", Some(true)), // lazy
    ("^a*?$", "aaa", Some(true)), // lazy
    ("^(a+?)+$", "aaa", Some(true)), // lazy
    ("a{2,3}?", "a", Some(false)), // lazy
    ("a{2,3}?", "aa", Some(true)), // lazy
    ("^a??$", "", Some(true)), // lazy
    ("^a??$", "a", Some(true)), // lazy
    ("^a??$", "aa", Some(false)), // lazy
    ("x*?y", "xxy", Some(true)), // lazy
    ("x*?y", "xx", Some(false)), // lazy
    ("a|", "", Some(true)), // empty
    ("a|", "b", Some(true)), // empty
    ("|a", "", Some(true)), // empty
    ("^(|a)$", "", Some(true)), // empty
    ("^(|a)$", "a", Some(true)), // empty
    ("^(|a)$", "b", Some(false)), // empty
    ("^(?:a|)+$", "", Some(true)), // empty
    ("^(?:a|)+$", "aa", Some(true)), // empty
    ("", "", Some(true)), // empty
    ("", "x", Some(true)), // empty
    ("()", "", Some(true)), // empty
    ("^(?:)*$", "", Some(true)), // empty
    ("^(a*)*$", "aaa", Some(true)), // empty
    ("^(a*)*$", "aab", Some(false)), // empty
    ("^(a*?)*?$", "aaa", Some(true)), // empty
    ("^(?:a?)+b$", "b", Some(true)), // empty
    ("^(?:a?)+b$", "aab", Some(true)), // empty
    ("(?:)", "x", Some(true)), // empty
    ("^a{0}$", "", Some(true)), // quant
    ("^a{0}$", "a", Some(false)), // quant
    ("^a{3}$", "aaa", Some(true)), // quant
    ("^a{3}$", "aa", Some(false)), // quant
    ("^a{3}$", "aaaa", Some(false)), // quant
    ("^(?:ab){2,3}$", "abab", Some(true)), // quant
    ("^(?:ab){2,3}$", "ababab", Some(true)), // quant
    ("^(?:ab){2,3}$", "ab", Some(false)), // quant
    ("^(?:ab){2,3}$", "abababab", Some(false)), // quant
    ("^a{2,}$", "a", Some(false)), // quant
    ("^a{2,}$", "aa", Some(true)), // quant
    ("^a{2,}$", "aaaaa", Some(true)), // quant
    ("^[a-c]{1,2}[x-z]?$", "ab", Some(true)), // quant
    ("^[a-c]{1,2}[x-z]?$", "abz", Some(true)), // quant
    ("^[a-c]{1,2}[x-z]?$", "abc", Some(false)), // quant
    ("^(a|bc){2}$", "abc", Some(true)), // quant
    ("^(a|bc){2}$", "bcbc", Some(true)), // quant
    ("^(a|bc){2}$", "aa", Some(true)), // quant
    ("^(a|bc){2}$", "abcbc", Some(false)), // quant
    ("^a{0,2147483648}$", "aaa", Some(true)), // quant
    ("^(?:a{2}){2}$", "aaaa", Some(true)), // quant
    ("^(?:a{2}){2}$", "aaa", Some(false)), // quant
    ("^\\d{3}-\\d{4}$", "555-1234", Some(true)), // quant
    ("^\\d{3}-\\d{4}$", "55-1234", Some(false)), // quant
    ("^user_[0-9]+$", "user_123", Some(true)), // common
    ("^user_[0-9]+$", "user_", Some(false)), // common
    ("^user_[0-9]+$", "xuser_1", Some(false)), // common
    ("^user_[0-9]+$", "user_12a", Some(false)), // common
    ("@split\\.io$", "john@split.io", Some(true)), // common
    ("@split\\.io$", "john@splitxio", Some(false)), // common
    ("@split\\.io$", "john@split.io.com", Some(false)), // common
    ("\\d", "abc", Some(false)), // common
    ("\\d", "ab1", Some(true)), // common
    ("(gmail|yahoo)\\.com", "a@gmail.com", Some(true)), // common
    ("(gmail|yahoo)\\.com", "a@hotmail.com", Some(false)), // common
    ("(gmail|yahoo)\\.com", "a@yahoo.co", Some(false)), // common
    ("^[^@]+@[^@]+\\.[a-z]{2,}$", "a@b.cd", Some(true)), // common
    ("^[^@]+@[^@]+\\.[a-z]{2,}$", "a@b.c", Some(false)), // common
    ("^[^@]+@[^@]+\\.[a-z]{2,}$", "a@@b.cd", Some(false)), // common
    ("^[^@]+@[^@]+\\.[a-z]{2,}$", "@b.cd", Some(false)), // common
    ("^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", "john.doe@example.com", Some(true)), // common
    ("^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$", "john..doe@example.com", Some(false)), // common
    ("#", "a#b", Some(true)), // common
    ("#", "ab", Some(false)), // common
    ("^#\\d+#$", "#12#", Some(true)), // common
    ("^#\\d+#$", "#1a#", Some(false)), // common
    ("^[\\w.+-]+$", "a.b+c-d", Some(true)), // common
    ("^[\\w.+-]+$", "a b", Some(false)), // common
    ("^(?:\\+?1[-. ]?)?\\(?([0-9]{3})\\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})$", "+1 (555) 123-4567", Some(true)), // common
    ("^(?:\\+?1[-. ]?)?\\(?([0-9]{3})\\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})$", "555-12-4567", Some(false)), // common
    ("(", "", None), // invalid
    (")", "", None), // invalid
    ("a)", "", None), // invalid
    ("(?", "", None), // invalid
    ("(?a)", "", None), // invalid
    ("(?<)", "", None), // invalid
    ("(?<a)", "", None), // invalid
    ("(?<1a>x)", "", None), // invalid
    ("(?<a>x)(?<a>y)", "", None), // invalid
    ("a**", "", None), // invalid
    ("a*+", "", None), // invalid
    ("a+*", "", None), // invalid
    ("a???", "", None), // invalid
    ("a{2}{3}", "", None), // invalid
    ("a{2}*", "", None), // invalid
    ("[b-a]", "", None), // invalid
    ("x{2,1}", "", None), // invalid
    ("*", "", None), // invalid
    ("+a", "", None), // invalid
    ("?", "", None), // invalid
    ("{2}", "", None), // invalid
    ("{1,}", "", None), // invalid
    ("a|*", "", None), // invalid
    ("(*)", "", None), // invalid
    ("^*", "", None), // invalid
    ("$+", "", None), // invalid
    ("\\b*", "", None), // invalid
    ("\\B{2}", "", None), // invalid
    ("(?<=a)*", "", None), // invalid
    ("(?<!a)+", "", None), // invalid
    ("[", "", None), // invalid
    ("[a", "", None), // invalid
    ("[\\", "", None), // invalid
    ("\\", "", None), // invalid
    ("a\\", "", None), // invalid
    ("[z-a]", "", None), // invalid
    ("[\\x62-\\x61]", "", None), // invalid
    ("(?<a>x)\\k", "", None), // invalid
    ("(?<a>x)\\k<b>", "", None), // invalid
    ("(?<a>x)\\k<a", "", None), // invalid
    ("(?<a>x)[\\k]", "", None), // invalid
    ("(?:", "", None), // invalid
    ("(?=a", "", None), // invalid
    ("((a)", "", None), // invalid
    ("a{1,2}{3}", "", None), // invalid
    ("[a-\\x00]", "", None), // invalid
    ("(?<a-b>x)", "", None), // invalid
    ("(?<>x)", "", None), // invalid
    ("(?<a>x)\\k<>", "", None), // invalid
    ("a{1,2}?{", "a{", Some(true)), // odd
    ("(?<=a)?", "", None), // odd
    ("[]]", "]", Some(false)), // odd
    ("[]]", "", Some(false)), // odd
    ("[^]]", "a]", Some(true)), // odd
    ("[^]]", "]", Some(false)), // odd
    ("[\\]]", "]", Some(true)), // odd
    ("[[]", "[", Some(true)), // odd
    ("(?:a|b)+?c", "abac", Some(true)), // odd
    ("\\u{2}", "uu", Some(true)), // odd
    ("\\u{2}", "u{2}", Some(false)), // odd
    ("^\\cA$", "\u{1}", Some(true)), // odd
    ("\\0\\0", "\0\0", Some(true)), // odd
    ("[\\0]", "\0", Some(true)), // odd
    ("[\\00]", "\0", Some(true)), // odd
    ("[\\000]", "\0", Some(true)), // odd
    ("(?<a>b)\\u{61}", "baa", Some(false)), // odd
    ("^(?:a|ab)(?:c|bcd)(?:d*)$", "abcd", Some(true)), // odd
    ("\\s+$", "a \u{A0}\u{2028}", Some(true)), // odd
    ("^[^\\d\\s]+$", "ab\u{E9}", Some(true)), // odd
    ("^[^\\d\\s]+$", "a1", Some(false)), // odd
    ("^[^\\d\\s]+$", "a b", Some(false)), // odd
    ("^[\\D]$", "a", Some(true)), // odd
    ("^[\\D]$", "1", Some(false)), // odd
    ("^[\\W\\d]+$", "1-2", Some(true)), // odd
    ("^[\\W\\d]+$", "a", Some(false)), // odd
    ("(a)|(b)", "b", Some(true)), // odd
];

/// Cases whose input has lone surrogates, as UTF-16 (checked against Node.js 20).
const UTF16_CASES: &[(&str, &[u16], bool)] = &[
    ("^[\\uD834\\uDF06]$", &[0xD834], true),
    ("^\u{1D306}+$", &[0xD834, 0xDF06, 0xDF06, 0xDF06], true),
    ("^[\u{1D306}]+$", &[0xDF06, 0xD834], true),
];
