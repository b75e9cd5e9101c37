//! General NFA simulation (patterns without backreferences), with
//! lookarounds.
//!
//! The simulation keeps the *set* of live instruction indices per input
//! position (a thread list de-duplicated per position), so its cost is
//! O(input length × program size) whatever the pattern.
//!
//! Lookarounds are evaluated up front, one truth table per lookaround over
//! all input positions, innermost first: a lookbehind's body is run forwards
//! over the whole input with a fresh start at every position, and each
//! position where it reaches `Match` is a position where the lookbehind holds;
//! a lookahead's body is compiled reading backwards and run the same way from
//! the end. (Without backreferences a lookaround's truth at a position depends
//! only on the position, so this is exact.)
//!
//! Each program (main or lookaround body) runs on the bit-parallel
//! [`BitNfa`] when it qualifies, and on the thread-list [`Sim`] otherwise.

use super::ast::Assertion;
use super::bitnfa::BitNfa;
use super::charset::{is_word_unit, CharSet};
use super::compile::{Inst, LookCode, NfaCode};

/// A set of input positions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Positions {
    words: Vec<u64>,
}

impl Positions {
    /// An empty set for positions `0..=len`.
    pub(crate) fn with_len(len: usize) -> Positions {
        Positions { words: vec![0; (len / 64).saturating_add(1)] }
    }

    /// Adds `pos`.
    pub(crate) fn insert(&mut self, pos: usize) {
        if let Some(w) = self.words.get_mut(pos / 64) {
            *w |= 1u64 << (pos % 64);
        }
    }

    /// Whether `pos` is in the set.
    pub(crate) fn contains(&self, pos: usize) -> bool {
        self.words.get(pos / 64).is_some_and(|w| (w >> (pos % 64)) & 1 != 0)
    }
}

/// A program ready to run.
#[derive(Debug, Clone)]
struct Program {
    code: Vec<Inst>,
    backward: bool,
    bits: Option<BitNfa>,
}

impl Program {
    fn new(code: Vec<Inst>, backward: bool, sets: &[CharSet]) -> Program {
        let bits = BitNfa::build(&code, sets, backward);
        Program { code, backward, bits }
    }

    fn run(&self, sets: &[CharSet], hay: &[u16], tables: &[Option<Positions>], found: Option<&mut Positions>) -> bool {
        match &self.bits {
            Some(bits) => bits.scan(hay, self.backward, tables, found),
            None => Sim::new(&self.code, sets, hay, tables).run(self.backward, found),
        }
    }
}

/// An NFA program with its lookaround programs.
#[derive(Debug, Clone)]
pub(crate) struct NfaEngine {
    main: Program,
    looks: Vec<Option<Program>>,
}

impl NfaEngine {
    /// Prepares compiled NFA code to run.
    pub(crate) fn new(code: NfaCode, sets: &[CharSet]) -> NfaEngine {
        let looks = code
            .looks
            .into_iter()
            .map(|look| look.map(|LookCode { backward, code }| Program::new(code, backward, sets)))
            .collect();
        NfaEngine { main: Program::new(code.main, false, sets), looks }
    }

    /// Whether the pattern matches somewhere in `hay` (`RegExp.prototype.test`).
    pub(crate) fn is_match(&self, sets: &[CharSet], hay: &[u16]) -> bool {
        let mut tables: Vec<Option<Positions>> = Vec::with_capacity(self.looks.len());
        for look in &self.looks {
            let table = look.as_ref().map(|look| {
                let mut found = Positions::with_len(hay.len());
                look.run(sets, hay, &tables, Some(&mut found));
                found
            });
            tables.push(table);
        }
        self.main.run(sets, hay, &tables, None)
    }
}

/// One simulation of a program over the input.
struct Sim<'a> {
    prog: &'a [Inst],
    sets: &'a [CharSet],
    hay: &'a [u16],
    tables: &'a [Option<Positions>],
    /// Per instruction, the generation (position step) that last visited it.
    seen: Vec<usize>,
    generation: usize,
    stack: Vec<u32>,
}

impl<'a> Sim<'a> {
    fn new(prog: &'a [Inst], sets: &'a [CharSet], hay: &'a [u16], tables: &'a [Option<Positions>]) -> Sim<'a> {
        Sim { prog, sets, hay, tables, seen: vec![0; prog.len()], generation: 0, stack: Vec::new() }
    }

    /// Runs with a fresh start at every position. With `found`, records every
    /// position where `Match` is reached and returns `false`; without, returns
    /// on the first match.
    fn run(&mut self, backward: bool, mut found: Option<&mut Positions>) -> bool {
        let n = self.hay.len();
        let mut pos = if backward { n } else { 0 };
        let mut current: Vec<u32> = Vec::new();
        let mut next: Vec<u32> = Vec::new();
        self.generation = 1;
        let mut matched = self.closure(0, pos, &mut current);
        loop {
            if matched {
                match found.as_deref_mut() {
                    Some(f) => f.insert(pos),
                    None => return true,
                }
            }
            let (unit, next_pos) = if backward {
                let Some(p) = pos.checked_sub(1) else { break };
                (self.hay.get(p), p)
            } else {
                (self.hay.get(pos), pos.saturating_add(1))
            };
            let Some(&unit) = unit else { break };
            self.generation = self.generation.saturating_add(1);
            next.clear();
            matched = false;
            for &pc in &current {
                if self.consumes(pc, unit) {
                    matched |= self.closure(pc.saturating_add(1), next_pos, &mut next);
                }
            }
            matched |= self.closure(0, next_pos, &mut next);
            std::mem::swap(&mut current, &mut next);
            pos = next_pos;
        }
        false
    }

    fn consumes(&self, pc: u32, unit: u16) -> bool {
        match self.inst(pc) {
            Some(Inst::Unit { unit: u, .. }) => u == unit,
            Some(Inst::Set { set, .. }) => {
                usize::try_from(set).ok().and_then(|s| self.sets.get(s)).is_some_and(|s| s.contains(unit))
            }
            _ => false,
        }
    }

    fn inst(&self, pc: u32) -> Option<Inst> {
        usize::try_from(pc).ok().and_then(|i| self.prog.get(i)).copied()
    }

    /// Adds the consuming instructions reachable from `pc` at `pos` without
    /// consuming input to `list`; returns whether `Match` is reachable.
    fn closure(&mut self, pc: u32, pos: usize, list: &mut Vec<u32>) -> bool {
        let mut matched = false;
        let mut next_pc = Some(pc);
        // Follow each path directly, stacking only the second branch of splits.
        while let Some(mut pc) = next_pc.take().or_else(|| self.stack.pop()) {
            while let Some(seen) = usize::try_from(pc).ok().and_then(|i| self.seen.get_mut(i)) {
                if *seen == self.generation {
                    break;
                }
                *seen = self.generation;
                let Some(inst) = self.inst(pc) else { break };
                let next = pc.saturating_add(1);
                match inst {
                    Inst::Unit { .. } | Inst::Set { .. } => {
                        list.push(pc);
                        break;
                    }
                    Inst::Match => {
                        matched = true;
                        break;
                    }
                    Inst::Jmp(t) => pc = t,
                    Inst::Split(a, b) => {
                        self.stack.push(b);
                        pc = a;
                    }
                    Inst::Assert(a) => {
                        if !assertion_holds(a, self.hay, pos) {
                            break;
                        }
                        pc = next;
                    }
                    Inst::Look { id, negate } => {
                        let holds = usize::try_from(id)
                            .ok()
                            .and_then(|i| self.tables.get(i))
                            .and_then(Option::as_ref)
                            .is_some_and(|t| t.contains(pos));
                        if holds == negate {
                            break;
                        }
                        pc = next;
                    }
                    // Not produced for NFA programs; harmless no-ops if present.
                    Inst::Save(_)
                    | Inst::ClearCaps { .. }
                    | Inst::Mark(_)
                    | Inst::Check(_)
                    | Inst::LookStart { .. }
                    | Inst::LookEnd
                    | Inst::BackRef { .. } => pc = next,
                }
            }
        }
        matched
    }
}

/// Whether assertion `a` holds at position `pos` of `hay`.
pub(crate) fn assertion_holds(a: Assertion, hay: &[u16], pos: usize) -> bool {
    match a {
        Assertion::Start => pos == 0,
        Assertion::End => pos == hay.len(),
        Assertion::WordBoundary | Assertion::NotWordBoundary => {
            let before = pos.checked_sub(1).and_then(|p| hay.get(p)).is_some_and(|&u| is_word_unit(u));
            let after = hay.get(pos).is_some_and(|&u| is_word_unit(u));
            (before != after) == (a == Assertion::WordBoundary)
        }
    }
}
