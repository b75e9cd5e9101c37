//! Replays every fuzz target over its seeds (`fuzz/corpus/<target>/`) and over every input a
//! fuzzing run found failing (`fuzz/regressions/<target>/`, each a bug fixed since): the checks
//! are the fuzz targets' own ([`split_edge_fuzz_checks::TARGETS`]), so a fixed crash that comes
//! back fails `cargo test`.

use std::path::{Path, PathBuf};

use split_edge_fuzz_checks::TARGETS;

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn replay(folder: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut count = 0;
    for (target, check) in TARGETS {
        for file in files(&root.join(target)) {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails its check", file.display());
            count += 1;
        }
    }
    count
}

#[test]
fn every_seed_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, _) in TARGETS {
        assert!(!files(&root.join(target)).is_empty(), "no seeds for {target}");
    }
    assert!(replay("corpus") > 0);
}

#[test]
fn every_regression_input_passes_its_target() {
    replay("regressions");
}
