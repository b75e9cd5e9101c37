//! Backtracking matcher: full ECMAScript semantics, used only for patterns
//! with backreferences (whose answer can depend on captures).
//!
//! It is iterative (an explicit stack of choice points and undo records) and
//! bounded: after [`STEP_BUDGET`] steps, or when its stack would exceed
//! [`STACK_LIMIT`] entries, `test` gives up and answers `false`.

use super::charset::CharSet;
use super::compile::Inst;
use super::nfa::assertion_holds;

/// Maximum number of steps (instructions executed, entries popped, code
/// units compared / 16) for one `test`, across all start positions.
pub(crate) const STEP_BUDGET: usize = 1_000_000;

/// Maximum number of backtracking stack entries.
pub(crate) const STACK_LIMIT: usize = 250_000;

/// Marks an unset capture slot.
const UNSET: usize = usize::MAX;

/// A backtracking program.
#[derive(Debug, Clone)]
pub(crate) struct Backtracker {
    /// The instructions.
    pub prog: Vec<Inst>,
    /// Number of capture slots (two per group).
    pub slots: usize,
    /// Number of empty-check registers.
    pub regs: usize,
    /// Whether matches can only start at position 0.
    pub anchored: bool,
}

/// An entry of the backtracking stack.
#[derive(Clone, Copy)]
enum Frame {
    /// Resume at `pc`, `pos`.
    Alt { pc: u32, pos: usize },
    /// Undo a capture slot write.
    Cap { slot: u32, old: usize },
    /// Undo a register write.
    Reg { reg: u32, old: usize },
    /// The start of a lookaround's body: popping it means the body failed.
    Look { negate: bool, pos: usize, end: u32 },
}

/// How one attempt ended.
enum Outcome {
    Matched,
    Failed,
    GaveUp,
}

struct Run<'a> {
    prog: &'a [Inst],
    sets: &'a [CharSet],
    hay: &'a [u16],
    caps: Vec<usize>,
    regs: Vec<usize>,
    stack: Vec<Frame>,
    steps: usize,
}

impl Backtracker {
    /// `RegExp.prototype.test`; `false` also when the budget runs out.
    pub(crate) fn is_match(&self, sets: &[CharSet], hay: &[u16]) -> bool {
        let mut run = Run {
            prog: &self.prog,
            sets,
            hay,
            caps: vec![UNSET; self.slots],
            regs: vec![UNSET; self.regs],
            stack: Vec::new(),
            steps: 0,
        };
        let last = if self.anchored { 0 } else { hay.len() };
        for start in 0..=last {
            match run.attempt(start) {
                Outcome::Matched => return true,
                Outcome::GaveUp => return false,
                Outcome::Failed => {}
            }
        }
        false
    }
}

impl Run<'_> {
    fn set_cap(&mut self, slot: u32, value: usize) {
        if let Some(c) = usize::try_from(slot).ok().and_then(|s| self.caps.get_mut(s)) {
            self.stack.push(Frame::Cap { slot, old: *c });
            *c = value;
        }
    }

    fn cap(&self, slot: u32) -> usize {
        usize::try_from(slot).ok().and_then(|s| self.caps.get(s)).copied().unwrap_or(UNSET)
    }

    fn set_reg(&mut self, reg: u32, value: usize) {
        if let Some(r) = usize::try_from(reg).ok().and_then(|s| self.regs.get_mut(s)) {
            self.stack.push(Frame::Reg { reg, old: *r });
            *r = value;
        }
    }

    fn reg(&self, reg: u32) -> usize {
        usize::try_from(reg).ok().and_then(|s| self.regs.get(s)).copied().unwrap_or(UNSET)
    }

    fn undo(&mut self, frame: Frame) {
        match frame {
            Frame::Cap { slot, old } => {
                if let Some(c) = usize::try_from(slot).ok().and_then(|s| self.caps.get_mut(s)) {
                    *c = old;
                }
            }
            Frame::Reg { reg, old } => {
                if let Some(r) = usize::try_from(reg).ok().and_then(|s| self.regs.get_mut(s)) {
                    *r = old;
                }
            }
            Frame::Alt { .. } | Frame::Look { .. } => {}
        }
    }

    /// Whether the unit at the cursor (left of it if `back`) satisfies `ok`;
    /// returns the new position.
    fn step_unit(&self, pos: usize, back: bool, ok: impl Fn(u16) -> bool) -> Option<usize> {
        if back {
            let p = pos.checked_sub(1)?;
            self.hay.get(p).filter(|&&u| ok(u)).map(|_| p)
        } else {
            self.hay.get(pos).filter(|&&u| ok(u)).map(|_| pos.saturating_add(1))
        }
    }

    /// Matches the text of `group` at `pos`; returns the new position.
    fn backref(&mut self, group: u32, pos: usize, back: bool) -> Option<usize> {
        let s = self.cap(group.saturating_sub(1).saturating_mul(2));
        let e = self.cap(group.saturating_sub(1).saturating_mul(2).saturating_add(1));
        if s == UNSET || e == UNSET {
            return Some(pos);
        }
        let text = self.hay.get(s..e)?;
        let len = text.len();
        self.steps = self.steps.saturating_add(len / 16);
        if back {
            let from = pos.checked_sub(len)?;
            (self.hay.get(from..pos)? == text).then_some(from)
        } else {
            let to = pos.checked_add(len)?;
            (self.hay.get(pos..to)? == text).then_some(to)
        }
    }

    /// Tries a match starting at `start`; leaves captures unset afterwards
    /// unless it matched.
    fn attempt(&mut self, start: usize) -> Outcome {
        let mut pc: u32 = 0;
        let mut pos = start;
        self.stack.clear();
        loop {
            self.steps = self.steps.saturating_add(1);
            if self.steps > STEP_BUDGET || self.stack.len() > STACK_LIMIT {
                return Outcome::GaveUp;
            }
            let inst = usize::try_from(pc).ok().and_then(|i| self.prog.get(i)).copied();
            let next = pc.saturating_add(1);
            let ok = match inst {
                None => false,
                Some(Inst::Match) => return Outcome::Matched,
                Some(Inst::Unit { unit, back }) => match self.step_unit(pos, back, |u| u == unit) {
                    Some(p) => {
                        pos = p;
                        pc = next;
                        true
                    }
                    None => false,
                },
                Some(Inst::Set { set, back }) => {
                    let set = usize::try_from(set).ok().and_then(|s| self.sets.get(s));
                    match set.and_then(|set| self.step_unit(pos, back, |u| set.contains(u))) {
                        Some(p) => {
                            pos = p;
                            pc = next;
                            true
                        }
                        None => false,
                    }
                }
                Some(Inst::Split(a, b)) => {
                    self.stack.push(Frame::Alt { pc: b, pos });
                    pc = a;
                    true
                }
                Some(Inst::Jmp(t)) => {
                    pc = t;
                    true
                }
                Some(Inst::Assert(a)) => {
                    pc = next;
                    assertion_holds(a, self.hay, pos)
                }
                Some(Inst::Save(slot)) => {
                    self.set_cap(slot, pos);
                    pc = next;
                    true
                }
                Some(Inst::ClearCaps { from, to }) => {
                    for slot in from..to {
                        if self.cap(slot) != UNSET {
                            self.set_cap(slot, UNSET);
                        }
                    }
                    pc = next;
                    true
                }
                Some(Inst::Mark(reg)) => {
                    self.set_reg(reg, pos);
                    pc = next;
                    true
                }
                Some(Inst::Check(reg)) => {
                    pc = next;
                    self.reg(reg) != pos
                }
                Some(Inst::BackRef { group, back }) => match self.backref(group, pos, back) {
                    Some(p) => {
                        pos = p;
                        pc = next;
                        true
                    }
                    None => false,
                },
                Some(Inst::LookStart { negate, end }) => {
                    self.stack.push(Frame::Look { negate, pos, end });
                    pc = next;
                    true
                }
                Some(Inst::LookEnd) => match self.look_succeeded() {
                    Some((p, end)) => {
                        pos = p;
                        pc = end;
                        true
                    }
                    None => false,
                },
                // Not produced for backtracking programs.
                Some(Inst::Look { .. }) => false,
            };
            if ok {
                continue;
            }
            // Backtrack.
            loop {
                self.steps = self.steps.saturating_add(1);
                match self.stack.pop() {
                    None => return Outcome::Failed,
                    Some(Frame::Alt { pc: p, pos: q }) => {
                        pc = p;
                        pos = q;
                        break;
                    }
                    Some(Frame::Look { negate: true, pos: q, end }) => {
                        // The body of a negative lookaround failed: it holds.
                        pc = end;
                        pos = q;
                        break;
                    }
                    Some(Frame::Look { negate: false, .. }) => {}
                    Some(frame) => self.undo(frame),
                }
            }
        }
    }

    /// The body of the innermost open lookaround matched. A positive
    /// lookaround is atomic: drop the body's choice points (keeping capture
    /// undo records) and return where to continue. A negative one fails:
    /// undo the body and return `None`.
    fn look_succeeded(&mut self) -> Option<(usize, u32)> {
        let barrier = self.stack.iter().rposition(|f| matches!(f, Frame::Look { .. }))?;
        let Some(&Frame::Look { negate, pos, end }) = self.stack.get(barrier) else {
            return None;
        };
        if negate {
            while self.stack.len() > barrier {
                self.steps = self.steps.saturating_add(1);
                if let Some(frame) = self.stack.pop() {
                    self.undo(frame);
                }
            }
            return None;
        }
        let mut keep = barrier;
        for i in barrier.saturating_add(1)..self.stack.len() {
            self.steps = self.steps.saturating_add(1);
            if let Some(&frame) = self.stack.get(i) {
                if matches!(frame, Frame::Cap { .. } | Frame::Reg { .. }) {
                    if let Some(slot) = self.stack.get_mut(keep) {
                        *slot = frame;
                    }
                    keep = keep.saturating_add(1);
                }
            }
        }
        self.stack.truncate(keep);
        Some((pos, end))
    }
}
