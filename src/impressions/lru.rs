//! A fixed-capacity LRU map from 128-bit hashes to times, with O(1) `test_and_set`.
//!
//! Entries live in a slab (`Vec<Entry>`, never longer than the capacity) linked into a doubly
//! linked recency list by `u32` indices; an open-addressing table (linear probing, backward-shift
//! deletion) maps a hash to its slab index. Each table slot also holds 32 bits of the hash (its
//! fingerprint, which also gives its home slot), so probes and deletions touch the slab only on a
//! fingerprint match. Keys are MurmurHash3 outputs, already uniformly mixed, so their bits index
//! the table directly. Memory is bounded: at most `capacity` entries of 32 bytes plus a table of
//! at most `2 × capacity` (rounded up to a power of two) 8-byte slots, which grows by doubling as
//! entries are added.

/// "No entry" in the table and in links.
const NIL: u32 = u32::MAX;

/// The largest capacity (indices must stay below [`NIL`]; the table's mask must fit 31 bits).
pub(crate) const MAX_CAPACITY: usize = 1 << 30;

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: u128,
    value: u64,
    prev: u32,
    next: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// Slab index, or [`NIL`] for an empty slot.
    idx: u32,
    /// 32 bits of the key's hash.
    tag: u32,
}

const EMPTY: Slot = Slot { idx: NIL, tag: 0 };

/// The LRU map. See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Lru {
    capacity: usize,
    entries: Vec<Entry>,
    table: Vec<Slot>,
    /// Most recently used.
    head: u32,
    /// Least recently used.
    tail: u32,
}

/// 32 well-mixed bits of a key: its halves folded.
fn tag_of(key: u128) -> u32 {
    let folded = (key as u64) ^ ((key >> 64) as u64);
    (folded as u32) ^ ((folded >> 32) as u32)
}

fn idx(i: u32) -> usize {
    i as usize
}

impl Lru {
    /// An empty map holding at most `capacity` entries (at least 1, at most [`MAX_CAPACITY`]).
    pub(crate) fn new(capacity: usize) -> Lru {
        let capacity = capacity.clamp(1, MAX_CAPACITY);
        Lru { capacity, entries: Vec::new(), table: vec![EMPTY; 16], head: NIL, tail: NIL }
    }

    /// The most entries held.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn mask(&self) -> usize {
        self.table.len().saturating_sub(1)
    }

    /// The table slot holding `key`, if present.
    fn find(&self, key: u128) -> Option<usize> {
        let mask = self.mask();
        let tag = tag_of(key);
        let mut s = (tag as usize) & mask;
        // The table is at most half full, so an empty slot ends every probe.
        for _ in 0..self.table.len() {
            let slot = *self.table.get(s)?;
            if slot.idx == NIL {
                return None;
            }
            if slot.tag == tag && self.entries.get(idx(slot.idx)).is_some_and(|e| e.key == key) {
                return Some(s);
            }
            s = s.wrapping_add(1) & mask;
        }
        None
    }

    /// Puts slab index `i` (whose key is `key`) into the table.
    fn table_insert(&mut self, key: u128, i: u32) {
        let mask = self.mask();
        let tag = tag_of(key);
        let mut s = (tag as usize) & mask;
        for _ in 0..self.table.len() {
            match self.table.get_mut(s) {
                Some(slot) if slot.idx == NIL => {
                    *slot = Slot { idx: i, tag };
                    return;
                }
                Some(_) => s = s.wrapping_add(1) & mask,
                None => return,
            }
        }
    }

    /// Empties table slot `s`, shifting later members of its probe run back (so lookups never
    /// stop early at the hole).
    fn table_remove(&mut self, mut s: usize) {
        let mask = self.mask();
        if let Some(slot) = self.table.get_mut(s) {
            *slot = EMPTY;
        }
        let mut j = s;
        for _ in 0..self.table.len() {
            j = j.wrapping_add(1) & mask;
            let Some(&member) = self.table.get(j) else { return };
            if member.idx == NIL {
                return;
            }
            let home = (member.tag as usize) & mask;
            // The member at `j` may stay iff its home lies cyclically in (s, j].
            let stays = if s <= j { s < home && home <= j } else { s < home || home <= j };
            if !stays {
                if let Some(slot) = self.table.get_mut(s) {
                    *slot = member;
                }
                if let Some(slot) = self.table.get_mut(j) {
                    *slot = EMPTY;
                }
                s = j;
            }
        }
    }

    /// Doubles the table when holding one more entry would fill more than half of it.
    fn grow_if_needed(&mut self) {
        let needed = self.entries.len().saturating_add(1).saturating_mul(2);
        if needed <= self.table.len() {
            return;
        }
        let size = self.table.len().saturating_mul(2);
        self.table = vec![EMPTY; size];
        let keys: Vec<(u128, u32)> =
            self.entries.iter().enumerate().filter_map(|(n, e)| u32::try_from(n).ok().map(|i| (e.key, i))).collect();
        for (key, i) in keys {
            self.table_insert(key, i);
        }
    }

    fn unlink(&mut self, i: u32) {
        let Some(&Entry { prev, next, .. }) = self.entries.get(idx(i)) else { return };
        match self.entries.get_mut(idx(prev)) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.entries.get_mut(idx(next)) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn push_front(&mut self, i: u32) {
        let old_head = self.head;
        if let Some(e) = self.entries.get_mut(idx(i)) {
            e.prev = NIL;
            e.next = old_head;
        }
        match self.entries.get_mut(idx(old_head)) {
            Some(h) => h.prev = i,
            None => self.tail = i,
        }
        self.head = i;
    }

    /// Returns the value stored for `key` (if any) and stores `value`, making `key` the most
    /// recently used; a new key evicts the least recently used one when the map is full
    /// (JS `LRUCache.get` then `set`).
    pub(crate) fn test_and_set(&mut self, key: u128, value: u64) -> Option<u64> {
        if let Some(s) = self.find(key) {
            let i = self.table.get(s)?.idx;
            let previous = self.entries.get_mut(idx(i)).map(|e| std::mem::replace(&mut e.value, value));
            if self.head != i {
                self.unlink(i);
                self.push_front(i);
            }
            return previous;
        }
        let i = if self.entries.len() >= self.capacity {
            // Reuse the least recently used entry's slot.
            let victim = self.tail;
            let old_key = self.entries.get(idx(victim))?.key;
            if let Some(s) = self.find(old_key) {
                self.table_remove(s);
            }
            self.unlink(victim);
            if let Some(e) = self.entries.get_mut(idx(victim)) {
                e.key = key;
                e.value = value;
            }
            victim
        } else {
            self.grow_if_needed();
            let i = u32::try_from(self.entries.len()).ok()?;
            self.entries.push(Entry { key, value, prev: NIL, next: NIL });
            i
        };
        self.table_insert(key, i);
        self.push_front(i);
        None
    }

    /// The value stored for `key`, without touching recency.
    #[cfg(test)]
    pub(crate) fn peek(&self, key: u128) -> Option<u64> {
        let s = self.find(key)?;
        let i = self.table.get(s)?.idx;
        self.entries.get(idx(i)).map(|e| e.value)
    }

    /// Keys from most to least recently used.
    #[cfg(test)]
    pub(crate) fn keys_by_recency(&self) -> Vec<u128> {
        let mut out = Vec::new();
        let mut i = self.head;
        while let Some(e) = self.entries.get(idx(i)) {
            out.push(e.key);
            i = e.next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn evicts_least_recently_used() {
        let mut lru = Lru::new(3);
        assert_eq!(lru.test_and_set(1, 10), None);
        assert_eq!(lru.test_and_set(2, 20), None);
        assert_eq!(lru.test_and_set(3, 30), None);
        assert_eq!(lru.test_and_set(1, 11), Some(10)); // 1 is now most recent
        assert_eq!(lru.test_and_set(4, 40), None); // evicts 2
        assert_eq!(lru.keys_by_recency(), vec![4, 1, 3]);
        assert_eq!(lru.peek(2), None);
        assert_eq!(lru.test_and_set(2, 21), None); // evicts 3
        assert_eq!(lru.peek(3), None);
        assert_eq!(lru.len(), 3);
        assert_eq!(Lru::new(0).capacity(), 1);
    }

    /// Against a naive model, with keys colliding in the table (same low bits) to exercise
    /// probing and backward-shift deletion.
    #[test]
    fn matches_a_naive_model() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for capacity in [1usize, 2, 7, 64, 500] {
            let mut lru = Lru::new(capacity);
            let mut model: VecDeque<(u128, u64)> = VecDeque::new(); // front = most recent
            for t in 0..20_000u64 {
                let r = next();
                // Few distinct keys, many sharing their fingerprint (a key and its copy in the
                // high half fold to the same tag).
                let key = u128::from(r % (capacity as u64 * 3 + 1)) << (if r & 1 == 0 { 0 } else { 64 });
                let expected = model.iter().position(|(k, _)| *k == key).map(|p| {
                    let (_, v) = model.remove(p).unwrap();
                    v
                });
                if expected.is_none() && model.len() == capacity {
                    model.pop_back();
                }
                model.push_front((key, t));
                assert_eq!(lru.test_and_set(key, t), expected, "capacity {capacity}, step {t}");
            }
            let keys: Vec<u128> = model.iter().map(|(k, _)| *k).collect();
            assert_eq!(lru.keys_by_recency(), keys);
            for (k, v) in &model {
                assert_eq!(lru.peek(*k), Some(*v));
            }
        }
    }
}
