//! ECMAScript regular expressions for Split's `MATCHES_STRING` matcher.
//!
//! Split's JavaScript SDK evaluates `MATCHES_STRING` as
//! `new RegExp(pattern).test(value)`. [`EcmaRegex`] gives the same answers:
//! ECMAScript syntax and semantics (ES2024 §22.2) with **no flags**, hence the
//! Annex B web-compatibility grammar (§B.1.2: `]`, `{` and `}` as literals
//! where they are not quantifiers, `\c` quirks, legacy octal escapes, identity
//! escapes such as `\a` or `\p`, `\1` without a group 1 as an octal escape,
//! quantified lookaheads, `\k` as a literal unless the pattern has named
//! groups), an unanchored search, and matching over **UTF-16 code units** (an
//! astral character is two units, so `^.$` does not match U+1D306 and `^..$`
//! does). `^`/`$` only match at the ends of the input, `.` excludes line
//! terminators, `\b` uses ASCII word characters, `\s` is WhiteSpace plus
//! LineTerminator.
//!
//! # Design: bounded cost on hostile input
//!
//! `test` only needs a yes/no answer, and for patterns **without
//! backreferences** that answer does not depend on captures or on matching
//! priority (greedy vs lazy, alternation order), nor on ECMAScript's rule that
//! an optional iteration may not match the empty string (an empty iteration
//! never enables a match that is impossible without it). Such patterns are
//! compiled to an NFA and **simulated**, never backtracked:
//!
//! - `parse` builds a tree from the pattern's UTF-16 units (iteratively,
//!   with group nesting bounded by [`MAX_NESTING`]);
//! - `compile` turns it into instructions, expanding counted repetition
//!   (`{n,m}`) into copies of the atom, bounded by [`MAX_PROGRAM_SIZE`];
//! - `bitnfa` runs programs with at most 63 consuming instructions as a
//!   bit-parallel NFA (one `u64` of live states, transitions precomputed per
//!   position context — start, end, word boundary, and the truth of up to 3
//!   lookarounds): a few nanoseconds per input unit;
//! - `nfa` evaluates each lookaround at every input position at once (its
//!   body is run over the whole input in the opposite direction, with a fresh
//!   start at every position), then runs the pattern; programs too large for
//!   `bitnfa` run as a thread-list simulation.
//!
//! Every `test` of such a pattern costs O(input length × program size), with
//! no exponential case: `(a+)+$`, `(a|a)*b`, `(a*)*b`, `(.*a){20}` take about
//! 40–70 µs on 10,000 units (release build), typical patterns 0.1–0.3 µs on
//! 30 units. The expensive case is a large program (over 63 states, e.g.
//! `(a{1,10}){1,10}b` with 101) on a long input: about 1–2 ns per unit and
//! instruction (~15 ms for that pattern on 10,000 units); the size limit below
//! caps it.
//!
//! Patterns **with backreferences** (`\1`, `\k<name>`) need real backtracking
//! with captures: `backtrack` implements the full ECMAScript semantics
//! (priorities, capture resets per iteration, empty-iteration checks, atomic
//! lookarounds, backwards-matching lookbehinds) with an explicit stack. It is
//! preceded by a linear-time filter: the same pattern as an NFA with each
//! backreference replaced by `[^]*` (by "nothing" inside negative
//! lookarounds), which matches whenever the real pattern does; when the filter
//! finds no match the answer is `false` without backtracking.
//!
//! # Deliberate bounds (where answers can differ from JavaScript)
//!
//! - **Backtracking budget**: a `test` of a pattern with backreferences stops
//!   after [`BACKTRACK_STEP_BUDGET`] steps, or when its backtracking stack
//!   would exceed [`BACKTRACK_STACK_LIMIT`] entries, and then answers
//!   `false`. JavaScript would keep going (possibly for years); only
//!   pathological pattern/input pairs reach the budget.
//! - **Program size**: a pattern whose compiled form exceeds
//!   [`MAX_PROGRAM_SIZE`] instructions (e.g. `a{100000}`, or `(?:x{300}){300}`)
//!   is rejected with [`RegexError::TooLarge`] although JavaScript accepts it.
//! - **Nesting**: more than [`MAX_NESTING`] nested groups is rejected with
//!   [`RegexError::TooDeep`].
//! - A quantifier bound of 2³¹−1 or more is treated as unbounded (like V8 for
//!   bounds that overflow), which is exact for inputs shorter than that.
//! - Group names accept `$`, `_`, ASCII letters/digits and non-ASCII
//!   alphabetic/alphanumeric characters (the standard library's `Alphabetic`
//!   and `Alphanumeric` properties approximate `ID_Start`/`ID_Continue`).
//! - Duplicate group names are an error, as in ES2024 (Node 20).

mod ast;
mod backtrack;
mod bitnfa;
mod charset;
mod compile;
mod error;
mod nfa;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

pub use error::RegexError;

/// Maximum nesting depth of groups in a pattern.
pub const MAX_NESTING: usize = parse::MAX_DEPTH;
/// Maximum size of a compiled pattern, in instructions.
pub const MAX_PROGRAM_SIZE: usize = compile::MAX_INSTS;
/// Steps after which a backtracking `test` (patterns with backreferences)
/// gives up and answers `false`.
pub const BACKTRACK_STEP_BUDGET: usize = backtrack::STEP_BUDGET;
/// Backtracking stack entries beyond which a `test` gives up and answers `false`.
pub const BACKTRACK_STACK_LIMIT: usize = backtrack::STACK_LIMIT;

/// A compiled ECMAScript (no flags) regular expression.
///
/// Cheap to clone (shared), `Send` and `Sync`; matching never mutates it.
#[derive(Clone)]
pub struct EcmaRegex {
    inner: Arc<Inner>,
}

struct Inner {
    source: String,
    sets: Vec<charset::CharSet>,
    engine: Engine,
}

enum Engine {
    /// Patterns without backreferences: an exact NFA simulation.
    Simulated(Simulated),
    /// Patterns with backreferences: a linear-time over-approximating filter
    /// (when it says no, the answer is no), then backtracking.
    Backtrack(Option<Simulated>, backtrack::Backtracker),
}

/// An NFA program and how it is simulated.
enum Simulated {
    /// No lookarounds and at most 63 states: streams over the input.
    Bits(bitnfa::BitNfa),
    /// The general case.
    Nfa(nfa::NfaEngine),
}

impl Simulated {
    fn new(code: compile::NfaCode, sets: &[charset::CharSet]) -> Simulated {
        if code.looks.iter().all(Option::is_none) {
            if let Some(bits) = bitnfa::BitNfa::build(&code.main, sets, false) {
                return Simulated::Bits(bits);
            }
        }
        Simulated::Nfa(nfa::NfaEngine::new(code, sets))
    }

    fn is_match_utf16(&self, sets: &[charset::CharSet], haystack: &[u16]) -> bool {
        match self {
            Simulated::Bits(bits) => bits.is_match(haystack.iter().copied()),
            Simulated::Nfa(engine) => engine.is_match(sets, haystack),
        }
    }
}

impl EcmaRegex {
    /// Compiles `pattern` as `new RegExp(pattern)` would (no flags).
    pub fn new(pattern: &str) -> Result<EcmaRegex, RegexError> {
        let units: Vec<u16> = pattern.encode_utf16().collect();
        let mut ast = parse::parse(&units)?;
        let engine = if ast.has_backrefs {
            let prog = compile::compile_backtrack(&ast)?;
            let backtracker = backtrack::Backtracker {
                prog,
                slots: usize::try_from(ast.groups).unwrap_or(0).saturating_mul(2),
                regs: usize::try_from(ast.regs).unwrap_or(0),
                anchored: ast.root.anchored_start(),
            };
            let any = u32::try_from(ast.sets.len()).unwrap_or(u32::MAX);
            ast.sets.push(charset::CharSet::new(vec![(0, 0xFFFF)], false));
            ast.sets.push(charset::CharSet::new(Vec::new(), false));
            let filter = compile::compile_nfa(&ast, Some((any, any.saturating_add(1))))
                .ok()
                .map(|code| Simulated::new(code, &ast.sets));
            Engine::Backtrack(filter, backtracker)
        } else {
            Engine::Simulated(Simulated::new(compile::compile_nfa(&ast, None)?, &ast.sets))
        };
        Ok(EcmaRegex { inner: Arc::new(Inner { source: pattern.to_owned(), sets: ast.sets, engine }) })
    }

    /// `RegExp.prototype.test(haystack)`: whether the pattern matches anywhere
    /// in `haystack` (taken as its UTF-16 code units).
    pub fn is_match(&self, haystack: &str) -> bool {
        match &self.inner.engine {
            Engine::Simulated(Simulated::Bits(bits)) => {
                if haystack.is_ascii() {
                    bits.is_match(haystack.bytes().map(u16::from))
                } else {
                    bits.is_match(haystack.encode_utf16())
                }
            }
            _ => {
                let units: Vec<u16> = haystack.encode_utf16().collect();
                self.is_match_utf16(&units)
            }
        }
    }

    /// `RegExp.prototype.test` on UTF-16 code units (which may contain lone
    /// surrogates).
    pub fn is_match_utf16(&self, haystack: &[u16]) -> bool {
        let inner = &*self.inner;
        match &inner.engine {
            Engine::Simulated(sim) => sim.is_match_utf16(&inner.sets, haystack),
            Engine::Backtrack(filter, bt) => {
                filter.as_ref().is_none_or(|f| f.is_match_utf16(&inner.sets, haystack))
                    && bt.is_match(&inner.sets, haystack)
            }
        }
    }

    /// The source pattern.
    pub fn as_str(&self) -> &str {
        &self.inner.source
    }
}

impl fmt::Debug for EcmaRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EcmaRegex").field(&self.inner.source).finish()
    }
}
