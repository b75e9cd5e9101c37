//! Fallback treatments (spec §2.11): what to answer instead of `control`.

use std::fmt;

use rustc_hash::FxHashMap;

use crate::labels::FALLBACK_PREFIX;

/// A fallback: a treatment and an optional config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackTreatment {
    /// The treatment answered instead of `control`.
    pub treatment: String,
    /// The config answered with it.
    pub config: Option<String>,
}

impl FallbackTreatment {
    /// A fallback without config.
    pub fn new(treatment: impl Into<String>) -> FallbackTreatment {
        FallbackTreatment { treatment: treatment.into(), config: None }
    }
}

/// Fallback treatments: per flag, then global.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FallbackTreatments {
    global: Option<FallbackTreatment>,
    by_flag: FxHashMap<String, FallbackTreatment>,
}

/// Why a fallback configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackError {
    /// A flag name over 100 characters or with a space.
    InvalidFlagName(String),
    /// A treatment that does not match `^[0-9]+[.a-zA-Z0-9_-]*$|^[a-zA-Z]+[a-zA-Z0-9_-]*$` or is
    /// over 100 characters.
    InvalidTreatment(String),
}

impl fmt::Display for FallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FallbackError::InvalidFlagName(n) => {
                write!(f, "fallback treatments: invalid flag name {n:?} (max 100 chars, no spaces)")
            }
            FallbackError::InvalidTreatment(t) => write!(
                f,
                "fallback treatments: invalid treatment {t:?} (max 100 chars, must match ^[0-9]+[.a-zA-Z0-9_-]*$ or ^[a-zA-Z]+[a-zA-Z0-9_-]*$)"
            ),
        }
    }
}

impl std::error::Error for FallbackError {}

/// Whether a fallback treatment is valid.
pub fn is_valid_treatment(t: &str) -> bool {
    if t.chars().count() > 100 {
        return false;
    }
    let b = t.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 {
        return b.iter().skip(digits).all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    }
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    letters > 0 && b.iter().skip(letters).all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
}

impl FallbackTreatments {
    /// No fallbacks: `control` stays `control`.
    pub fn none() -> FallbackTreatments {
        FallbackTreatments::default()
    }

    /// Builds and validates fallbacks.
    ///
    /// # Errors
    /// [`FallbackError`] for the first invalid flag name or treatment.
    pub fn new(
        global: Option<FallbackTreatment>,
        by_flag: impl IntoIterator<Item = (String, FallbackTreatment)>,
    ) -> Result<FallbackTreatments, FallbackError> {
        if let Some(g) = &global {
            if !is_valid_treatment(&g.treatment) {
                return Err(FallbackError::InvalidTreatment(g.treatment.clone()));
            }
        }
        let mut map = FxHashMap::default();
        for (flag, t) in by_flag {
            if flag.chars().count() > 100 || flag.contains(' ') {
                return Err(FallbackError::InvalidFlagName(flag));
            }
            if !is_valid_treatment(&t.treatment) {
                return Err(FallbackError::InvalidTreatment(t.treatment));
            }
            map.insert(flag, t);
        }
        Ok(FallbackTreatments { global, by_flag: map })
    }

    /// The fallback for a flag, if any (per flag first, then global).
    pub fn for_flag(&self, flag: &str) -> Option<&FallbackTreatment> {
        self.by_flag.get(flag).or(self.global.as_ref())
    }

    /// The label of a fallback answer: `"fallback - " + label`.
    pub fn label(label: &str) -> String {
        format!("{FALLBACK_PREFIX}{label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treatment_pattern() {
        for ok in ["on", "v1", "a-b_c", "1", "1.5", "10.x-y"] {
            assert!(is_valid_treatment(ok), "{ok}");
        }
        for bad in ["", "-on", "a.b", "on off", "é", &"a".repeat(101)] {
            assert!(!is_valid_treatment(bad), "{bad}");
        }
    }

    #[test]
    fn per_flag_wins_over_global() {
        let f = FallbackTreatments::new(
            Some(FallbackTreatment::new("off")),
            [("f1".to_owned(), FallbackTreatment { treatment: "on".into(), config: Some("{}".into()) })],
        )
        .unwrap();
        assert_eq!(f.for_flag("f1").unwrap().treatment, "on");
        assert_eq!(f.for_flag("f2").unwrap().treatment, "off");
        assert!(FallbackTreatments::new(None, [("a b".to_owned(), FallbackTreatment::new("on"))]).is_err());
        assert!(FallbackTreatments::new(Some(FallbackTreatment::new("a.b")), []).is_err());
    }
}
