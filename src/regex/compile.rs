//! Compiler: pattern tree to instruction programs.
//!
//! Two flavours are produced from the same tree:
//! - **NFA programs** (patterns without backreferences): only what decides
//!   *whether* a match exists — no captures, no empty-iteration checks, and
//!   each lookaround body compiled as a separate program (see
//!   [`NfaCode::looks`]);
//! - **backtracking programs** (patterns with backreferences): the full
//!   ECMAScript semantics with captures, capture resets per iteration,
//!   empty-iteration checks and inline atomic lookarounds.
//!
//! Counted repetition is expanded into copies of the atom's code, under the
//! [`MAX_INSTS`] limit.

use super::ast::{Assertion, Ast, Node, Repeat};
use super::error::RegexError;

/// Maximum number of instructions of a compiled pattern (all programs together).
pub(crate) const MAX_INSTS: usize = 50_000;

/// Maximum number of instructions emitted while compiling, including
/// intermediate copies (bounds compile time for deeply nested repetitions).
const MAX_WORK: usize = 1_000_000;

/// One instruction. Jump targets are absolute instruction indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inst {
    /// Consume one code unit equal to `unit` (leftwards if `back`).
    Unit { unit: u16, back: bool },
    /// Consume one code unit in set `set` (leftwards if `back`).
    Set { set: u32, back: bool },
    /// Continue at both targets, preferring the first.
    Split(u32, u32),
    /// Continue at the target.
    Jmp(u32),
    /// A positional assertion.
    Assert(Assertion),
    /// NFA only: lookaround `id` holds (or, if `negate`, fails) here.
    Look { id: u32, negate: bool },
    /// Backtracking only: an atomic lookaround whose body follows, ending at
    /// [`Inst::LookEnd`]; `end` is the instruction after that.
    LookStart { negate: bool, end: u32 },
    /// Backtracking only: the end of a lookaround body.
    LookEnd,
    /// Backtracking only: record the position in capture slot.
    Save(u32),
    /// Backtracking only: reset capture slots `from..to` (start of an iteration).
    ClearCaps { from: u32, to: u32 },
    /// Backtracking only: remember the position where an optional iteration starts.
    Mark(u32),
    /// Backtracking only: fail if the optional iteration consumed nothing.
    Check(u32),
    /// Backtracking only: match the text of (1-based) `group` again.
    BackRef { group: u32, back: bool },
    /// Success.
    Match,
}

/// The NFA flavour of a pattern.
#[derive(Debug, Clone)]
pub(crate) struct NfaCode {
    /// The main program, reading forwards.
    pub main: Vec<Inst>,
    /// Per lookaround id, its body as a program reading in the *opposite*
    /// direction to the lookaround (a lookahead's body reads backwards): run
    /// over the whole input with a fresh start at every position, it tells at
    /// which positions the lookaround's body matches. `None` for lookarounds
    /// that no program refers to.
    pub looks: Vec<Option<LookCode>>,
}

/// The NFA program of one lookaround body.
#[derive(Debug, Clone)]
pub(crate) struct LookCode {
    /// Whether the program reads backwards (the body of a lookahead).
    pub backward: bool,
    /// The instructions.
    pub code: Vec<Inst>,
}

/// Compiles the NFA flavour.
///
/// For a pattern with backreferences this gives an over-approximation (a
/// filter: if it does not match, the pattern cannot), with the sets `any`
/// (all units) and `none` (empty) from `approx`: a backreference becomes
/// `[^]*` where more matches mean more overall matches, and matches nothing
/// inside an odd number of negative lookarounds.
pub(crate) fn compile_nfa(ast: &Ast, approx: Option<(u32, u32)>) -> Result<NfaCode, RegexError> {
    let looks = usize::try_from(ast.looks).map_err(|_| too_large())?;
    let mut c = Compiler { ast, backtrack: false, looks: vec![None; looks], work: 0, approx, negative: false };
    let mut main = Vec::new();
    c.emit(&mut main, &ast.root, false)?;
    c.push(&mut main, Inst::Match)?;
    let total = c.looks.iter().flatten().fold(main.len(), |acc, p| acc.saturating_add(p.code.len()));
    if total > MAX_INSTS {
        return Err(too_large());
    }
    Ok(NfaCode { main, looks: c.looks })
}

/// Compiles the backtracking flavour.
pub(crate) fn compile_backtrack(ast: &Ast) -> Result<Vec<Inst>, RegexError> {
    let mut c = Compiler { ast, backtrack: true, looks: Vec::new(), work: 0, approx: None, negative: false };
    let mut main = Vec::new();
    c.emit(&mut main, &ast.root, false)?;
    c.push(&mut main, Inst::Match)?;
    Ok(main)
}

fn too_large() -> RegexError {
    RegexError::TooLarge { limit: MAX_INSTS }
}

fn to_u32(n: usize) -> Result<u32, RegexError> {
    u32::try_from(n).map_err(|_| too_large())
}

/// Capture slots of 1-based group `g`: (start, end).
fn slots(g: u32) -> (u32, u32) {
    let s = g.saturating_sub(1).saturating_mul(2);
    (s, s.saturating_add(1))
}

fn patch(out: &mut [Inst], at: u32, inst: Inst) {
    if let Some(slot) = usize::try_from(at).ok().and_then(|i| out.get_mut(i)) {
        *slot = inst;
    }
}

struct Compiler<'a> {
    ast: &'a Ast,
    backtrack: bool,
    looks: Vec<Option<LookCode>>,
    work: usize,
    /// NFA only: the `any` and `none` sets approximating backreferences.
    approx: Option<(u32, u32)>,
    /// NFA only: inside an odd number of negative lookarounds.
    negative: bool,
}

impl Compiler<'_> {
    fn push(&mut self, out: &mut Vec<Inst>, inst: Inst) -> Result<u32, RegexError> {
        self.work = self.work.saturating_add(1);
        if out.len() >= MAX_INSTS || self.work > MAX_WORK {
            return Err(too_large());
        }
        let at = to_u32(out.len())?;
        out.push(inst);
        Ok(at)
    }

    /// Appends a copy of `code` (compiled at index 0) with its jumps relocated.
    fn append(&mut self, out: &mut Vec<Inst>, code: &[Inst]) -> Result<(), RegexError> {
        let base = to_u32(out.len())?;
        for &inst in code {
            let inst = match inst {
                Inst::Split(a, b) => Inst::Split(a.saturating_add(base), b.saturating_add(base)),
                Inst::Jmp(t) => Inst::Jmp(t.saturating_add(base)),
                Inst::LookStart { negate, end } => Inst::LookStart { negate, end: end.saturating_add(base) },
                other => other,
            };
            self.push(out, inst)?;
        }
        Ok(())
    }

    /// Emits the code of `node`. The recursive path through this function
    /// keeps small stack frames: each construct is compiled by its own helper.
    fn emit(&mut self, out: &mut Vec<Inst>, node: &Node, back: bool) -> Result<(), RegexError> {
        match node {
            Node::Empty => Ok(()),
            Node::Unit(unit) => self.leaf(out, Inst::Unit { unit: *unit, back }),
            Node::Set(set) => self.leaf(out, Inst::Set { set: *set, back }),
            Node::Assert(a) => self.leaf(out, Inst::Assert(*a)),
            Node::Group { index, body } => self.group(out, *index, body, back),
            Node::Look { id, behind, negate, body } => self.look(out, *id, *behind, *negate, body),
            Node::BackRef(group) => self.backref(out, *group, back),
            Node::NamedRef(k) => {
                let group = usize::try_from(*k).ok().and_then(|k| self.ast.named_refs.get(k)).copied().unwrap_or(0);
                self.backref(out, group, back)
            }
            Node::Concat(items) => self.concat(out, items, back),
            Node::Alt(alts) => self.alternation(out, alts, back),
            Node::Repeat(r) => self.repeat(out, r, back),
        }
    }

    fn leaf(&mut self, out: &mut Vec<Inst>, inst: Inst) -> Result<(), RegexError> {
        self.push(out, inst).map(|_| ())
    }

    fn group(&mut self, out: &mut Vec<Inst>, index: u32, body: &Node, back: bool) -> Result<(), RegexError> {
        if !self.backtrack {
            return self.emit(out, body, back);
        }
        let (s, e) = slots(index);
        self.push(out, Inst::Save(if back { e } else { s }))?;
        self.emit(out, body, back)?;
        self.push(out, Inst::Save(if back { s } else { e }))?;
        Ok(())
    }

    fn look(
        &mut self,
        out: &mut Vec<Inst>,
        id: u32,
        behind: bool,
        negate: bool,
        body: &Node,
    ) -> Result<(), RegexError> {
        if !self.backtrack {
            self.nfa_look(id, behind, negate, body)?;
            return self.leaf(out, Inst::Look { id, negate });
        }
        let at = self.push(out, Inst::LookStart { negate, end: 0 })?;
        self.emit(out, body, behind)?;
        self.push(out, Inst::LookEnd)?;
        let end = to_u32(out.len())?;
        patch(out, at, Inst::LookStart { negate, end });
        Ok(())
    }

    fn concat(&mut self, out: &mut Vec<Inst>, items: &[Node], back: bool) -> Result<(), RegexError> {
        if back {
            for item in items.iter().rev() {
                self.emit(out, item, back)?;
            }
        } else {
            for item in items {
                self.emit(out, item, back)?;
            }
        }
        Ok(())
    }

    /// Compiles lookaround `id`'s body as a separate NFA program (once).
    fn nfa_look(&mut self, id: u32, behind: bool, negate: bool, body: &Node) -> Result<(), RegexError> {
        let index = usize::try_from(id).map_err(|_| too_large())?;
        if self.looks.get(index).is_some_and(Option::is_some) {
            return Ok(());
        }
        let mut code = Vec::new();
        let outer = self.negative;
        self.negative ^= negate;
        let result = self.emit(&mut code, body, !behind);
        self.negative = outer;
        result?;
        self.push(&mut code, Inst::Match)?;
        if let Some(slot) = self.looks.get_mut(index) {
            *slot = Some(LookCode { backward: !behind, code });
        }
        Ok(())
    }

    fn backref(&mut self, out: &mut Vec<Inst>, group: u32, back: bool) -> Result<(), RegexError> {
        if self.backtrack {
            self.push(out, Inst::BackRef { group, back })?;
            return Ok(());
        }
        let Some((any, none)) = self.approx else {
            return Ok(());
        };
        if self.negative {
            self.push(out, Inst::Set { set: none, back })?;
        } else {
            let split = self.push(out, Inst::Split(0, 0))?;
            self.push(out, Inst::Set { set: any, back })?;
            self.push(out, Inst::Jmp(split))?;
            let end = to_u32(out.len())?;
            patch(out, split, Inst::Split(split.saturating_add(1), end));
        }
        Ok(())
    }

    fn alternation(&mut self, out: &mut Vec<Inst>, alts: &[Node], back: bool) -> Result<(), RegexError> {
        let mut jumps = Vec::new();
        let last = alts.len().saturating_sub(1);
        for (i, alt) in alts.iter().enumerate() {
            if i < last {
                let split = self.push(out, Inst::Split(0, 0))?;
                self.emit(out, alt, back)?;
                jumps.push(self.push(out, Inst::Jmp(0))?);
                let next = to_u32(out.len())?;
                patch(out, split, Inst::Split(split.saturating_add(1), next));
            } else {
                self.emit(out, alt, back)?;
            }
        }
        let end = to_u32(out.len())?;
        for j in jumps {
            patch(out, j, Inst::Jmp(end));
        }
        Ok(())
    }

    fn repeat(&mut self, out: &mut Vec<Inst>, r: &Repeat, back: bool) -> Result<(), RegexError> {
        if r.max == Some(0) {
            return Ok(());
        }
        // The code of one iteration, compiled once and copied.
        let body = self.iteration(r, back)?;
        self.expand(out, r, &body)
    }

    /// The code of one iteration of `r` (on the recursive path: keep small).
    fn iteration(&mut self, r: &Repeat, back: bool) -> Result<Vec<Inst>, RegexError> {
        let mut body = Vec::new();
        if self.backtrack && r.caps.0 < r.caps.1 {
            let from = slots(r.caps.0).0;
            let to = slots(r.caps.1).0;
            self.push(&mut body, Inst::ClearCaps { from, to })?;
        }
        self.emit(&mut body, &r.body, back)?;
        Ok(body)
    }

    /// Emits the iterations of `r` from the code `body` of one iteration.
    fn expand(&mut self, out: &mut Vec<Inst>, r: &Repeat, body: &[Inst]) -> Result<(), RegexError> {
        if body.is_empty() {
            return Ok(());
        }
        if !self.backtrack && r.max.is_none() && r.min > 0 {
            // NFA: `x{n,}` as n-1 copies and a loop back over the last one
            // (no empty-iteration checks to tell the copies apart).
            for _ in 1..r.min {
                self.append(out, body)?;
            }
            let start = to_u32(out.len())?;
            self.append(out, body)?;
            let split = self.push(out, Inst::Split(start, 0))?;
            patch(out, split, Inst::Split(start, split.saturating_add(1)));
            return Ok(());
        }
        for _ in 0..r.min {
            self.append(out, body)?;
        }
        let split_for = |at: u32, end: u32| {
            if r.greedy {
                Inst::Split(at.saturating_add(1), end)
            } else {
                Inst::Split(end, at.saturating_add(1))
            }
        };
        match r.max {
            None => {
                let split = self.push(out, Inst::Split(0, 0))?;
                self.optional_iteration(out, body, r.reg)?;
                self.push(out, Inst::Jmp(split))?;
                let end = to_u32(out.len())?;
                patch(out, split, split_for(split, end));
            }
            Some(max) => {
                let mut splits = Vec::new();
                for _ in r.min..max {
                    splits.push(self.push(out, Inst::Split(0, 0))?);
                    self.optional_iteration(out, body, r.reg)?;
                }
                let end = to_u32(out.len())?;
                for split in splits {
                    patch(out, split, split_for(split, end));
                }
            }
        }
        Ok(())
    }

    /// An iteration beyond the minimum: it must consume input (ECMAScript
    /// rejects empty iterations once the minimum is reached).
    fn optional_iteration(&mut self, out: &mut Vec<Inst>, body: &[Inst], reg: u32) -> Result<(), RegexError> {
        if self.backtrack {
            self.push(out, Inst::Mark(reg))?;
        }
        self.append(out, body)?;
        if self.backtrack {
            self.push(out, Inst::Check(reg))?;
        }
        Ok(())
    }
}
