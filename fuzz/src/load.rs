//! SplitChange / SegmentChange loading, both shapes (spec 1.3 `{"ff":{..},"rbs":{..}}` and the
//! classic `{"splits":[..],"since","till"}`): any bytes, as the body of a push or a fetch.
//!
//! Checks: no panic; a rejected body leaves the snapshot exactly as it was (flags, change
//! numbers, segments); an accepted one gives a snapshot whose listings agree with its lookups,
//! and applying the same body again changes nothing.

use split_edge::Snapshot;

use crate::snapshots;

/// Flag names, change numbers, rule-based segment count and segments `(name, size, change number)`.
pub type Fingerprint = (Vec<String>, i64, i64, usize, Vec<(String, usize, i64)>);

/// What a snapshot looks like from outside, to compare before and after a change.
pub fn fingerprint(snapshot: &Snapshot) -> Fingerprint {
    let mut segments: Vec<(String, usize, i64)> = snapshot
        .segments()
        .map(|(name, segment)| (name.to_owned(), segment.keys.len(), segment.change_number))
        .collect();
    segments.sort();
    (
        snapshot.flag_names().to_vec(),
        snapshot.flags_change_number(),
        snapshot.rule_based_segments_change_number(),
        snapshot.rule_based_segment_count(),
        segments,
    )
}

/// Feeds `data` to every loading entry point.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);

    let mut snapshot = snapshots::demo().clone();
    let before = fingerprint(&snapshot);
    match snapshot.apply_split_changes_json(&text) {
        Err(_) => assert_eq!(fingerprint(&snapshot), before, "a rejected splitChanges body changed the snapshot"),
        Ok(_) => {
            assert_eq!(snapshot.flag_count(), snapshot.flag_names().len());
            for name in snapshot.flag_names() {
                let flag = snapshot.flag(name).unwrap_or_else(|| panic!("listed flag {name:?} not found"));
                assert_eq!(&flag.name, name);
            }
            assert_eq!(snapshot.flags().count(), snapshot.flag_count());
            let once = fingerprint(&snapshot);
            snapshot.apply_split_changes_json(&text).expect("an accepted body is accepted again");
            assert_eq!(fingerprint(&snapshot), once, "applying the same body twice differs from once");
            let _ = snapshot.referenced_segments();
            let _ = snapshot.all_segments_used();
        }
    }

    let before = fingerprint(&snapshot);
    match snapshot.apply_segment_change_json(&text) {
        Err(_) => assert_eq!(fingerprint(&snapshot), before, "a rejected segmentChanges body changed the snapshot"),
        Ok(_) => {
            let once = fingerprint(&snapshot);
            snapshot.apply_segment_change_json(&text).expect("an accepted body is accepted again");
            assert_eq!(fingerprint(&snapshot), once, "applying the same segment body twice differs from once");
        }
    }
    let _ = snapshot.apply_large_segment_change_json(&text);
}
