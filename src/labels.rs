//! The exact label and treatment strings of Split's SDKs (spec §2.6).

/// The treatment returned when no real treatment can be given.
pub const CONTROL: &str = "control";
/// The flag is not in the snapshot.
pub const DEFINITION_NOT_FOUND: &str = "definition not found";
/// The evaluation failed (the JS SDK throws).
pub const EXCEPTION: &str = "exception";
/// The SDK has no data yet.
pub const NOT_READY: &str = "not ready";
/// The flag is archived.
pub const ARCHIVED: &str = "archived";
/// The flag is killed.
pub const KILLED: &str = "killed";
/// A prerequisite was not met.
pub const PREREQUISITES_NOT_MET: &str = "prerequisites not met";
/// The key fell outside the traffic allocation.
pub const NOT_IN_SPLIT: &str = "not in split";
/// No condition matched (also the label of a condition without one).
pub const DEFAULT_RULE: &str = "default rule";
/// An unknown matcher type, a condition without matchers, or a flag without conditions.
pub const UNSUPPORTED_MATCHER_TYPE: &str = "targeting rule type unsupported by sdk";
/// Prefix of the label when a fallback treatment replaced `control`.
pub const FALLBACK_PREFIX: &str = "fallback - ";
