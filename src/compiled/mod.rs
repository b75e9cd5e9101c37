//! The compiled, indexed form of rollout data that the evaluator runs on.
//!
//! Compilation happens once, when a snapshot is loaded: regexes and semvers are parsed, whitelists
//! become hash sets, DATETIME rule values are truncated, partitions are accumulated, and the ways
//! in which the JavaScript SDK would fail on a definition are decided up front (see [`Rules`]).
//! Nothing is re-parsed per evaluation.

#[cfg(feature = "binary")]
mod binary;
mod datetime;
mod definition;
mod flag;
mod matcher;

#[cfg(feature = "binary")]
pub(crate) use binary::RegexSharing;
pub use datetime::{start_of_day, start_of_minute};
pub use flag::{
    CompiledCondition, CompiledFlag, CompiledPrerequisite, CompiledRuleBasedSegment, ExcludedSegmentRef, Partitions,
    PrerequisiteTreatments, Rules,
};
pub(crate) use matcher::CompileCache;
pub use matcher::{CompiledMatcher, DataType, MatcherKind, ValueSource};
