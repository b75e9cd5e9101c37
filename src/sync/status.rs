//! What synchronization did: one run's report, and the running totals a host shows on a status page.

use serde::Serialize;

use super::error::SyncError;
use super::urls::SpecVersion;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// When it started (the `now_ms` given to `start`).
    pub started_ms: u64,
    /// When it ended (the `now_ms` of its last outcome).
    pub finished_ms: u64,
    /// `splitChanges` requests made.
    pub split_changes_requests: u32,
    /// `segmentChanges` requests made.
    pub segment_changes_requests: u32,
    /// `memberships` requests made (client-side mode).
    pub memberships_requests: u32,
    /// Requests that failed (no response, non-2xx, or a body that does not parse).
    pub failed_requests: u32,
    /// Flags inserted or replaced.
    pub flags_upserted: usize,
    /// Flags removed (ARCHIVED, or outside the flag filter).
    pub flags_removed: usize,
    /// Rule-based segments inserted or replaced.
    pub rule_based_segments_upserted: usize,
    /// Rule-based segments removed.
    pub rule_based_segments_removed: usize,
    /// `segmentChanges` bodies applied.
    pub segment_pages_applied: u32,
    /// `memberships` bodies applied (client-side mode).
    pub memberships_applied: u32,
    /// The flags' change number afterwards.
    pub flags_change_number: i64,
    /// The rule-based segments' change number afterwards.
    pub rule_based_segments_change_number: i64,
}

/// Requests made since the synchronizer was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestCounts {
    /// `splitChanges` requests.
    pub split_changes: u64,
    /// `segmentChanges` requests.
    pub segment_changes: u64,
    /// `memberships` requests (client-side mode).
    pub memberships: u64,
    /// Requests that failed (no response, non-2xx, or a body that does not parse).
    pub failed: u64,
}

/// The synchronizer's totals and latest state, for a host's status page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Whether a run is waiting for outcomes.
    pub running: bool,
    /// Runs started.
    pub runs_started: u64,
    /// Runs that ended with everything applied.
    pub runs_succeeded: u64,
    /// Runs that ended with an error.
    pub runs_failed: u64,
    /// Runs abandoned (`abort`, or a stale run replaced by `start`).
    pub runs_abandoned: u64,
    /// When the last run started.
    pub last_run_started_ms: Option<u64>,
    /// When the last successful run ended.
    pub last_success_ms: Option<u64>,
    /// The error of the last failed run (kept after later successes: compare `last_error_ms` with
    /// `last_success_ms`).
    #[serde(serialize_with = "error_message")]
    pub last_error: Option<SyncError>,
    /// When the last failed run ended.
    pub last_error_ms: Option<u64>,
    /// The last finished run's report.
    pub last_report: Option<RunReport>,
    /// Requests made.
    pub requests: RequestCounts,
    /// The flags' change number after the last applied body (`-1`: none yet).
    pub flags_change_number: i64,
    /// The rule-based segments' change number after the last applied body (`-1`: none yet).
    pub rule_based_segments_change_number: i64,
    /// How many segments are registered for synchronization.
    pub registered_segments: usize,
    /// The flag spec version in use (`1.2` only after a Split Proxy rejected 1.3).
    pub spec_version: SpecVersion,
}

impl Default for SyncStatus {
    fn default() -> Self {
        SyncStatus {
            running: false,
            runs_started: 0,
            runs_succeeded: 0,
            runs_failed: 0,
            runs_abandoned: 0,
            last_run_started_ms: None,
            last_success_ms: None,
            last_error: None,
            last_error_ms: None,
            last_report: None,
            requests: RequestCounts::default(),
            flags_change_number: -1,
            rule_based_segments_change_number: -1,
            registered_segments: 0,
            spec_version: SpecVersion::V1_3,
        }
    }
}

/// Serializes a run error as its message (what a status page shows).
fn error_message<S: serde::Serializer>(error: &Option<SyncError>, serializer: S) -> Result<S::Ok, S::Error> {
    match error {
        Some(e) => serializer.collect_str(e),
        None => serializer.serialize_none(),
    }
}
