//! The parsed form of a pattern.

use super::charset::CharSet;

/// A zero-width positional assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Assertion {
    /// `^`: start of input (no `m` flag).
    Start,
    /// `$`: end of input (no `m` flag).
    End,
    /// `\b`.
    WordBoundary,
    /// `\B`.
    NotWordBoundary,
}

/// A node of the pattern tree. Nesting only happens through groups, whose
/// depth the parser bounds, so recursive walks over this tree are bounded.
#[derive(Debug)]
pub(crate) enum Node {
    /// Matches the empty string.
    Empty,
    /// One literal UTF-16 code unit.
    Unit(u16),
    /// One code unit from a set (index into [`Ast::sets`]).
    Set(u32),
    /// `^ $ \b \B`.
    Assert(Assertion),
    /// A capturing group (1-based index).
    Group { index: u32, body: Box<Node> },
    /// A lookaround; `id`s are assigned in post-order (inner before outer).
    Look { id: u32, behind: bool, negate: bool, body: Box<Node> },
    /// A backreference to a (1-based) group.
    BackRef(u32),
    /// A named backreference: index into [`Ast::named_refs`].
    NamedRef(u32),
    /// A sequence.
    Concat(Vec<Node>),
    /// Alternatives, in priority order.
    Alt(Vec<Node>),
    /// A quantified atom.
    Repeat(Box<Repeat>),
}

/// A quantifier applied to an atom.
#[derive(Debug)]
pub(crate) struct Repeat {
    /// The repeated atom.
    pub body: Node,
    /// Minimum number of iterations.
    pub min: u32,
    /// Maximum number of iterations (`None`: unbounded).
    pub max: Option<u32>,
    /// `false` for lazy quantifiers (`*?` etc.).
    pub greedy: bool,
    /// Capture groups inside the atom: 1-based indices `caps.0 .. caps.1`.
    pub caps: (u32, u32),
    /// The register used for the empty-iteration check.
    pub reg: u32,
}

/// A parsed pattern.
#[derive(Debug)]
pub(crate) struct Ast {
    /// The pattern tree.
    pub root: Node,
    /// Number of capturing groups.
    pub groups: u32,
    /// Character sets referenced by [`Node::Set`].
    pub sets: Vec<CharSet>,
    /// Number of lookarounds.
    pub looks: u32,
    /// Number of quantifier registers.
    pub regs: u32,
    /// The (1-based) group each [`Node::NamedRef`] refers to.
    pub named_refs: Vec<u32>,
    /// Whether the pattern contains a backreference.
    pub has_backrefs: bool,
}

impl Node {
    /// Whether every match of this node must start at input position 0.
    pub(crate) fn anchored_start(&self) -> bool {
        match self {
            Node::Assert(Assertion::Start) => true,
            Node::Concat(items) => items.first().is_some_and(Node::anchored_start),
            Node::Alt(alts) => !alts.is_empty() && alts.iter().all(Node::anchored_start),
            Node::Group { body, .. } => body.anchored_start(),
            Node::Repeat(r) => r.min > 0 && r.body.anchored_start(),
            _ => false,
        }
    }
}
