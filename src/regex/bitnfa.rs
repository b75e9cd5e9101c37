//! Bit-parallel NFA: the fast path for NFA programs with at most
//! [`MAX_STATES`] consuming instructions and no lookarounds.
//!
//! The set of live consuming instructions is one `u64`. Everything a step
//! needs is precomputed: for each code unit, the mask of instructions that
//! accept it; for each instruction, the mask reached after it through the
//! non-consuming instructions (its *follow* closure). Assertions (`^ $ \b \B`)
//! only depend on whether the position is the start, the end, and a word
//! boundary, so follow closures are precomputed for each such context.
//! A step is then `next = OR(follow[ctx][s] for s in state & accepts(unit))`.
//!
//! Programs with up to [`MAX_LOOKS`] lookarounds also qualify: each
//! lookaround's truth at the position (from its precomputed table) is one
//! more context bit. Such programs, and lookaround bodies (which may read
//! backwards and record every position where they match), run through
//! [`BitNfa::scan`].

use super::ast::Assertion;
use super::charset::{is_word_unit, CharSet};
use super::compile::Inst;
use super::nfa::Positions;

/// Maximum number of consuming instructions (bit 63 is the match flag).
pub(crate) const MAX_STATES: usize = 63;

/// Maximum number of distinct lookarounds a program may test.
pub(crate) const MAX_LOOKS: usize = 3;

const MATCH: u64 = 1 << 63;

/// Context bits of a position, relative to the direction of reading: no unit
/// was read before it, no unit follows it, it is a word boundary; then one
/// bit per lookaround that holds there.
const CTX_FIRST: u8 = 1;
const CTX_LAST: u8 = 2;
const CTX_BOUNDARY: u8 = 4;
const CTX_LOOK0: u8 = 8;

/// A compiled bit-parallel NFA.
#[derive(Debug, Clone)]
pub(crate) struct BitNfa {
    /// Accepting-instruction mask per ASCII unit.
    ascii: Box<[u64]>,
    /// Starts of the intervals partitioning `0x80..=0xFFFF`, and their masks.
    hi_starts: Box<[u16]>,
    hi_masks: Box<[u64]>,
    /// Full context bits to compact context index.
    ctx_map: Box<[u8]>,
    /// The lookaround ids whose truth is context bit `CTX_LOOK0 << i`.
    looks: Box<[u32]>,
    /// Per compact context, the closure of the program start.
    start: Box<[u64]>,
    /// Per compact context and state, the closure after that state.
    follow: Box<[u64]>,
    states: usize,
    /// Whether a match may start after position 0 (not anchored by `^`).
    restart: bool,
    /// Whether the program has `\b` or `\B`.
    boundary: bool,
}

impl BitNfa {
    /// Builds the fast form of an NFA program reading forwards (or, if
    /// `backward`, leftwards), if it qualifies.
    pub(crate) fn build(prog: &[Inst], sets: &[CharSet], backward: bool) -> Option<BitNfa> {
        let mut state_of: Vec<Option<u32>> = vec![None; prog.len()];
        let mut pcs: Vec<usize> = Vec::new();
        let mut looks: Vec<u32> = Vec::new();
        let (start_bit, end_bit) = if backward { (CTX_LAST, CTX_FIRST) } else { (CTX_FIRST, CTX_LAST) };
        let mut used = 0u8;
        for (pc, inst) in prog.iter().enumerate() {
            match inst {
                Inst::Unit { .. } | Inst::Set { .. } => {
                    if let Some(s) = state_of.get_mut(pc) {
                        *s = u32::try_from(pcs.len()).ok();
                    }
                    pcs.push(pc);
                }
                Inst::Assert(Assertion::Start) => used |= start_bit,
                Inst::Assert(Assertion::End) => used |= end_bit,
                Inst::Assert(_) => used |= CTX_BOUNDARY,
                Inst::Look { id, .. } => {
                    if !looks.contains(id) {
                        if looks.len() >= MAX_LOOKS {
                            return None;
                        }
                        used |= CTX_LOOK0 << looks.len();
                        looks.push(*id);
                    }
                }
                Inst::Split(..) | Inst::Jmp(_) | Inst::Match => {}
                _ => return None,
            }
        }
        if pcs.len() > MAX_STATES {
            return None;
        }
        let states = pcs.len();
        let full_contexts = 1usize << looks.len().saturating_add(3);
        let mut ctx_map = vec![0u8; full_contexts];
        for (full, slot) in (0u8..).zip(ctx_map.iter_mut()) {
            let mut compact = 0u8;
            let mut bit = 0u8;
            for flag in (0..8).map(|i| 1u8 << i) {
                if used & flag != 0 {
                    if full & flag != 0 {
                        compact |= 1 << bit;
                    }
                    bit = bit.saturating_add(1);
                }
            }
            *slot = compact;
        }
        let look_bit = |id: u32| -> u8 { looks.iter().position(|&l| l == id).map_or(0, |i| CTX_LOOK0 << i) };
        let meaning = Meaning { start_bit, end_bit, look_bit: &look_bit };
        let contexts = 1usize << used.count_ones();
        let mut start = vec![0u64; contexts];
        let mut follow = vec![0u64; contexts.saturating_mul(states)];
        for full in (0u8..).take(full_contexts) {
            if full & !used != 0 {
                continue;
            }
            let k = usize::from(ctx_map.get(usize::from(full)).copied().unwrap_or(0));
            if let Some(slot) = start.get_mut(k) {
                *slot = closure(prog, &state_of, 0, full, &meaning);
            }
            for (s, &pc) in pcs.iter().enumerate() {
                if let Some(slot) = follow.get_mut(k.saturating_mul(states).saturating_add(s)) {
                    *slot = closure(prog, &state_of, pc.saturating_add(1), full, &meaning);
                }
            }
        }
        let restart = (0u8..).take(full_contexts).filter(|c| c & CTX_FIRST == 0).any(|c| {
            start.get(usize::from(ctx_map.get(usize::from(c & used)).copied().unwrap_or(0))).is_some_and(|&m| m != 0)
        });
        let accepts = |unit: u16| -> u64 {
            let mut mask = 0u64;
            for (s, &pc) in pcs.iter().enumerate() {
                let ok = match prog.get(pc) {
                    Some(Inst::Unit { unit: u, .. }) => *u == unit,
                    Some(Inst::Set { set, .. }) => {
                        usize::try_from(*set).ok().and_then(|i| sets.get(i)).is_some_and(|set| set.contains(unit))
                    }
                    _ => false,
                };
                if ok {
                    mask |= 1u64 << s;
                }
            }
            mask
        };
        let ascii: Vec<u64> = (0u16..128).map(accepts).collect();
        // Partition the non-ASCII units into intervals of equal masks.
        let mut bounds: Vec<u16> = vec![0x80];
        for &pc in &pcs {
            match prog.get(pc) {
                Some(Inst::Unit { unit, .. }) => {
                    bounds.push(*unit);
                    bounds.extend(unit.checked_add(1));
                }
                Some(Inst::Set { set, .. }) => {
                    if let Some(set) = usize::try_from(*set).ok().and_then(|i| sets.get(i)) {
                        for &(lo, hi) in set.ranges() {
                            bounds.push(lo);
                            bounds.extend(hi.checked_add(1));
                        }
                    }
                }
                _ => {}
            }
        }
        bounds.retain(|&b| b >= 0x80);
        crate::order::sort(&mut bounds);
        bounds.dedup();
        let mut hi_starts = Vec::new();
        let mut hi_masks: Vec<u64> = Vec::new();
        for b in bounds {
            let mask = accepts(b);
            if hi_masks.last() != Some(&mask) {
                hi_starts.push(b);
                hi_masks.push(mask);
            }
        }
        Some(BitNfa {
            ascii: ascii.into_boxed_slice(),
            hi_starts: hi_starts.into_boxed_slice(),
            hi_masks: hi_masks.into_boxed_slice(),
            ctx_map: ctx_map.into_boxed_slice(),
            looks: looks.into_boxed_slice(),
            start: start.into_boxed_slice(),
            follow: follow.into_boxed_slice(),
            states,
            restart,
            boundary: used & CTX_BOUNDARY != 0,
        })
    }

    #[inline]
    fn accepts(&self, unit: u16) -> u64 {
        if unit < 128 {
            return self.ascii.get(usize::from(unit)).copied().unwrap_or(0);
        }
        let after = self.hi_starts.partition_point(|&s| s <= unit);
        after.checked_sub(1).and_then(|i| self.hi_masks.get(i)).copied().unwrap_or(0)
    }

    /// The compact context of the position between units `prev` and `next`
    /// (`None`: the start / the end of the input).
    #[inline]
    fn context(&self, prev: Option<u16>, next: Option<u16>) -> usize {
        self.compact(self.edge_bits(prev, next))
    }

    /// The start, end and word-boundary bits of the position between `prev` and `next`.
    #[inline]
    fn edge_bits(&self, prev: Option<u16>, next: Option<u16>) -> u8 {
        let mut full = 0u8;
        if prev.is_none() {
            full |= CTX_FIRST;
        }
        if next.is_none() {
            full |= CTX_LAST;
        }
        if self.boundary && prev.is_some_and(is_word_unit) != next.is_some_and(is_word_unit) {
            full |= CTX_BOUNDARY;
        }
        full
    }

    /// The compact context index of a full set of context bits.
    #[inline]
    fn compact(&self, full: u8) -> usize {
        usize::from(self.ctx_map.get(usize::from(full)).copied().unwrap_or(0))
    }

    #[inline]
    fn start_mask(&self, ctx: usize) -> u64 {
        self.start.get(ctx).copied().unwrap_or(0)
    }

    /// `RegExp.prototype.test` over a sequence of UTF-16 code units.
    pub(crate) fn is_match<I: Iterator<Item = u16>>(&self, mut units: I) -> bool {
        let mut next = units.next();
        let mut state = self.start_mask(self.context(None, next));
        if state & MATCH != 0 {
            return true;
        }
        let mut cache = StepCache::new();
        while let Some(unit) = next {
            let after = units.next();
            let ctx = self.context(Some(unit), after);
            let active = state & self.accepts(unit);
            let mut new_state = if self.restart { self.start_mask(ctx) } else { 0 };
            if active != 0 {
                new_state |= self.follow_all(active, ctx, &mut cache);
            }
            if new_state & MATCH != 0 {
                return true;
            }
            if new_state == 0 && !self.restart {
                return false;
            }
            state = new_state;
            next = after;
        }
        false
    }

    /// General run over `hay`, reading forwards or (if `backward`) leftwards,
    /// with lookaround truth from `tables`. With `found`, records every
    /// position where a match ends (a match *starts* there when reading
    /// leftwards) and returns `false`; without, returns on the first match.
    pub(crate) fn scan(
        &self,
        hay: &[u16],
        backward: bool,
        tables: &[Option<Positions>],
        mut found: Option<&mut Positions>,
    ) -> bool {
        let n = hay.len();
        let unit_at = |i: usize| -> Option<u16> {
            if backward {
                i.checked_sub(1).and_then(|i| hay.get(i)).copied()
            } else {
                hay.get(i).copied()
            }
        };
        let context = |pos: usize, prev: Option<u16>, next: Option<u16>| -> usize {
            let mut full = self.edge_bits(prev, next);
            for (i, &id) in self.looks.iter().enumerate() {
                let holds = usize::try_from(id)
                    .ok()
                    .and_then(|id| tables.get(id))
                    .and_then(Option::as_ref)
                    .is_some_and(|t| t.contains(pos));
                if holds {
                    full |= CTX_LOOK0 << i;
                }
            }
            self.compact(full)
        };
        let mut pos = if backward { n } else { 0 };
        let mut next = unit_at(pos);
        let mut state = self.start_mask(context(pos, None, next));
        let mut cache = StepCache::new();
        loop {
            if state & MATCH != 0 {
                match found.as_deref_mut() {
                    Some(f) => {
                        f.insert(pos);
                        state &= !MATCH;
                    }
                    None => return true,
                }
            }
            let Some(unit) = next else { break };
            pos = if backward { pos.saturating_sub(1) } else { pos.saturating_add(1) };
            let after = unit_at(pos);
            let ctx = context(pos, Some(unit), after);
            let active = state & self.accepts(unit);
            let mut new_state = if self.restart { self.start_mask(ctx) } else { 0 };
            if active != 0 {
                new_state |= self.follow_all(active, ctx, &mut cache);
            }
            if new_state == 0 && !self.restart {
                break;
            }
            state = new_state;
            next = after;
        }
        false
    }

    /// The union of the follow closures of the states in `active`.
    #[inline]
    fn follow_all(&self, active: u64, ctx: usize, cache: &mut StepCache) -> u64 {
        if active & active.wrapping_sub(1) == 0 {
            // A single state: one lookup.
            return self.follow_of(ctx, active.trailing_zeros());
        }
        if let Some(hit) = cache.get(active, ctx) {
            return hit;
        }
        let mut out = 0u64;
        let mut bits = active;
        while bits != 0 {
            out |= self.follow_of(ctx, bits.trailing_zeros());
            bits &= bits.wrapping_sub(1);
        }
        cache.put(active, ctx, out);
        out
    }

    #[inline]
    fn follow_of(&self, ctx: usize, state: u32) -> u64 {
        let s = usize::try_from(state).unwrap_or(usize::MAX);
        self.follow.get(ctx.saturating_mul(self.states).saturating_add(s)).copied().unwrap_or(0)
    }
}

/// A tiny direct-mapped memo of `(active set, context) -> follow union`, so
/// that long runs through the same states (e.g. `.*` loops) cost one lookup
/// per step.
struct StepCache {
    keys: [(u64, usize); 8],
    values: [u64; 8],
}

impl StepCache {
    fn new() -> StepCache {
        StepCache { keys: [(0, 0); 8], values: [0; 8] }
    }

    #[inline]
    fn slot(active: u64, ctx: usize) -> usize {
        let h = active.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (ctx as u64);
        usize::try_from(h >> 61).unwrap_or(0)
    }

    #[inline]
    fn get(&self, active: u64, ctx: usize) -> Option<u64> {
        let i = Self::slot(active, ctx);
        match (self.keys.get(i), self.values.get(i)) {
            (Some(&(a, c)), Some(&v)) if a == active && c == ctx => Some(v),
            _ => None,
        }
    }

    #[inline]
    fn put(&mut self, active: u64, ctx: usize, value: u64) {
        let i = Self::slot(active, ctx);
        if let (Some(k), Some(v)) = (self.keys.get_mut(i), self.values.get_mut(i)) {
            *k = (active, ctx);
            *v = value;
        }
    }
}

/// How the assertions of a program read the context bits.
struct Meaning<'a> {
    start_bit: u8,
    end_bit: u8,
    look_bit: &'a dyn Fn(u32) -> u8,
}

/// The closure mask from `pc` in context `ctx` (full context bits).
fn closure(prog: &[Inst], state_of: &[Option<u32>], pc: usize, ctx: u8, meaning: &Meaning<'_>) -> u64 {
    let mut mask = 0u64;
    let mut seen = vec![false; prog.len()];
    let mut stack = vec![pc];
    while let Some(pc) = stack.pop() {
        match seen.get_mut(pc) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        let next = pc.saturating_add(1);
        match prog.get(pc) {
            Some(Inst::Unit { .. } | Inst::Set { .. }) => {
                if let Some(Some(s)) = state_of.get(pc) {
                    mask |= 1u64 << s;
                }
            }
            Some(Inst::Match) => mask |= MATCH,
            Some(Inst::Jmp(t)) => stack.extend(usize::try_from(*t).ok()),
            Some(Inst::Split(a, b)) => {
                stack.extend(usize::try_from(*b).ok());
                stack.extend(usize::try_from(*a).ok());
            }
            Some(Inst::Assert(a)) => {
                let holds = match a {
                    Assertion::Start => ctx & meaning.start_bit != 0,
                    Assertion::End => ctx & meaning.end_bit != 0,
                    Assertion::WordBoundary => ctx & CTX_BOUNDARY != 0,
                    Assertion::NotWordBoundary => ctx & CTX_BOUNDARY == 0,
                };
                if holds {
                    stack.push(next);
                }
            }
            Some(Inst::Look { id, negate }) if (ctx & (meaning.look_bit)(*id) != 0) != *negate => {
                stack.push(next);
            }
            _ => {}
        }
    }
    mask
}
