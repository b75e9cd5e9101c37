//! What split-edge's fuzz targets check: one module per door that takes outside bytes, each with
//! a `run(data)` that feeds the bytes through that door and panics when the engine panics or an
//! invariant does not hold.
//!
//! The cargo-fuzz crate (`fuzz/targets`, libFuzzer) calls these functions; `cargo test` replays
//! them over every seed (`fuzz/corpus/<target>/`) and every input a fuzzing run found crashing
//! (`fuzz/regressions/<target>/`), so a fixed crash stays fixed.

pub mod client_json;
pub mod eval;
pub mod gen;
pub mod input;
pub mod load;
pub mod localhost;
pub mod params;
pub mod regex;
pub mod snapshots;
pub mod sync;
pub mod track;

/// A target's check: feeds the bytes through its door, panics on a finding.
pub type Check = fn(&[u8]);

/// Every target: its name (the folder names under `fuzz/corpus/` and `fuzz/regressions/`, and
/// the cargo-fuzz binary names) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("load", load::run),
    ("eval", eval::run),
    ("client_json", client_json::run),
    ("track", track::run),
    ("regex", regex::run),
    ("localhost", localhost::run),
    ("params", params::run),
    ("sync", sync::run),
];
