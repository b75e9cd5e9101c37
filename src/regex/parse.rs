//! Parser: ECMAScript `Pattern` syntax without flags, including the Annex B
//! (web compatibility) grammar of ES2024 §B.1.2, over UTF-16 code units.
//!
//! The parser is iterative (an explicit stack of open groups) and bounds
//! group nesting at [`MAX_DEPTH`].

use super::ast::{Assertion, Ast, Node, Repeat};
use super::charset::{self, CharSet};
use super::error::RegexError;

/// Maximum nesting depth of groups (each `(` opens one level).
pub(crate) const MAX_DEPTH: usize = 256;

/// Quantifier bounds at or above this are treated as unbounded (as V8 does for
/// bounds that overflow its `int`); for any input shorter than this many code
/// units the answer is the same.
const INFINITE_BOUND: u64 = 0x7FFF_FFFF;

const BACKSLASH: u16 = b'\\' as u16;

/// Parses `src` (UTF-16 code units of the pattern).
pub(crate) fn parse(src: &[u16]) -> Result<Ast, RegexError> {
    let (total_groups, has_named) = prescan(src);
    let parser = Parser {
        src,
        pos: 0,
        total_groups,
        has_named,
        groups: 0,
        names: Vec::new(),
        named_refs: Vec::new(),
        sets: Vec::new(),
        looks: 0,
        regs: 0,
        has_backrefs: false,
    };
    parser.run()
}

/// Counts capturing groups in the whole pattern (decimal escapes refer to
/// groups anywhere, even later ones) and detects named groups (which turn on
/// the `[+NamedCaptureGroups]` grammar, making `\k` special).
fn prescan(src: &[u16]) -> (u32, bool) {
    let mut groups = 0u32;
    let mut named = false;
    let mut in_class = false;
    let mut i = 0usize;
    while let Some(&c) = src.get(i) {
        i = i.saturating_add(1);
        if c == BACKSLASH {
            i = i.saturating_add(1);
        } else if in_class {
            in_class = c != u16::from(b']');
        } else if c == u16::from(b'[') {
            in_class = true;
        } else if c == u16::from(b'(') {
            if src.get(i) != Some(&u16::from(b'?')) {
                groups = groups.saturating_add(1);
            } else if src.get(i.saturating_add(1)) == Some(&u16::from(b'<'))
                && !matches!(src.get(i.saturating_add(2)), Some(&c) if c == u16::from(b'=') || c == u16::from(b'!'))
            {
                groups = groups.saturating_add(1);
                named = true;
            }
        }
    }
    (groups, named)
}

/// What an open group will become when closed.
enum Kind {
    Root,
    NonCapture,
    Capture(u32),
    Look { behind: bool, negate: bool },
}

/// An open group on the parser's stack.
struct Frame {
    kind: Kind,
    /// Offset of the `(`.
    start: usize,
    /// Number of capture groups opened before this one.
    groups_before: u32,
    /// Completed alternatives.
    alts: Vec<Node>,
    /// Terms of the current alternative.
    seq: Vec<Node>,
}

impl Frame {
    fn new(kind: Kind, start: usize, groups_before: u32) -> Frame {
        Frame { kind, start, groups_before, alts: Vec::new(), seq: Vec::new() }
    }

    fn end_alternative(&mut self) {
        let seq = std::mem::take(&mut self.seq);
        self.alts.push(concat(seq));
    }

    fn into_body(mut self) -> Node {
        if self.alts.is_empty() {
            concat(self.seq)
        } else {
            self.end_alternative();
            Node::Alt(self.alts)
        }
    }
}

fn concat(mut seq: Vec<Node>) -> Node {
    match seq.len() {
        0 => Node::Empty,
        1 => seq.pop().unwrap_or(Node::Empty),
        _ => Node::Concat(seq),
    }
}

/// An atom-level escape.
enum Escape {
    Unit(u16),
    Set(Vec<(u16, u16)>, bool),
    Assert(Assertion),
    BackRef(u32),
    Named(Vec<u16>),
}

/// A class atom: one unit or a class escape (`\d` etc.).
enum ClassAtom {
    Unit(u16),
    Set(Vec<(u16, u16)>),
}

struct Parser<'a> {
    src: &'a [u16],
    pos: usize,
    total_groups: u32,
    has_named: bool,
    groups: u32,
    names: Vec<(Vec<u16>, u32)>,
    named_refs: Vec<(Vec<u16>, usize)>,
    sets: Vec<CharSet>,
    looks: u32,
    regs: u32,
    has_backrefs: bool,
}

fn is_ascii(c: u16, b: u8) -> bool {
    c == u16::from(b)
}

fn hex_value(c: u16) -> Option<u32> {
    char::from_u32(u32::from(c)).and_then(|ch| ch.to_digit(16))
}

fn is_octal(c: Option<u16>) -> bool {
    matches!(c, Some(0x30..=0x37))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u16> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u16> {
        self.src.get(self.pos.saturating_add(ahead)).copied()
    }

    fn bump(&mut self) -> Option<u16> {
        let c = self.peek()?;
        self.pos = self.pos.saturating_add(1);
        Some(c)
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(u16::from(b)) {
            self.pos = self.pos.saturating_add(1);
            true
        } else {
            false
        }
    }

    /// A syntax error at unit offset `at`.
    fn err(&self, at: usize, message: &'static str) -> RegexError {
        RegexError::Syntax { position: char_position(self.src, at), message }
    }

    fn run(mut self) -> Result<Ast, RegexError> {
        let mut root = Frame::new(Kind::Root, 0, 0);
        let mut stack: Vec<Frame> = Vec::new();
        while let Some(c) = self.peek() {
            let start = self.pos;
            let top = match stack.last_mut() {
                Some(f) => f,
                None => &mut root,
            };
            match c {
                0x7C /* | */ => {
                    self.pos = self.pos.saturating_add(1);
                    top.end_alternative();
                }
                0x28 /* ( */ => {
                    let kind = self.group_open()?;
                    if stack.len() >= MAX_DEPTH {
                        return Err(RegexError::TooDeep {
                            position: char_position(self.src, start),
                            limit: MAX_DEPTH,
                        });
                    }
                    let before = match kind {
                        Kind::Capture(index) => index.saturating_sub(1),
                        _ => self.groups,
                    };
                    stack.push(Frame::new(kind, start, before));
                }
                0x29 /* ) */ => {
                    self.pos = self.pos.saturating_add(1);
                    let Some(frame) = stack.pop() else {
                        return Err(self.err(start, "Unmatched ')'"));
                    };
                    let groups_before = frame.groups_before;
                    let (node, quantifiable) = match frame.kind {
                        Kind::Root | Kind::NonCapture => (frame.into_body(), true),
                        Kind::Capture(index) => {
                            (Node::Group { index, body: Box::new(frame.into_body()) }, true)
                        }
                        Kind::Look { behind, negate } => {
                            let id = self.looks;
                            self.looks = self.looks.saturating_add(1);
                            let body = Box::new(frame.into_body());
                            (Node::Look { id, behind, negate, body }, !behind)
                        }
                    };
                    let caps = (groups_before.saturating_add(1), self.groups.saturating_add(1));
                    let top = match stack.last_mut() {
                        Some(f) => f,
                        None => &mut root,
                    };
                    self.quantified(top, node, quantifiable, caps)?;
                }
                0x5E /* ^ */ => {
                    self.pos = self.pos.saturating_add(1);
                    self.quantified(top, Node::Assert(Assertion::Start), false, (0, 0))?;
                }
                0x24 /* $ */ => {
                    self.pos = self.pos.saturating_add(1);
                    self.quantified(top, Node::Assert(Assertion::End), false, (0, 0))?;
                }
                0x2E /* . */ => {
                    self.pos = self.pos.saturating_add(1);
                    let set = self.intern(CharSet::new(charset::LINE_TERMINATORS.to_vec(), true));
                    self.quantified(top, Node::Set(set), true, (0, 0))?;
                }
                0x5B /* [ */ => {
                    let set = self.class()?;
                    let set = self.intern(set);
                    self.quantified(top, Node::Set(set), true, (0, 0))?;
                }
                0x5C /* \ */ => {
                    self.pos = self.pos.saturating_add(1);
                    let (node, quantifiable) = match self.atom_escape(start)? {
                        Escape::Unit(u) => (Node::Unit(u), true),
                        Escape::Set(ranges, negate) => {
                            (Node::Set(self.intern(CharSet::new(ranges, negate))), true)
                        }
                        Escape::Assert(a) => (Node::Assert(a), false),
                        Escape::BackRef(g) => {
                            self.has_backrefs = true;
                            (Node::BackRef(g), true)
                        }
                        Escape::Named(name) => {
                            self.has_backrefs = true;
                            // Resolved after parsing (names may be defined later).
                            let index = u32::try_from(self.named_refs.len()).unwrap_or(u32::MAX);
                            self.named_refs.push((name, start));
                            (Node::NamedRef(index), true)
                        }
                    };
                    self.quantified(top, node, quantifiable, (0, 0))?;
                }
                0x2A | 0x2B | 0x3F /* * + ? */ => return Err(self.err(start, "Nothing to repeat")),
                0x7B /* { */ => {
                    if self.braced_quantifier().is_some() {
                        return Err(self.err(start, "Nothing to repeat"));
                    }
                    self.pos = self.pos.saturating_add(1);
                    self.quantified(top, Node::Unit(c), true, (0, 0))?;
                }
                _ => {
                    self.pos = self.pos.saturating_add(1);
                    self.quantified(top, Node::Unit(c), true, (0, 0))?;
                }
            }
        }
        if let Some(open) = stack.last() {
            return Err(self.err(open.start, "Unterminated group"));
        }
        let mut named_refs = Vec::with_capacity(self.named_refs.len());
        for (name, at) in &self.named_refs {
            match self.names.iter().find(|(n, _)| n == name) {
                Some(&(_, group)) => named_refs.push(group),
                None => return Err(self.err(*at, "Invalid named capture referenced")),
            }
        }
        Ok(Ast {
            root: root.into_body(),
            named_refs,
            groups: self.groups,
            sets: self.sets,
            looks: self.looks,
            regs: self.regs,
            has_backrefs: self.has_backrefs,
        })
    }

    /// Adds `set` to the set table (reusing an equal one) and returns its index.
    fn intern(&mut self, set: CharSet) -> u32 {
        let index = match self.sets.iter().position(|s| *s == set) {
            Some(i) => i,
            None => {
                self.sets.push(set);
                self.sets.len().saturating_sub(1)
            }
        };
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// Parses an optional quantifier after `atom` and appends the result to `top`.
    fn quantified(
        &mut self,
        top: &mut Frame,
        atom: Node,
        quantifiable: bool,
        caps: (u32, u32),
    ) -> Result<(), RegexError> {
        let start = self.pos;
        let (min, max) = match self.peek() {
            Some(0x2A) => (0, None),
            Some(0x2B) => (1, None),
            Some(0x3F) => (0, Some(1)),
            Some(0x7B) => match self.braced_quantifier() {
                Some((min, max, len)) => {
                    self.pos = self.pos.saturating_add(len.saturating_sub(1));
                    if max.is_some_and(|max| min > max) {
                        return Err(self.err(start, "numbers out of order in {} quantifier"));
                    }
                    (min, max)
                }
                None => {
                    top.seq.push(atom);
                    return Ok(());
                }
            },
            _ => {
                top.seq.push(atom);
                return Ok(());
            }
        };
        self.pos = self.pos.saturating_add(1);
        if !quantifiable {
            let message = if matches!(atom, Node::Look { .. }) { "Invalid quantifier" } else { "Nothing to repeat" };
            return Err(self.err(start, message));
        }
        let greedy = !self.eat(b'?');
        let min = u32::try_from(min).unwrap_or(u32::MAX);
        let max = match max {
            Some(m) if m < INFINITE_BOUND => Some(u32::try_from(m).unwrap_or(u32::MAX)),
            _ => None,
        };
        let reg = self.regs;
        self.regs = self.regs.saturating_add(1);
        top.seq.push(Node::Repeat(Box::new(Repeat { body: atom, min, max, greedy, caps, reg })));
        Ok(())
    }

    /// If the input at the cursor is `{n}`, `{n,}` or `{n,m}`, returns
    /// `(n, m, length)` without consuming it.
    fn braced_quantifier(&self) -> Option<(u64, Option<u64>, usize)> {
        let mut i = self.pos;
        if self.src.get(i) != Some(&u16::from(b'{')) {
            return None;
        }
        i = i.saturating_add(1);
        let (min, after) = self.digits(i)?;
        i = after;
        let max = match self.src.get(i).copied() {
            Some(0x7D) => Some(min),
            Some(0x2C) => {
                i = i.saturating_add(1);
                match self.digits(i) {
                    Some((max, after)) => {
                        i = after;
                        Some(max)
                    }
                    None => None,
                }
            }
            _ => return None,
        };
        if self.src.get(i) != Some(&u16::from(b'}')) {
            return None;
        }
        Some((min, max, i.saturating_add(1).saturating_sub(self.pos)))
    }

    /// Decimal digits starting at `i`: their saturated value and the offset after them.
    fn digits(&self, mut i: usize) -> Option<(u64, usize)> {
        let first = i;
        let mut value: u64 = 0;
        while let Some(&c @ 0x30..=0x39) = self.src.get(i) {
            value = value.saturating_mul(10).saturating_add(u64::from(c.saturating_sub(0x30)));
            i = i.saturating_add(1);
        }
        (i > first).then_some((value, i))
    }

    /// Consumes a group opener (`(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`).
    fn group_open(&mut self) -> Result<Kind, RegexError> {
        let start = self.pos;
        self.pos = self.pos.saturating_add(1);
        if !self.eat(b'?') {
            self.groups = self.groups.saturating_add(1);
            return Ok(Kind::Capture(self.groups));
        }
        match self.bump() {
            Some(0x3A) => Ok(Kind::NonCapture),
            Some(0x3D) => Ok(Kind::Look { behind: false, negate: false }),
            Some(0x21) => Ok(Kind::Look { behind: false, negate: true }),
            Some(0x3C) => {
                if self.eat(b'=') {
                    return Ok(Kind::Look { behind: true, negate: false });
                }
                if self.eat(b'!') {
                    return Ok(Kind::Look { behind: true, negate: true });
                }
                let Some(name) = self.group_name() else {
                    return Err(self.err(start, "Invalid capture group name"));
                };
                if self.names.iter().any(|(n, _)| *n == name) {
                    return Err(self.err(start, "Duplicate capture group name"));
                }
                self.groups = self.groups.saturating_add(1);
                self.names.push((name, self.groups));
                Ok(Kind::Capture(self.groups))
            }
            _ => Err(self.err(start, "Invalid group")),
        }
    }

    /// Parses `RegExpIdentifierName >` and returns the name as UTF-16.
    fn group_name(&mut self) -> Option<Vec<u16>> {
        let mut name = Vec::new();
        loop {
            let c = self.bump()?;
            if is_ascii(c, b'>') {
                return (!name.is_empty()).then_some(name);
            }
            let cp = if c == BACKSLASH {
                if !self.eat(b'u') {
                    return None;
                }
                self.name_unicode_escape()?
            } else if (0xD800..0xDC00).contains(&c) {
                match self.peek() {
                    Some(t @ 0xDC00..=0xDFFF) => {
                        self.pos = self.pos.saturating_add(1);
                        combine_surrogates(c, t)
                    }
                    _ => u32::from(c),
                }
            } else {
                u32::from(c)
            };
            let ch = char::from_u32(cp)?;
            let ok = if name.is_empty() { is_id_start(ch) } else { is_id_continue(ch) };
            if !ok {
                return None;
            }
            let mut buf = [0u16; 2];
            name.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }

    /// After `\u` in a group name: `{hex}` or `XXXX` (with a following
    /// `\uXXXX` trail surrogate combined into one code point).
    fn name_unicode_escape(&mut self) -> Option<u32> {
        if self.eat(b'{') {
            let mut value: u32 = 0;
            let mut count = 0usize;
            while let Some(d) = self.peek().and_then(hex_value) {
                self.pos = self.pos.saturating_add(1);
                value = value.checked_mul(16)?.checked_add(d)?;
                if value > 0x10FFFF {
                    return None;
                }
                count = count.saturating_add(1);
            }
            if count == 0 || !self.eat(b'}') {
                return None;
            }
            return Some(value);
        }
        let lead = self.hex4()?;
        if (0xD800..0xDC00).contains(&lead)
            && self.peek() == Some(BACKSLASH)
            && self.peek_at(1) == Some(u16::from(b'u'))
        {
            let save = self.pos;
            self.pos = self.pos.saturating_add(2);
            match self.hex4() {
                Some(trail @ 0xDC00..=0xDFFF) => {
                    return Some(combine_surrogates(lead, trail));
                }
                _ => self.pos = save,
            }
        }
        Some(u32::from(lead))
    }

    /// Consumes exactly four hex digits if present.
    fn hex4(&mut self) -> Option<u16> {
        let mut value: u16 = 0;
        for k in 0..4 {
            let d = self.peek_at(k).and_then(hex_value)?;
            value = value.wrapping_mul(16).wrapping_add(u16::try_from(d).ok()?);
        }
        self.pos = self.pos.saturating_add(4);
        Some(value)
    }

    /// Consumes exactly two hex digits if present.
    fn hex2(&mut self) -> Option<u16> {
        let hi = self.peek().and_then(hex_value)?;
        let lo = self.peek_at(1).and_then(hex_value)?;
        self.pos = self.pos.saturating_add(2);
        u16::try_from(hi.saturating_mul(16).saturating_add(lo)).ok()
    }

    /// After `\` outside a class (`start` is the offset of the `\`).
    fn atom_escape(&mut self, start: usize) -> Result<Escape, RegexError> {
        let Some(c) = self.bump() else {
            return Err(self.err(start, "\\ at end of pattern"));
        };
        match c {
            0x62 /* b */ => Ok(Escape::Assert(Assertion::WordBoundary)),
            0x42 /* B */ => Ok(Escape::Assert(Assertion::NotWordBoundary)),
            0x31..=0x39 => {
                let after_first = self.pos;
                let (n, after) = self.digits(after_first.saturating_sub(1)).unwrap_or((0, after_first));
                if n <= u64::from(self.total_groups) {
                    self.pos = after;
                    return Ok(Escape::BackRef(u32::try_from(n).unwrap_or(u32::MAX)));
                }
                // Not a valid group number: a legacy octal escape, or `\8` `\9`
                // as identity escapes.
                Ok(self.character_escape(c, false)?.map_or(Escape::Unit(c), |a| match a {
                    ClassAtom::Unit(u) => Escape::Unit(u),
                    ClassAtom::Set(r) => Escape::Set(r, false),
                }))
            }
            0x6B /* k */ if self.has_named => {
                if !self.eat(b'<') {
                    return Err(self.err(start, "Invalid named reference"));
                }
                match self.group_name() {
                    Some(name) => Ok(Escape::Named(name)),
                    None => Err(self.err(start, "Invalid named reference")),
                }
            }
            _ => match self.character_escape(c, false)? {
                Some(ClassAtom::Unit(u)) => Ok(Escape::Unit(u)),
                Some(ClassAtom::Set(r)) => Ok(Escape::Set(r, false)),
                None => Ok(Escape::Unit(c)),
            },
        }
    }

    /// A `CharacterEscape` or `CharacterClassEscape` after `\` and `c`
    /// (already consumed), shared by atoms and classes. `None` means an
    /// identity escape of `c`.
    fn character_escape(&mut self, c: u16, in_class: bool) -> Result<Option<ClassAtom>, RegexError> {
        let unit = match c {
            0x64 /* d */ => return Ok(Some(ClassAtom::Set(charset::DIGIT.to_vec()))),
            0x44 /* D */ => return Ok(Some(ClassAtom::Set(charset::complement(charset::DIGIT)))),
            0x77 /* w */ => return Ok(Some(ClassAtom::Set(charset::WORD.to_vec()))),
            0x57 /* W */ => return Ok(Some(ClassAtom::Set(charset::complement(charset::WORD)))),
            0x73 /* s */ => return Ok(Some(ClassAtom::Set(charset::SPACE.to_vec()))),
            0x53 /* S */ => return Ok(Some(ClassAtom::Set(charset::complement(charset::SPACE)))),
            0x66 /* f */ => 0x0C,
            0x6E /* n */ => 0x0A,
            0x72 /* r */ => 0x0D,
            0x74 /* t */ => 0x09,
            0x76 /* v */ => 0x0B,
            0x63 /* c */ => match self.peek() {
                Some(l @ (0x41..=0x5A | 0x61..=0x7A)) => {
                    self.pos = self.pos.saturating_add(1);
                    l % 32
                }
                Some(l @ (0x30..=0x39 | 0x5F)) if in_class => {
                    self.pos = self.pos.saturating_add(1);
                    l % 32
                }
                _ => {
                    // `\` not followed by a control letter: a literal backslash,
                    // and the `c` is parsed again as the next atom.
                    self.pos = self.pos.saturating_sub(1);
                    BACKSLASH
                }
            },
            0x30 /* 0 */ if !is_octal(self.peek()) => 0,
            0x30..=0x37 => self.legacy_octal(c),
            0x78 /* x */ => self.hex2().unwrap_or(c),
            0x75 /* u */ => self.hex4().unwrap_or(c),
            0x6B /* k */ if self.has_named => {
                return Err(self.err(self.pos.saturating_sub(2), "Invalid escape"));
            }
            _ => return Ok(None),
        };
        Ok(Some(ClassAtom::Unit(unit)))
    }

    /// `LegacyOctalEscapeSequence` whose first digit `first` is consumed.
    fn legacy_octal(&mut self, first: u16) -> u16 {
        let mut value = first.saturating_sub(0x30);
        if is_octal(self.peek()) {
            // At most 0o377: no overflow.
            value = value.saturating_mul(8).saturating_add(self.bump().unwrap_or(0x30).saturating_sub(0x30));
            if first <= 0x33 && is_octal(self.peek()) {
                value = value.saturating_mul(8).saturating_add(self.bump().unwrap_or(0x30).saturating_sub(0x30));
            }
        }
        value
    }

    /// A character class, starting at `[`.
    fn class(&mut self) -> Result<CharSet, RegexError> {
        let start = self.pos;
        self.pos = self.pos.saturating_add(1);
        let negate = self.eat(b'^');
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.err(start, "Unterminated character class")),
                Some(0x5D) => {
                    self.pos = self.pos.saturating_add(1);
                    break;
                }
                Some(_) => {}
            }
            let atom_start = self.pos;
            let a = self.class_atom()?;
            let is_range = self.peek() == Some(u16::from(b'-')) && !matches!(self.peek_at(1), None | Some(0x5D));
            if !is_range {
                push_atom(&mut ranges, a);
                continue;
            }
            self.pos = self.pos.saturating_add(1);
            let b = self.class_atom()?;
            match (a, b) {
                (ClassAtom::Unit(lo), ClassAtom::Unit(hi)) => {
                    if lo > hi {
                        return Err(self.err(atom_start, "Range out of order in character class"));
                    }
                    ranges.push((lo, hi));
                }
                (a, b) => {
                    // Annex B: a range with a class escape at either end is the
                    // union of both ends and `-`.
                    push_atom(&mut ranges, a);
                    push_atom(&mut ranges, b);
                    ranges.push((0x2D, 0x2D));
                }
            }
        }
        Ok(CharSet::new(ranges, negate))
    }

    /// One `ClassAtom` (the cursor is not at `]` or the end).
    fn class_atom(&mut self) -> Result<ClassAtom, RegexError> {
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Err(self.err(start, "Unterminated character class"));
        };
        if c != BACKSLASH {
            return Ok(ClassAtom::Unit(c));
        }
        let Some(e) = self.bump() else {
            return Err(self.err(start, "\\ at end of pattern"));
        };
        if is_ascii(e, b'b') {
            return Ok(ClassAtom::Unit(0x08));
        }
        Ok(self.character_escape(e, true)?.unwrap_or(ClassAtom::Unit(e)))
    }
}

fn push_atom(ranges: &mut Vec<(u16, u16)>, atom: ClassAtom) {
    match atom {
        ClassAtom::Unit(u) => ranges.push((u, u)),
        ClassAtom::Set(r) => ranges.extend(r),
    }
}

fn combine_surrogates(lead: u16, trail: u16) -> u32 {
    let high = u32::from(lead).saturating_sub(0xD800) & 0x3FF;
    let low = u32::from(trail).saturating_sub(0xDC00) & 0x3FF;
    0x10000u32.saturating_add(high << 10).saturating_add(low)
}

/// `ID_Start` approximated with the standard library's `Alphabetic` property
/// (which contains it), plus `$` and `_`.
fn is_id_start(ch: char) -> bool {
    ch == '$' || ch == '_' || ch.is_ascii_alphabetic() || (!ch.is_ascii() && ch.is_alphabetic())
}

/// `ID_Continue` approximated with `Alphanumeric`, plus `$`, `_`, ZWNJ and ZWJ.
fn is_id_continue(ch: char) -> bool {
    is_id_start(ch)
        || ch.is_ascii_digit()
        || ch == '\u{200C}'
        || ch == '\u{200D}'
        || (!ch.is_ascii() && ch.is_alphanumeric())
}

/// The character (Unicode scalar) position of UTF-16 offset `at` in `src`.
fn char_position(src: &[u16], at: usize) -> usize {
    let prefix = src.get(..at).unwrap_or(src);
    let trails = prefix.windows(2).filter(|w| matches!(w, [0xD800..=0xDBFF, 0xDC00..=0xDFFF])).count();
    prefix.len().saturating_sub(trails)
}
