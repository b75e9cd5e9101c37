//! File loading shared by the examples.

use std::path::Path;

use split_edge::{conformance, Snapshot};

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Loads a `splitChanges` JSON file and every `*.json` `segmentChanges` file of a directory.
pub fn load_snapshot(splits: &str, segments_dir: &str) -> Result<Snapshot, String> {
    let dir = Path::new(segments_dir);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let segments: Vec<String> = files.iter().map(|f| read(f)).collect::<Result<_, _>>()?;
    conformance::load(&read(Path::new(splits))?, &segments).map_err(|(which, e)| format!("{splits} ({which}): {e}"))
}
