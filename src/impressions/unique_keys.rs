//! Unique keys (JS `UniqueKeysCacheInMemory`, spec §6.4): for each flag, the set of keys that got
//! impressions handled as NONE (NONE mode or disabled), counting keys new to the set.

use rustc_hash::FxHashMap;

/// One `keys` row: a flag and its keys in insertion order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureKeys {
    /// The flag name.
    pub feature: String,
    /// The keys, in first-tracked order.
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Group {
    feature: String,
    /// Key → insertion sequence (keys are emitted sorted by it: a `Set`'s order).
    keys: FxHashMap<String, u32>,
}

/// The unique keys collected since the last [`UniqueKeys::take`].
#[derive(Debug, Clone, Default)]
pub struct UniqueKeys {
    groups: Vec<Group>,
    index: FxHashMap<String, usize>,
    /// Keys added since the last take (JS `uniqueTrackerSize`).
    size: usize,
    estimated_bytes: usize,
}

impl UniqueKeys {
    /// No keys.
    #[must_use]
    pub fn new() -> UniqueKeys {
        UniqueKeys::default()
    }

    /// Adds `key` to the set of `feature` (JS `track(key, feature)`); returns whether it was new.
    pub fn track(&mut self, key: &str, feature: &str) -> bool {
        let group = match self.index.get(feature) {
            Some(&g) => g,
            None => {
                let g = self.groups.len();
                self.groups.push(Group { feature: feature.to_owned(), keys: FxHashMap::default() });
                self.index.insert(feature.to_owned(), g);
                // {"f":"","ks":[]},
                self.estimated_bytes = self.estimated_bytes.saturating_add(feature.len().saturating_add(18));
                g
            }
        };
        let Some(group) = self.groups.get_mut(group) else { return false };
        if group.keys.contains_key(key) {
            return false;
        }
        let seq = u32::try_from(group.keys.len()).unwrap_or(u32::MAX);
        group.keys.insert(key.to_owned(), seq);
        self.size = self.size.saturating_add(1);
        self.estimated_bytes = self.estimated_bytes.saturating_add(key.len().saturating_add(3));
        true
    }

    /// How many keys were added since the last take (the JS flush trigger counts these).
    #[must_use]
    pub fn len(&self) -> usize {
        self.size
    }

    /// Whether nothing was tracked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The estimated size of the keys' part of a body, in bytes.
    #[must_use]
    pub fn estimated_bytes(&self) -> usize {
        self.estimated_bytes
    }

    /// Takes every flag's keys out (flags in first-tracked order, keys in insertion order),
    /// leaving the sets empty (JS `pop`).
    pub fn take(&mut self) -> Vec<FeatureKeys> {
        self.index.clear();
        self.size = 0;
        self.estimated_bytes = 0;
        std::mem::take(&mut self.groups)
            .into_iter()
            .map(|g| {
                let mut keys: Vec<(String, u32)> = g.keys.into_iter().collect();
                crate::order::sort_by_key(&mut keys, |(_, seq)| *seq);
                FeatureKeys { feature: g.feature, keys: keys.into_iter().map(|(k, _)| k).collect() }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_per_flag_in_insertion_order() {
        let mut u = UniqueKeys::new();
        assert!(u.track("k2", "f1"));
        assert!(u.track("k1", "f1"));
        assert!(!u.track("k2", "f1"));
        assert!(u.track("k2", "f0"));
        assert_eq!(u.len(), 3);
        assert_eq!(
            u.take(),
            vec![
                FeatureKeys { feature: "f1".into(), keys: vec!["k2".into(), "k1".into()] },
                FeatureKeys { feature: "f0".into(), keys: vec!["k2".into()] },
            ]
        );
        assert!(u.is_empty());
        assert_eq!(u.len(), 0);
        assert!(u.track("k2", "f1"), "new again after take");
    }
}
