//! The fixed data some targets evaluate against: the demo snapshot (`demo/`), loaded once.

use std::sync::OnceLock;

use split_edge::Snapshot;

/// The demo's `splitChanges` body.
pub const DEMO_SPLITS: &str = include_str!("../../demo/splits.json");
/// The demo's segments, as `(name, segmentChanges body)`.
pub const DEMO_SEGMENTS: &[(&str, &str)] = &[
    ("beta_testers", include_str!("../../demo/segments/beta_testers.json")),
    ("internal_staff", include_str!("../../demo/segments/internal_staff.json")),
];

/// The demo snapshot (flags and segments), loaded on first use.
///
/// # Panics
/// If the demo data does not load (a broken checkout, not a fuzz finding).
pub fn demo() -> &'static Snapshot {
    static DEMO: OnceLock<Snapshot> = OnceLock::new();
    DEMO.get_or_init(|| {
        let mut snapshot = Snapshot::new();
        snapshot.apply_split_changes_json(DEMO_SPLITS).expect("demo/splits.json loads");
        for (name, body) in DEMO_SEGMENTS {
            snapshot.apply_segment_change_json(body).unwrap_or_else(|e| panic!("demo segment {name}: {e}"));
        }
        snapshot
    })
}
