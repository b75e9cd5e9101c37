//! The error returned for a rejected pattern.

use std::fmt;

/// Why a pattern was rejected.
///
/// [`RegexError::Syntax`] corresponds to a JavaScript `SyntaxError` from
/// `new RegExp(pattern)`; the other variants are this engine's own documented
/// resource bounds (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexError {
    /// The pattern is not valid ECMAScript (no flags, Annex B) syntax.
    Syntax {
        /// Where the offending construct starts, in characters (Unicode scalar
        /// values) from the start of the pattern, counting from 0.
        position: usize,
        /// What is wrong, worded like the V8 message where there is one
        /// (e.g. `"Nothing to repeat"`).
        message: &'static str,
    },
    /// Groups are nested deeper than the supported limit.
    TooDeep {
        /// The `(` that exceeds the limit, in characters from the start.
        position: usize,
        /// The maximum nesting depth of groups.
        limit: usize,
    },
    /// The compiled program would exceed the size limit (typically because of
    /// large counted repetitions such as `a{100000}` or nested `{n,m}`).
    TooLarge {
        /// The maximum number of compiled instructions.
        limit: usize,
    },
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegexError::Syntax { position, message } => {
                write!(f, "invalid regular expression: {message} (at character {position})")
            }
            RegexError::TooDeep { position, limit } => {
                write!(f, "regular expression groups nested deeper than {limit} levels (at character {position})")
            }
            RegexError::TooLarge { limit } => write!(
                f,
                "regular expression too large: the compiled program exceeds {limit} instructions \
                 (reduce counted repetitions such as {{n,m}})"
            ),
        }
    }
}

impl std::error::Error for RegexError {}
