//! Sets of UTF-16 code units: the compiled form of character classes,
//! class escapes (`\d \w \s` and their negations) and `.`.

/// A set of UTF-16 code units, kept as sorted, disjoint, non-adjacent
/// inclusive ranges plus a bitmap of its ASCII members for fast lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CharSet {
    ranges: Box<[(u16, u16)]>,
    ascii: u128,
}

/// `\d`: ASCII digits.
pub(crate) const DIGIT: &[(u16, u16)] = &[(0x30, 0x39)];
/// `\w`: ASCII word characters `[0-9A-Z_a-z]`.
pub(crate) const WORD: &[(u16, u16)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];
/// `\s`: ECMAScript WhiteSpace and LineTerminator code points (all in the BMP).
pub(crate) const SPACE: &[(u16, u16)] = &[
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
];
/// The LineTerminator code points, which `.` does not match.
pub(crate) const LINE_TERMINATORS: &[(u16, u16)] = &[(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)];

/// Whether `unit` is a word character for `\b` / `\B` (ASCII `[0-9A-Za-z_]`).
#[inline]
pub(crate) fn is_word_unit(unit: u16) -> bool {
    matches!(unit, 0x30..=0x39 | 0x41..=0x5A | 0x5F | 0x61..=0x7A)
}

impl CharSet {
    /// Builds a set from arbitrary (possibly overlapping, unsorted) inclusive
    /// ranges; `negate` complements it within `0..=0xFFFF`.
    pub(crate) fn new(mut ranges: Vec<(u16, u16)>, negate: bool) -> CharSet {
        crate::order::sort(&mut ranges);
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            if let Some(last) = merged.last_mut() {
                if u32::from(lo) <= u32::from(last.1).saturating_add(1) {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                    continue;
                }
            }
            merged.push((lo, hi));
        }
        if negate {
            merged = complement(&merged);
        }
        let mut ascii = 0u128;
        for &(lo, hi) in &merged {
            for unit in lo..=hi.min(127) {
                ascii |= 1u128 << unit;
            }
        }
        CharSet { ranges: merged.into_boxed_slice(), ascii }
    }

    /// Whether the set contains `unit`.
    #[inline]
    pub(crate) fn contains(&self, unit: u16) -> bool {
        if unit < 128 {
            return (self.ascii >> unit) & 1 != 0;
        }
        let after = self.ranges.partition_point(|&(lo, _)| lo <= unit);
        after.checked_sub(1).and_then(|i| self.ranges.get(i)).is_some_and(|&(_, hi)| unit <= hi)
    }

    /// The sorted, disjoint ranges of the set.
    pub(crate) fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }
}

/// The complement within `0..=0xFFFF` of sorted, disjoint, non-adjacent ranges.
pub(crate) fn complement(ranges: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut out = Vec::with_capacity(ranges.len().saturating_add(1));
    let mut next: u32 = 0;
    for &(lo, hi) in ranges {
        if u32::from(lo) > next {
            if let (Ok(a), Ok(b)) = (u16::try_from(next), u16::try_from(u32::from(lo).saturating_sub(1))) {
                out.push((a, b));
            }
        }
        next = u32::from(hi).saturating_add(1);
    }
    if let Ok(a) = u16::try_from(next) {
        out.push((a, 0xFFFF));
    }
    out
}
