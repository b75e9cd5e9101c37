//! Authorization (spec §8.3): the raw `Authorization` header must equal a configured token,
//! compared in constant time; the matching token selects the environment.

use crate::config::{AuthMode, EnvConfig};

/// Compares two byte strings in time that depends only on their lengths, not on where they
/// differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff: u8 = u8::from(a.len() != b.len());
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    diff == 0
}

/// The environment a request with this `Authorization` header may use, or `None` (401).
/// Every configured token is compared, whichever matches.
pub fn authorize<'a>(mode: &'a AuthMode, header: Option<&str>) -> Option<&'a EnvConfig> {
    match mode {
        AuthMode::Open(env) => Some(env),
        AuthMode::Single { token, env } => {
            header.filter(|h| constant_time_eq(h.as_bytes(), token.as_bytes())).map(|_| env)
        }
        AuthMode::Multi(list) => {
            let header = header?;
            let mut found = None;
            for (token, env) in list {
                if constant_time_eq(header.as_bytes(), token.as_bytes()) && found.is_none() {
                    found = Some(env);
                }
            }
            found
        }
    }
}

/// Whether an admin request carries the admin token (`None` configured: never).
pub fn is_admin(admin_token: Option<&str>, header: Option<&str>) -> bool {
    match (admin_token, header) {
        (Some(t), Some(h)) => constant_time_eq(t.as_bytes(), h.as_bytes()),
        _ => false,
    }
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
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
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
        assert_eq!(authorize(&s.auth, Some("b")).map(|e| e.id.as_str()), Some("two"));
        assert_eq!(authorize(&s.auth, Some("Bearer b")), None);
        assert_eq!(authorize(&s.auth, None), None);
        assert!(is_admin(Some("x"), Some("x")));
        assert!(!is_admin(None, Some("x")));
        assert!(!is_admin(Some("x"), None));
    }
}
