//! Errors: what can be wrong with loaded data, said so that a user can fix it.

use std::fmt;

/// Why a snapshot body was rejected. The data loaded before stays untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The body is not valid JSON, or its top level has the wrong shape.
    Body {
        /// Which kind of body (`splitChanges`, `segmentChanges`).
        what: &'static str,
        /// Where in the body (a JSON path, `.` for the top level).
        path: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The body is JSON `null` or not an object.
    NotAnObject {
        /// Which kind of body.
        what: &'static str,
    },
    /// A required field is missing.
    MissingField {
        /// Which kind of body.
        what: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A feature flag definition is malformed.
    Flag {
        /// Its position in the change list.
        index: usize,
        /// Its name, when one could be read.
        name: Option<String>,
        /// The field at fault, as a path inside the flag (e.g. `conditions[0].partitions[1].size`).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A rule-based segment definition is malformed.
    RuleBasedSegment {
        /// Its position in the change list.
        index: usize,
        /// Its name, when one could be read.
        name: Option<String>,
        /// The field at fault.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A segment change body is malformed.
    Segment {
        /// The segment's name, when one could be read.
        name: Option<String>,
        /// The field at fault.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The body names the same definition twice.
    Duplicate {
        /// `flag` or `rule-based segment`.
        kind: &'static str,
        /// The repeated name.
        name: String,
    },
}

impl LoadError {
    pub(crate) fn body(what: &'static str, json: &str, e: &serde_json::Error) -> LoadError {
        LoadError::Body { what, path: crate::model::json_path::error_path(json, e), message: e.to_string() }
    }
}

fn named(name: &Option<String>) -> String {
    match name {
        Some(n) => format!(" {n:?}"),
        None => String::new(),
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Body { what, path, message } if path == "." => write!(f, "{what} body is malformed: {message}"),
            LoadError::Body { what, path, message } => write!(f, "{what} body is malformed at `{path}`: {message}"),
            LoadError::NotAnObject { what } => write!(f, "{what} body must be a JSON object"),
            LoadError::MissingField { what, field } => write!(f, "{what} body has no `{field}` field"),
            LoadError::Flag { index, name, path, message } => {
                write!(f, "feature flag #{index}{} is malformed at `{path}`: {message}", named(name))
            }
            LoadError::RuleBasedSegment { index, name, path, message } => {
                write!(f, "rule-based segment #{index}{} is malformed at `{path}`: {message}", named(name))
            }
            LoadError::Segment { name, path, message } => {
                write!(f, "segment change{} is malformed at `{path}`: {message}", named(name))
            }
            LoadError::Duplicate { kind, name } => write!(f, "the body defines {kind} {name:?} more than once"),
        }
    }
}

impl std::error::Error for LoadError {}
