//! Authorization (spec §8.3): the raw `Authorization` header must equal a configured token; the
//! matching token selects the environment. The admin token (`X-Admin-Token`) is checked alike.
//!
//! Tokens are compared through their SHA-256 digests: both sides are hashed and the two 32-byte
//! digests compared by a loop that walks every byte with no early exit ([`digests_equal`]), so
//! the time taken depends neither on where a guess first differs from a token (its prefix) nor on
//! the token's length. In multi-environment mode the header is compared with every configured
//! token, whichever matches ([`authorize`]). A missing header is hashed as the empty string, so
//! it costs what a wrong one does. No function here logs or returns a token.

use sha2::{Digest as _, Sha256};

use crate::config::{AuthMode, EnvConfig};

/// The SHA-256 digest of a token or header value.
pub type TokenDigest = [u8; 32];

/// The SHA-256 digest of `value`.
pub fn digest(value: &[u8]) -> TokenDigest {
    Sha256::digest(value).into()
}

/// Compares two digests, every byte: the result and the number of bytes walked (always 32; the
/// tests check that a difference in the first byte does not stop the walk).
fn walk(a: &TokenDigest, b: &TokenDigest) -> (bool, usize) {
    let mut diff: u8 = 0;
    let mut walked: usize = 0;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
        walked = walked.saturating_add(1);
    }
    // Keeps the compiler from turning the accumulation into an early exit.
    (std::hint::black_box(diff) == 0, walked)
}

/// Whether two digests are equal, compared in a time that does not depend on their contents.
pub fn digests_equal(a: &TokenDigest, b: &TokenDigest) -> bool {
    walk(a, b).0
}

/// Whether two byte strings are equal, compared through their digests: the time does not depend
/// on where they differ nor (beyond hashing each side) on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    digests_equal(&digest(a), &digest(b))
}

/// The digest of a header value, the empty string's when the header is missing (so that a
/// missing header costs what a wrong one does).
fn header_digest(header: Option<&str>) -> TokenDigest {
    digest(header.unwrap_or("").as_bytes())
}

/// The environment a request with this `Authorization` header may use, or `None` (401).
/// Every configured token is compared, whichever matches; a missing header never matches.
pub fn authorize<'a>(mode: &'a AuthMode, header: Option<&str>) -> Option<&'a EnvConfig> {
    match mode {
        AuthMode::Open(env) => Some(env),
        AuthMode::Single { token, env } => {
            let matches = digests_equal(&header_digest(header), &digest(token.as_bytes()));
            (matches && header.is_some()).then_some(env)
        }
        AuthMode::Multi(list) => {
            let presented = header_digest(header);
            let mut found = None;
            for (token, env) in list {
                let matches = digests_equal(&presented, &digest(token.as_bytes()));
                if matches && found.is_none() {
                    found = Some(env);
                }
            }
            found.filter(|_| header.is_some())
        }
    }
}

/// Whether an admin request carries the admin token (`None` configured: never). A missing
/// header is compared as the empty string, as [`authorize`] does.
pub fn is_admin(admin_token: Option<&str>, header: Option<&str>) -> bool {
    let matches = digests_equal(&header_digest(header), &digest(admin_token.unwrap_or("").as_bytes()));
    matches && admin_token.is_some() && header.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"a", b"a\0"), "a trailing NUL is a different token");
    }

    #[test]
    fn digests_are_sha256() {
        // FIPS 180-2's example "abc".
        let hex: String = digest(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn the_comparison_walks_every_byte() {
        let a = digest(b"token");
        let mut first = a;
        first[0] ^= 1;
        let mut last = a;
        last[31] ^= 0x80;
        for (other, equal) in [(a, true), (first, false), (last, false), ([0; 32], false)] {
            assert_eq!(walk(&a, &other), (equal, 32));
        }
    }

    #[test]
    fn selects_environments() {
        let s = Settings::from_vars(|k| {
            (k == "SPLIT_EVALUATOR_ENVIRONMENTS").then(|| {
                r#"[{"API_KEY":"k1","AUTH_TOKEN":"a","ID":"one"},{"API_KEY":"k2","AUTH_TOKEN":"b","ID":"two"}]"#
                    .to_owned()
            })
        })
        .unwrap();
        assert_eq!(authorize(&s.auth, Some("a")).map(|e| e.id.as_str()), Some("one"));
        assert_eq!(authorize(&s.auth, Some("b")).map(|e| e.id.as_str()), Some("two"));
        for wrong in ["Bearer b", "", "bb", "B", "a\0"] {
            assert_eq!(authorize(&s.auth, Some(wrong)), None, "{wrong:?}");
        }
        assert_eq!(authorize(&s.auth, None), None);
    }

    #[test]
    fn single_token_and_admin() {
        let s = Settings::from_vars(|k| (k == "SPLIT_EVALUATOR_AUTH_TOKEN").then(|| "tok-1".to_owned())).unwrap();
        assert!(authorize(&s.auth, Some("tok-1")).is_some());
        for wrong in [None, Some(""), Some("tok-"), Some("tok-12"), Some("TOK-1"), Some("Bearer tok-1")] {
            assert!(authorize(&s.auth, wrong).is_none(), "{wrong:?}");
        }
        let open = Settings::from_vars(|_| None).unwrap();
        assert!(authorize(&open.auth, None).is_some(), "no token configured: open");
        assert!(is_admin(Some("x"), Some("x")));
        assert!(!is_admin(Some("x"), Some("x ")));
        assert!(!is_admin(None, Some("x")));
        assert!(!is_admin(None, Some("")));
        assert!(!is_admin(None, None));
        assert!(!is_admin(Some("x"), None));
    }
}
