//! Semantic versions exactly as Split's JavaScript SDK parses and orders them
//! (javascript-commons `src/utils/Semver.ts`; spec §4.4). Used by the `EQUAL_TO_SEMVER`,
//! `GREATER_THAN_OR_EQUAL_TO_SEMVER`, `LESS_THAN_OR_EQUAL_TO_SEMVER`, `BETWEEN_SEMVER` and
//! `IN_LIST_SEMVER` matchers.
//!
//! This is *not* strict SemVer 2.0.0; the JS rules are reproduced as they are:
//! * no trimming; metadata is everything after the first `+` (must be non-empty, otherwise unchecked);
//! * the pre-release is everything after the first `-` of the rest, split on `.` into non-empty
//!   identifiers (all-digit identifiers lose their leading zeros; others are kept verbatim);
//! * the core is exactly three non-empty all-ASCII-digit parts, leading zeros stripped, of any length
//!   (they stay digit strings: no integer overflow is possible);
//! * comparison treats two all-digit strings numerically (longer is greater), and otherwise compares
//!   strings by UTF-16 code units, like JS `<`.

use std::cmp::Ordering;
use std::fmt;

/// Why a string is not a valid version for Split. The JS SDK throws one generic error
/// (`Unable to convert to Semver, incorrect format: <input>`); the variants tell which rule failed,
/// checked in the same order as JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SemverError {
    /// The string has a `+` with nothing after it.
    EmptyMetadata,
    /// The pre-release (after the first `-`) has an empty identifier: it is empty, or has `..`, or a
    /// leading or trailing `.`.
    EmptyPreReleaseIdentifier,
    /// A major/minor/patch part is empty (e.g. `1..2`, `.1.2`, or nothing before the `-`).
    EmptyCorePart,
    /// A major/minor/patch part has a character other than an ASCII digit.
    NonNumericCorePart,
    /// The core does not have exactly three `.`-separated parts; holds how many it has.
    WrongCorePartCount(usize),
}

impl fmt::Display for SemverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemverError::EmptyMetadata => f.write_str("invalid semver: build metadata after '+' is empty"),
            SemverError::EmptyPreReleaseIdentifier => {
                f.write_str("invalid semver: empty pre-release identifier after '-'")
            }
            SemverError::EmptyCorePart => f.write_str("invalid semver: empty major/minor/patch part"),
            SemverError::NonNumericCorePart => {
                f.write_str("invalid semver: major/minor/patch part is not all ASCII digits")
            }
            SemverError::WrongCorePartCount(n) => {
                write!(f, "invalid semver: expected 3 dot-separated major.minor.patch parts, found {n}")
            }
        }
    }
}

impl std::error::Error for SemverError {}

/// A version parsed with the JS SDK's rules (see the module documentation).
///
/// `==` compares the normalized [`version`](Semver::version) strings, which is `EQUAL_TO_SEMVER`.
/// [`compare`](Semver::compare) is the matchers' ordering; it ignores metadata except through its
/// equal-string shortcut, so two versions can compare `Equal` without being `==`
/// (e.g. `1.0.0+a` and `1.0.0+b`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Semver {
    major: String,
    minor: String,
    patch: String,
    pre_release: Vec<String>,
    metadata: Option<String>,
    version: String,
}

/// JS `/^[0-9]+$/.test(s)`: non-empty and only ASCII digits.
fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// JS `s.replace(/^0+(?=\d)/, '')` for an all-digit `s`: drops leading zeros but keeps at least
/// one digit.
fn strip_leading_zeros(s: &str) -> &str {
    let trimmed = s.trim_start_matches('0');
    if trimmed.is_empty() && !s.is_empty() {
        "0"
    } else {
        trimmed
    }
}

/// JS `compareStrings` of `Semver.ts`: two all-digit strings compare by length first; otherwise
/// (or at equal length) lexicographically by UTF-16 code units, as JS `<` on strings does.
fn cmp_str(a: &str, b: &str) -> Ordering {
    if is_numeric(a) && is_numeric(b) {
        // All ASCII, so byte length == UTF-16 length.
        match a.len().cmp(&b.len()) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    cmp_utf16(a, b)
}

/// Lexicographic comparison of the UTF-16 encodings of `a` and `b`.
///
/// Byte order of UTF-8 equals code point order, which differs from UTF-16 order only when one
/// side has a supplementary character (U+10000..) and the other a BMP character at or above
/// U+E000 at the first difference, so only then do we fall back to comparing code units.
fn cmp_utf16(a: &str, b: &str) -> Ordering {
    if a.is_ascii() || b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

impl Semver {
    /// Parses `s` with the JS SDK's rules (spec §4.4); see the module documentation.
    ///
    /// ```
    /// use split_edge::semver::Semver;
    /// let v = Semver::parse("01.002.3-rc.007+build").unwrap();
    /// assert_eq!(v.version(), "1.2.3-rc.7+build");
    /// assert!(Semver::parse("1.2").is_err());
    /// ```
    ///
    /// # Errors
    /// A [`SemverError`] naming the first rule (in the JS SDK's order) that `s` breaks.
    pub fn parse(s: &str) -> Result<Semver, SemverError> {
        // 1. Metadata: everything after the first '+'.
        let (rest, metadata) = match s.split_once('+') {
            None => (s, None),
            Some((_, "")) => return Err(SemverError::EmptyMetadata),
            Some((rest, meta)) => (rest, Some(meta)),
        };

        // 2. Pre-release: everything after the first '-'.
        let (core, pre_release) = match rest.split_once('-') {
            None => (rest, Vec::new()),
            Some((core, pre)) => {
                let mut ids = Vec::new();
                for id in pre.split('.') {
                    if id.is_empty() {
                        return Err(SemverError::EmptyPreReleaseIdentifier);
                    }
                    let id = if is_numeric(id) { strip_leading_zeros(id) } else { id };
                    ids.push(id.to_owned());
                }
                (core, ids)
            }
        };

        // 3. Core: exactly three all-digit parts (each part is checked before the count, as in JS).
        let mut parts: Vec<&str> = Vec::with_capacity(3);
        for part in core.split('.') {
            if part.is_empty() {
                return Err(SemverError::EmptyCorePart);
            }
            if !is_numeric(part) {
                return Err(SemverError::NonNumericCorePart);
            }
            parts.push(strip_leading_zeros(part));
        }
        let &[major, minor, patch] = parts.as_slice() else {
            return Err(SemverError::WrongCorePartCount(parts.len()));
        };

        // 4. Normalized version string.
        let mut version = format!("{major}.{minor}.{patch}");
        if !pre_release.is_empty() {
            version.push('-');
            version.push_str(&pre_release.join("."));
        }
        if let Some(meta) = metadata {
            version.push('+');
            version.push_str(meta);
        }

        Ok(Semver {
            major: major.to_owned(),
            minor: minor.to_owned(),
            patch: patch.to_owned(),
            pre_release,
            metadata: metadata.map(str::to_owned),
            version,
        })
    }

    /// The normalized version string: `major.minor.patch`, then `-` and the pre-release
    /// identifiers joined by `.` if any, then `+` and the metadata if any. Leading zeros of the core
    /// parts and of all-digit pre-release identifiers are stripped. `EQUAL_TO_SEMVER` and
    /// `IN_LIST_SEMVER` compare these strings.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The major part: ASCII digits without leading zeros (`"0"` for zero).
    #[must_use]
    pub fn major(&self) -> &str {
        &self.major
    }

    /// The minor part: ASCII digits without leading zeros (`"0"` for zero).
    #[must_use]
    pub fn minor(&self) -> &str {
        &self.minor
    }

    /// The patch part: ASCII digits without leading zeros (`"0"` for zero).
    #[must_use]
    pub fn patch(&self) -> &str {
        &self.patch
    }

    /// The pre-release identifiers (empty for a stable version); all-digit ones without leading zeros.
    #[must_use]
    pub fn pre_release(&self) -> &[String] {
        &self.pre_release
    }

    /// The build metadata after the first `+`, verbatim, if there was one (never empty).
    #[must_use]
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_deref()
    }

    /// Whether the version has no pre-release (JS `_isStable`).
    #[must_use]
    pub fn is_stable(&self) -> bool {
        self.pre_release.is_empty()
    }

    /// JS `Semver.compare`, as an [`Ordering`] of `self` relative to `other`:
    /// 1. equal normalized [`version`](Semver::version) strings → `Equal`;
    /// 2. major, minor, patch with `cmpStr` (all-digit strings: longer is greater, then
    ///    lexicographic), first difference wins;
    /// 3. a version with a pre-release is less than one without;
    /// 4. pre-release identifiers pairwise with `cmpStr` (non-numeric ones by UTF-16 code units);
    /// 5. the one with more pre-release identifiers is greater.
    ///
    /// Metadata only matters through step 1.
    ///
    /// ```
    /// use split_edge::semver::Semver;
    /// use std::cmp::Ordering;
    /// let a = Semver::parse("1.0.0-beta.11").unwrap();
    /// let b = Semver::parse("1.0.0-beta.2").unwrap();
    /// assert_eq!(a.compare(&b), Ordering::Greater);
    /// ```
    #[must_use]
    pub fn compare(&self, other: &Semver) -> Ordering {
        if self.version == other.version {
            return Ordering::Equal;
        }
        let core = cmp_str(&self.major, &other.major)
            .then_with(|| cmp_str(&self.minor, &other.minor))
            .then_with(|| cmp_str(&self.patch, &other.patch));
        if core != Ordering::Equal {
            return core;
        }
        match (self.is_stable(), other.is_stable()) {
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            _ => {}
        }
        for (a, b) in self.pre_release.iter().zip(other.pre_release.iter()) {
            let ord = cmp_str(a, b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.pre_release.len().cmp(&other.pre_release.len())
    }
}

impl std::str::FromStr for Semver {
    type Err = SemverError;

    /// Same as [`Semver::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Semver::parse(s)
    }
}

impl fmt::Display for Semver {
    /// Writes the normalized [`version`](Semver::version) string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Semver {
        Semver::parse(s).unwrap()
    }

    fn sign(o: Ordering) -> i32 {
        match o {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }

    #[test]
    fn parse_errors_name_the_rule() {
        use SemverError::*;
        let cases: &[(&str, SemverError)] = &[
            ("1.1.1+", EmptyMetadata),
            ("+", EmptyMetadata),
            ("1.1.1-", EmptyPreReleaseIdentifier),
            ("1.1.1-a..b", EmptyPreReleaseIdentifier),
            ("1.1.1-a.", EmptyPreReleaseIdentifier),
            ("1.1.1-.a", EmptyPreReleaseIdentifier),
            // The metadata check comes first, then the pre-release, then the core.
            ("1.1-+", EmptyMetadata),
            ("x-..+m", EmptyPreReleaseIdentifier),
            ("", EmptyCorePart),
            ("-alpha", EmptyCorePart),
            ("1..1", EmptyCorePart),
            ("1.1.1.", EmptyCorePart),
            ("1.2.3.DEV", NonNumericCorePart),
            ("1.alpha.2", NonNumericCorePart),
            (" 1.2.3", NonNumericCorePart),
            ("1.2.3 ", NonNumericCorePart),
            ("v1.2.3", NonNumericCorePart),
            ("1.2.3\n", NonNumericCorePart),
            ("١.٢.٣", NonNumericCorePart),
            ("1", WrongCorePartCount(1)),
            ("1.2", WrongCorePartCount(2)),
            ("1.2.3.4", WrongCorePartCount(4)),
            ("1.2-SNAPSHOT", WrongCorePartCount(2)),
        ];
        for &(s, e) in cases {
            assert_eq!(Semver::parse(s), Err(e), "{s:?}");
            assert!(!e.to_string().is_empty());
        }
        assert!(WrongCorePartCount(4).to_string().contains("found 4"));
    }

    /// (input, normalized version), checked with javascript-commons 2.12.1 `Semver` under node.
    #[rustfmt::skip]
    const NORMALIZED: &[(&str, &str)] = &[
        ("1.2.3", "1.2.3"),
        ("00.01.002-0003.00004", "0.1.2-3.4"),
        ("00.01.002-0003.0000z", "0.1.2-3.0000z"),
        ("000.000.000-000", "0.0.0-0"),
        ("1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay"),
        ("1.2.3----RC-SNAPSHOT.12.09.1--.12+788", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788"),
        ("1.2.3+a+b", "1.2.3+a+b"),
        ("1.2.3+a-b", "1.2.3+a-b"),
        ("1.2.3-a+b-c", "1.2.3-a+b-c"),
        ("1.2.3+..", "1.2.3+.."),
        ("1.2.3-x y.ü.😀", "1.2.3-x y.ü.😀"),
        ("99999999999999999999999.999999999999999999.99999999999999999", "99999999999999999999999.999999999999999999.99999999999999999"),
        ("0001.0.0-00", "1.0.0-0"),
    ];

    #[test]
    fn normalization_matches_js() {
        for &(s, v) in NORMALIZED {
            let parsed = p(s);
            assert_eq!(parsed.version(), v, "{s:?}");
            assert_eq!(parsed.to_string(), v);
        }
        let v = p("01.002.3-rc.007+build.01");
        assert_eq!((v.major(), v.minor(), v.patch()), ("1", "2", "3"));
        assert_eq!(v.pre_release(), ["rc".to_owned(), "7".to_owned()]);
        assert_eq!(v.metadata(), Some("build.01"));
        assert!(!v.is_stable());
        assert!(p("1.2.3+x").is_stable());
        assert_eq!(p("1.2.3").metadata(), None);
        assert_eq!("1.2.3".parse::<Semver>(), Ok(p("1.2.3")));
    }

    /// (a, b, sign of JS `new Semver(a).compare(new Semver(b))`), checked with
    /// javascript-commons 2.12.1 under node.
    #[rustfmt::skip]
    const COMPARE: &[(&str, &str, i32)] = &[
        ("1.0.0", "1.0.0", 0),
        ("1.0.0+a", "1.0.0+b", 0),
        ("1.0.0-rc+a", "1.0.0-rc+b", 0),
        ("1.0.0+a", "1.0.0", 0),
        ("01.0.0", "1.0.0", 0),
        ("1.0.0", "2.0.0", -1),
        ("10.0.0", "9.0.0", 1),
        ("1.10.0", "1.9.0", 1),
        ("1.0.10", "1.0.9", 1),
        ("100000000000000000000.0.0", "99999999999999999999.0.0", 1),
        ("1.0.0-alpha", "1.0.0", -1),
        ("1.0.0", "1.0.0-alpha", 1),
        ("1.0.0-alpha", "1.0.0-alpha.1", -1),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta", -1),
        ("1.0.0-beta.2", "1.0.0-beta.11", -1),
        ("1.0.0-1", "1.0.0-alpha", -1),
        ("1.0.0-10", "1.0.0--x", 1),
        ("1.0.0-10", "1.0.0-9", 1),
        ("1.0.0-010", "1.0.0-9", 1),
        ("1.0.0-a10", "1.0.0-a9", -1),
        ("1.0.0-B", "1.0.0-a", -1),
        ("1.0.0-rc1", "1.0.0-rc.1", 1),
        ("1.0.0-\u{ffff}", "1.0.0-\u{10000}", 1),
        ("1.0.0-\u{e000}", "1.0.0-\u{1f600}", 1),
        ("1.0.0-\u{d7ff}", "1.0.0-\u{1f600}", -1),
        ("1.0.0-é", "1.0.0-z", 1),
        ("1.0.0-a.b.c", "1.0.0-a.b", 1),
    ];

    #[test]
    fn compare_matches_js() {
        for &(a, b, expected) in COMPARE {
            assert_eq!(sign(p(a).compare(&p(b))), expected, "{a} vs {b}");
            assert_eq!(sign(p(b).compare(&p(a))), -expected, "{b} vs {a}");
        }
    }

    #[test]
    fn cmp_utf16_orders_by_code_units() {
        assert_eq!(cmp_utf16("\u{ffff}", "\u{10000}"), Ordering::Greater);
        assert_eq!(cmp_utf16("a\u{ffff}", "a\u{10000}"), Ordering::Greater);
        assert_eq!(cmp_utf16("\u{10000}", "\u{10001}"), Ordering::Less);
        assert_eq!(cmp_utf16("ab", "abc"), Ordering::Less);
        assert_eq!(cmp_utf16("", ""), Ordering::Equal);
        assert_eq!(cmp_utf16("é", "é"), Ordering::Equal);
    }
}
