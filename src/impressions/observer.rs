//! The impression de-duplication observer (spec §6.3, JS `ImpressionObserver` with the
//! server-side `hashImpression128`): remembers, for the most recent distinct impressions, the last
//! time each was seen.

use super::lru::{Lru, MAX_CAPACITY};
use super::{Impression, ImpressionRef};
use crate::hash::{murmur3_x86_128, Murmur3X86_128};
use crate::wire;

/// The server-side observer's capacity in JS: 500,000 impression hashes.
pub const DEFAULT_DEDUP_CACHE_SIZE: usize = 500_000;

/// Appends the JS template-literal rendering of the de-duplication key of `imp`:
/// `keyName:feature:treatment:label:changeNumber`, a missing change number as `undefined`.
fn push_dedup_key(out: &mut String, imp: &ImpressionRef<'_>) {
    out.push_str(imp.key_name);
    out.push(':');
    out.push_str(imp.feature);
    out.push(':');
    out.push_str(imp.treatment);
    out.push(':');
    out.push_str(imp.label);
    out.push(':');
    match imp.change_number {
        None => out.push_str("undefined"),
        // A JS number's `${}` rendering, which for these integers is JSON's.
        Some(c) => wire::push_js_i64(out, c),
    }
}

/// The string the observer hashes for `imp`: `keyName:feature:treatment:label:changeNumber`
/// (JS `buildKey`).
///
/// ```
/// use split_edge::impressions::{dedup_key, Impression};
/// let imp = Impression { feature: "f".into(), key_name: "k".into(), treatment: "on".into(),
///     label: "l".into(), ..Impression::default() };
/// assert_eq!(dedup_key(&imp), "k:f:on:l:undefined");
/// ```
#[must_use]
pub fn dedup_key(imp: &Impression) -> String {
    let mut s = String::new();
    push_dedup_key(&mut s, &imp.as_ref());
    s
}

/// MurmurHash3 x86_128 (seed 0) of a de-duplication key, as one 128-bit number: the words
/// `h1..h4` big-endian, i.e. the number JS's 32-hex-digit `hash128` string spells.
/// MurmurHash3 x86_128 of the `dedup_key` string of `imp`, without allocating: the key is
/// assembled on the stack (or, when longer than that buffer, hashed in pieces).
fn dedup_hash(imp: &ImpressionRef<'_>) -> u128 {
    let mut digits = itoa::Buffer::new();
    let mut rendered = String::new();
    let change_number: &str = match imp.change_number {
        None => "undefined",
        // Exactly representable in a JS number: its digits (JSON's rendering).
        Some(c) if c.unsigned_abs() <= wire::MAX_SAFE_INTEGER => digits.format(c),
        Some(c) => {
            wire::push_js_i64(&mut rendered, c);
            &rendered
        }
    };
    let parts = [imp.key_name, ":", imp.feature, ":", imp.treatment, ":", imp.label, ":", change_number];
    let mut stack = [0u8; 256];
    let mut len = 0usize;
    for part in parts {
        let end = len.saturating_add(part.len());
        match stack.get_mut(len..end) {
            Some(dst) => dst.copy_from_slice(part.as_bytes()),
            None => {
                let mut h = Murmur3X86_128::new(0);
                for part in parts {
                    h.write(part.as_bytes());
                }
                return words_to_u128(h.finish());
            }
        }
        len = end;
    }
    words_to_u128(murmur3_x86_128(stack.get(..len).unwrap_or_default(), 0))
}

fn words_to_u128([h1, h2, h3, h4]: [u32; 4]) -> u128 {
    (u128::from(h1) << 96) | (u128::from(h2) << 64) | (u128::from(h3) << 32) | u128::from(h4)
}

/// The observer: an LRU of impression hashes to the last time seen, bounded by its capacity.
#[derive(Debug, Clone)]
pub struct ImpressionObserver {
    cache: Lru,
}

impl Default for ImpressionObserver {
    fn default() -> Self {
        ImpressionObserver::new(DEFAULT_DEDUP_CACHE_SIZE)
    }
}

impl ImpressionObserver {
    /// An observer remembering at most `capacity` impressions (0 is taken as 1, as JS does;
    /// capped at 2^30).
    #[must_use]
    pub fn new(capacity: usize) -> ImpressionObserver {
        ImpressionObserver { cache: Lru::new(capacity.min(MAX_CAPACITY)) }
    }

    /// The most impressions remembered.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// How many impressions are remembered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether nothing is remembered yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cache.len() == 0
    }

    /// The previous time this impression (by key, flag, treatment, label and change number) was
    /// seen, if remembered; records `imp.time` as the latest (JS `testAndSet`).
    pub fn test_and_set(&mut self, imp: &ImpressionRef<'_>) -> Option<u64> {
        self.cache.test_and_set(dedup_hash(imp), imp.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::murmur3_x86_128_hex;

    fn imp(time: u64) -> Impression {
        Impression {
            feature: "f".into(),
            key_name: "k".into(),
            treatment: "on".into(),
            time,
            label: "default rule".into(),
            change_number: Some(1_700_000_000_000),
            ..Impression::default()
        }
    }

    #[test]
    fn keys_render_as_js_templates() {
        assert_eq!(dedup_key(&imp(1)), "k:f:on:default rule:1700000000000");
        let mut i = imp(1);
        i.change_number = Some(-5);
        assert_eq!(dedup_key(&i), "k:f:on:default rule:-5");
        i.change_number = Some(9_007_199_254_740_993);
        assert_eq!(dedup_key(&i), "k:f:on:default rule:9007199254740992");
        i.change_number = None;
        assert_eq!(dedup_key(&i), "k:f:on:default rule:undefined");
    }

    #[test]
    fn hash_is_the_js_hex_as_a_number() {
        let key = dedup_key(&imp(1));
        let hex = murmur3_x86_128_hex(key.as_bytes(), 0);
        assert_eq!(format!("{:032x}", words_to_u128(murmur3_x86_128(key.as_bytes(), 0))), hex);
    }

    #[test]
    fn dedup_hash_equals_the_hash_of_the_key_string() {
        let long = "k".repeat(400);
        for (key, cn) in [("k", Some(1)), ("", None), (long.as_str(), Some(-5)), ("ü", Some(i64::MAX))] {
            let mut i = imp(1);
            i.key_name = key.to_owned();
            i.change_number = cn;
            let expected = words_to_u128(murmur3_x86_128(dedup_key(&i).as_bytes(), 0));
            assert_eq!(dedup_hash(&i.as_ref()), expected, "{key:.10} {cn:?}");
        }
    }

    #[test]
    fn test_and_set_returns_previous_time() {
        let mut o = ImpressionObserver::new(10);
        assert_eq!(o.test_and_set(&imp(100).as_ref()), None);
        assert_eq!(o.test_and_set(&imp(200).as_ref()), Some(100));
        assert_eq!(o.test_and_set(&imp(300).as_ref()), Some(200));
        let mut other = imp(400);
        other.treatment = "off".into();
        assert_eq!(o.test_and_set(&other.as_ref()), None);
        other.change_number = None;
        assert_eq!(o.test_and_set(&other.as_ref()), None, "change number is part of the key");
        assert_eq!(o.len(), 3);
        assert_eq!(ImpressionObserver::new(0).capacity(), 1);
    }
}
