//! Large segments whose key lists live outside the snapshot (the Worker keeps them sharded in
//! Workers KV): the memberships looked up so far, in a bounded cache, and the lookups an
//! evaluation needed but did not find there.
//!
//! Evaluation is synchronous and the key lists are not: a host evaluates once to learn which
//! `(large segment, key)` pairs are unknown ([`Snapshot::take_large_misses`](super::Snapshot::take_large_misses)),
//! looks them up, records them ([`Snapshot::record_large_membership`](super::Snapshot::record_large_membership)),
//! and evaluates again until nothing is missing. An unknown pair answers "not a member", as a
//! large segment that is not loaded does.

use std::sync::Mutex;

use rustc_hash::FxHashMap;

/// The default bound on the memberships one large segment caches: 10,000 keys (two generations
/// of at most 5,000 each, a few hundred KB).
pub const DEFAULT_CACHE_KEYS: usize = 10_000;

/// One remote large segment: its change number, the memberships known, the lookups missed.
#[derive(Debug)]
pub struct RemoteLargeSegment {
    change_number: i64,
    /// Half of the bound: each generation holds at most this many keys.
    generation_keys: usize,
    current: FxHashMap<String, bool>,
    previous: FxHashMap<String, bool>,
    misses: Mutex<Vec<String>>,
}

impl Clone for RemoteLargeSegment {
    fn clone(&self) -> Self {
        RemoteLargeSegment {
            change_number: self.change_number,
            generation_keys: self.generation_keys,
            current: self.current.clone(),
            previous: self.previous.clone(),
            misses: Mutex::new(Vec::new()),
        }
    }
}

impl RemoteLargeSegment {
    /// A large segment at `change_number` with nothing cached, caching at most `cache_keys`
    /// memberships (at least 2).
    pub fn new(change_number: i64, cache_keys: usize) -> RemoteLargeSegment {
        RemoteLargeSegment {
            change_number,
            generation_keys: (cache_keys / 2).max(1),
            current: FxHashMap::default(),
            previous: FxHashMap::default(),
            misses: Mutex::new(Vec::new()),
        }
    }

    /// The change number of the key list the cached memberships come from.
    pub fn change_number(&self) -> i64 {
        self.change_number
    }

    /// How many memberships are cached.
    pub fn cached(&self) -> usize {
        self.current.len().saturating_add(self.previous.len())
    }

    /// Whether `key` is a member, if known.
    pub fn known(&self, key: &str) -> Option<bool> {
        self.current.get(key).or_else(|| self.previous.get(key)).copied()
    }

    /// Whether `key` is a member; an unknown key is logged as missed and answers false.
    pub(crate) fn contains(&self, key: &str) -> bool {
        match self.known(key) {
            Some(member) => member,
            None => {
                if let Ok(mut misses) = self.misses.lock() {
                    if !misses.iter().any(|k| k == key) {
                        misses.push(key.to_owned());
                    }
                }
                false
            }
        }
    }

    /// Records a membership looked up. When the current generation is full it becomes the
    /// previous one (the older one is dropped): recently used keys stay, memory stays bounded.
    pub fn record(&mut self, key: String, member: bool) {
        if self.current.len() >= self.generation_keys && !self.current.contains_key(&key) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, member);
    }

    /// The keys missed since the last call.
    pub fn take_misses(&self) -> Vec<String> {
        self.misses.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_logged_once_and_answer_false() {
        let mut ls = RemoteLargeSegment::new(5, 100);
        assert!(!ls.contains("a"));
        assert!(!ls.contains("a"));
        assert!(!ls.contains("b"));
        assert_eq!(ls.take_misses(), ["a", "b"]);
        assert!(ls.take_misses().is_empty());
        ls.record("a".into(), true);
        ls.record("b".into(), false);
        assert!(ls.contains("a"));
        assert!(!ls.contains("b"));
        assert!(ls.take_misses().is_empty());
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_the_recent_generation() {
        let mut ls = RemoteLargeSegment::new(1, 10);
        for i in 0..1000 {
            ls.record(format!("k{i}"), i % 2 == 0);
            assert!(ls.cached() <= 10);
        }
        assert_eq!(ls.known("k998"), Some(true));
        assert_eq!(ls.known("k999"), Some(false));
        assert_eq!(ls.known("k0"), None);
    }
}
