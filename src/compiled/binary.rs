//! Serde support of the compiled types for the binary form (feature `binary`).
//!
//! The compiled types derive `Serialize`/`Deserialize` directly, except for what these helpers
//! carry differently:
//! - a `MATCHES_STRING` regex is carried as its source and compiled again when decoded (one
//!   program per distinct source within a decode, shared as a load shares it);
//! - a semver is carried as its normalized version string and parsed again (parsing a normalized
//!   version gives back the same value);
//! - hash sets and maps are written sorted, so that equal rules always encode to equal bytes;
//! - a definition model is carried as JSON text, parsed only when a manager view needs it.

use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::definition::Definition;
use crate::regex::EcmaRegex;
use crate::semver::Semver;

thread_local! {
    /// The regexes compiled by the decode running on this thread (`None`: no decode running).
    static REGEXES: RefCell<Option<FxHashMap<String, EcmaRegex>>> = const { RefCell::new(None) };
}

/// While alive, regexes decoded on this thread with the same source share one compiled program.
pub(crate) struct RegexSharing(());

impl RegexSharing {
    /// Starts sharing (until the value is dropped).
    pub(crate) fn start() -> RegexSharing {
        REGEXES.with(|c| {
            if let Ok(mut map) = c.try_borrow_mut() {
                *map = Some(FxHashMap::default());
            }
        });
        RegexSharing(())
    }
}

impl Drop for RegexSharing {
    fn drop(&mut self) {
        REGEXES.with(|c| {
            if let Ok(mut map) = c.try_borrow_mut() {
                *map = None;
            }
        });
    }
}

/// A `MATCHES_STRING` regex as its source.
pub(crate) mod regex_source {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(re: &EcmaRegex, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(re.as_str())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<EcmaRegex>, D::Error> {
        let pattern = String::deserialize(d)?;
        let shared =
            REGEXES.with(|c| c.try_borrow().ok().and_then(|map| map.as_ref().and_then(|m| m.get(&pattern).cloned())));
        if let Some(re) = shared {
            return Ok(Box::new(re));
        }
        let re = EcmaRegex::new(&pattern).map_err(|e| {
            D::Error::custom(format!("the MATCHES_STRING pattern {pattern:?} does not compile in this build: {e}"))
        })?;
        REGEXES.with(|c| {
            if let Ok(mut map) = c.try_borrow_mut() {
                if let Some(m) = map.as_mut() {
                    m.insert(pattern, re.clone());
                }
            }
        });
        Ok(Box::new(re))
    }
}

fn parse_semver<E: serde::de::Error>(version: &str) -> Result<Semver, E> {
    Semver::parse(version).map_err(|e| E::custom(format!("the semver {version:?} does not parse in this build: {e}")))
}

/// A semver as its normalized version string.
pub(crate) mod semver_source {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Semver, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.version())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Semver>, D::Error> {
        let version = String::deserialize(d)?;
        parse_semver(&version).map(Box::new)
    }
}

/// A pair of semvers (`BETWEEN_SEMVER` bounds) as their normalized version strings.
pub(crate) mod semver_pair {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &(Semver, Semver), s: S) -> Result<S::Ok, S::Error> {
        (v.0.version(), v.1.version()).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<(Semver, Semver)>, D::Error> {
        let (start, end) = <(String, String)>::deserialize(d)?;
        Ok(Box::new((parse_semver(&start)?, parse_semver(&end)?)))
    }
}

/// Writes a set of strings sorted.
pub(crate) fn sorted_set<S: Serializer>(set: &FxHashSet<String>, s: S) -> Result<S::Ok, S::Error> {
    let mut items: Vec<&String> = set.iter().collect();
    items.sort_unstable();
    s.collect_seq(items)
}

/// Writes a map of strings sorted by key.
pub(crate) fn sorted_map<S: Serializer>(map: &FxHashMap<String, String>, s: S) -> Result<S::Ok, S::Error> {
    let mut items: Vec<(&String, &String)> = map.iter().collect();
    items.sort_unstable();
    s.collect_map(items)
}

impl<T: Serialize> Serialize for Definition<T> {
    /// The definition's JSON text (as decoded, or written from the parsed model).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.json(), self.get_parsed()) {
            (Some(json), _) => s.serialize_str(json),
            (None, Some(model)) => s.serialize_str(&serde_json::to_string(model).map_err(S::Error::custom)?),
            (None, None) => Err(S::Error::custom("a definition holds neither a model nor JSON text")),
        }
    }
}

impl<'de, T> Deserialize<'de> for Definition<T> {
    /// The definition's JSON text, kept unparsed.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Definition::from_json(String::deserialize(d)?.into_boxed_str()))
    }
}
