//! Pull mode (sans-I/O): what a synchronization run with Split's SDK API changes in the stored
//! form, so the cron can store it in KV as a push would.
//!
//! The core's synchronizer applies each `splitChanges` / `segmentChanges` response to the
//! isolate's snapshot. A [`PullCapture`] sees the same successful responses (the glue hands it
//! each one before reporting it to the core) and applies them to the stored form with the push
//! path's rules ([`FlagData::apply_split_changes`], [`apply_segment_change`]). At the end,
//! [`PullCapture::plan`] gives the KV writes of a new version (data keys first, the manifest
//! last), or nothing when the run changed nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use split_edge::sync::SyncStatus;
use split_edge::Snapshot;

use crate::layout::{self, KvWrite, Manifest};
use crate::state::{apply_segment_change, FlagData, PushError, SegmentData};

/// How stale the stored `lastSuccessMs` may get while runs keep succeeding: one hour (so a
/// cron every minute writes the record about 24 times a day, not 1,440).
pub const RECORD_REFRESH_MS: u64 = 3_600_000;

/// The outcome of the last synchronization runs as stored in KV (`env/<id>/sync`), so every
/// isolate's `/admin/stats` and `/admin/healthcheck` can report it, not only the cron's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRecord {
    /// When a run last succeeded (and its data was stored), ms.
    pub last_success_ms: Option<u64>,
    /// The last failure (a run's error, or storing its data), if the last run failed.
    pub last_error: Option<String>,
    /// When it failed, ms.
    pub last_error_ms: Option<u64>,
    /// When this record was written, ms.
    pub written_ms: u64,
}

impl SyncRecord {
    /// The key of an environment's record.
    pub fn key(env_id: &str) -> String {
        format!("{}sync", layout::env_prefix(env_id))
    }

    /// Parses a stored record (`None` if unreadable: it is rewritten at the next run).
    pub fn from_json(json: &str) -> Option<SyncRecord> {
        serde_json::from_str(json).ok()
    }

    /// The record as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The record after a run that ended at `now_ms` (`error`: the run's or the store's
    /// failure), and whether it must be written: when the outcome changed (success ↔ failure,
    /// another error), or a success's stored time is [`RECORD_REFRESH_MS`] old.
    pub fn after_run(previous: Option<&SyncRecord>, error: Option<String>, now_ms: u64) -> (SyncRecord, bool) {
        let prev = previous.cloned().unwrap_or_default();
        match error {
            Some(e) => {
                let write = previous.is_none() || prev.last_error.as_deref() != Some(e.as_str());
                (SyncRecord { last_error: Some(e), last_error_ms: Some(now_ms), written_ms: now_ms, ..prev }, write)
            }
            None => {
                let stale = prev.last_success_ms.is_none_or(|t| now_ms.saturating_sub(t) >= RECORD_REFRESH_MS);
                let write = previous.is_none() || prev.last_error.is_some() || stale;
                let next = SyncRecord {
                    last_success_ms: Some(now_ms),
                    last_error: None,
                    last_error_ms: None,
                    written_ms: now_ms,
                };
                (next, write)
            }
        }
    }

    /// The freshest view of this record and an isolate's own status: `(lastSuccessMs, lastError,
    /// lastErrorMs)`, the error only while it is newer than the last success.
    pub fn merge(stored: Option<&SyncRecord>, isolate: Option<&SyncStatus>) -> SyncRecord {
        let mut out = stored.cloned().unwrap_or_default();
        if let Some(s) = isolate {
            if s.last_success_ms > out.last_success_ms {
                out.last_success_ms = s.last_success_ms;
            }
            if s.last_error_ms > out.last_error_ms {
                out.last_error_ms = s.last_error_ms;
                out.last_error = s.last_error.as_ref().map(ToString::to_string);
            }
        }
        if out.last_error_ms.is_some() && out.last_error_ms < out.last_success_ms {
            out.last_error = None;
            out.last_error_ms = None;
        }
        out
    }
}

/// Which change list a request of the synchronizer fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `{sdk}/splitChanges?...`.
    Flags,
    /// `{sdk}/segmentChanges/<name>?since=...`.
    Segment(String),
}

/// Classifies a synchronizer request URL (`None`: not an SDK API request).
pub fn resource(sdk_url: &str, url: &str) -> Option<Resource> {
    let rest = url.strip_prefix(sdk_url)?.strip_prefix('/')?;
    if rest.starts_with("splitChanges?") {
        return Some(Resource::Flags);
    }
    let seg = rest.strip_prefix("segmentChanges/")?;
    let name = seg.rfind("?since=").and_then(|i| seg.get(..i))?;
    Some(Resource::Segment(name.to_owned()))
}

/// Why pulled changes could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullError {
    /// A response applied by the core does not follow the stored data (e.g. the stored data
    /// changed under the isolate); the next run starts over from the stored data.
    Diverged(PushError),
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::Diverged(e) => write!(
                f,
                "pulled changes do not follow the data stored in KV ({e}); the next cron run reloads the stored data and \
                 synchronizes from it"
            ),
        }
    }
}

impl std::error::Error for PullError {}

/// The stored form as a synchronization run changes it.
#[derive(Debug, Clone)]
pub struct PullCapture {
    sdk_url: String,
    flags: FlagData,
    flags_changed: bool,
    segments: BTreeMap<String, SegmentData>,
    error: Option<PullError>,
}

impl PullCapture {
    /// Starts from the stored flag data (`FlagData::default()` when nothing is stored).
    pub fn new(sdk_url: impl Into<String>, flags: FlagData) -> PullCapture {
        PullCapture { sdk_url: sdk_url.into(), flags, flags_changed: false, segments: BTreeMap::new(), error: None }
    }

    /// Takes a response of request `url`, before the core applies it. Only 2xx bodies matter
    /// (the core ignores the others); `stored_segment` gives a segment's stored form the first
    /// time one of its pages arrives (the snapshot still holds it then).
    pub fn on_response(
        &mut self,
        url: &str,
        status: u16,
        body: &str,
        stored_segment: impl FnOnce(&str) -> Option<SegmentData>,
    ) {
        if !(200..300).contains(&status) || self.error.is_some() {
            return;
        }
        match resource(&self.sdk_url, url) {
            Some(Resource::Flags) => {
                let before = self.flags.clone();
                match self.flags.apply_split_changes(body) {
                    Ok(_) => self.flags_changed |= self.flags != before,
                    // The core rejects it too (and reports it); nothing to store.
                    Err(PushError::Malformed(_) | PushError::Corrupt(_)) => {}
                    Err(e) => self.error = Some(PullError::Diverged(e)),
                }
            }
            Some(Resource::Segment(name)) => {
                let held = self.segments.remove(&name);
                let was_held = held.is_some();
                let current = held.or_else(|| stored_segment(&name));
                let keep = current.clone();
                match apply_segment_change(current, body) {
                    // The core applies the page to the segment it asked for, whatever the body's name.
                    Ok((mut seg, _)) => {
                        seg.name.clone_from(&name);
                        if was_held || keep.as_ref() != Some(&seg) {
                            self.segments.insert(name, seg);
                        }
                    }
                    Err(PushError::Malformed(_) | PushError::Corrupt(_)) => {
                        if let (true, Some(k)) = (was_held, keep) {
                            self.segments.insert(name, k);
                        }
                    }
                    Err(e) => self.error = Some(PullError::Diverged(e)),
                }
            }
            None => {}
        }
    }

    /// Whether the run changed anything to store.
    pub fn changed(&self) -> bool {
        self.flags_changed || !self.segments.is_empty()
    }

    /// The KV writes of the new version, `None` when nothing changed. `rules` is the snapshot
    /// the run synchronized (its compiled rules are stored in binary form when the flags
    /// changed).
    ///
    /// # Errors
    /// [`PullError`] when a response did not follow the stored data: nothing is stored then.
    pub fn plan(
        &self,
        env_id: &str,
        version: &str,
        now_ms: u64,
        previous: Option<&Manifest>,
        rules: Option<&Snapshot>,
    ) -> Result<Option<(Vec<KvWrite>, Manifest)>, PullError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.changed() {
            return Ok(None);
        }
        let flags = (self.flags_changed || previous.is_none()).then_some((&self.flags, rules));
        let segments: Vec<&SegmentData> = self.segments.values().collect();
        Ok(Some(layout::plan_version(env_id, version, now_ms, previous, flags, &segments)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use split_edge::sync::FlagFilter;
    use std::collections::HashMap;

    const SDK: &str = "http://sdk.test/api";

    fn flag(name: &str, status: &str, seg: Option<&str>) -> String {
        let matcher = match seg {
            Some(s) => format!(
                r#"{{"matcherType":"IN_SEGMENT","negate":false,"userDefinedSegmentMatcherData":{{"segmentName":"{s}"}}}}"#
            ),
            None => r#"{"matcherType":"ALL_KEYS","negate":false}"#.to_owned(),
        };
        format!(
            r#"{{"name":"{name}","trafficTypeName":"user","seed":1,"status":"{status}","killed":false,"defaultTreatment":"off",
            "changeNumber":1,"conditions":[{{"conditionType":"ROLLOUT","matcherGroup":{{"combiner":"AND","matchers":[{matcher}]}},
            "partitions":[{{"treatment":"on","size":100}}],"label":"l"}}]}}"#
        )
    }

    #[test]
    fn sync_records_are_written_on_changes_only() {
        let (r1, w) = SyncRecord::after_run(None, None, 1_000);
        assert!(w);
        assert_eq!(r1.last_success_ms, Some(1_000));
        let (r2, w) = SyncRecord::after_run(Some(&r1), None, 61_000);
        assert!(!w, "a success a minute later is not written");
        let (r3, w) = SyncRecord::after_run(Some(&r1), Some("status 401".into()), 2_000);
        assert!(w);
        assert_eq!((r3.last_success_ms, r3.last_error.as_deref()), (Some(1_000), Some("status 401")));
        let (_, w) = SyncRecord::after_run(Some(&r3), Some("status 401".into()), 3_000);
        assert!(!w, "the same error again is not written");
        let (_, w) = SyncRecord::after_run(Some(&r3), Some("status 500".into()), 3_000);
        assert!(w);
        let (_, w) = SyncRecord::after_run(Some(&r3), None, 4_000);
        assert!(w, "recovery is written");
        let (_, w) = SyncRecord::after_run(Some(&r1), None, 1_000 + RECORD_REFRESH_MS);
        assert!(w, "an hour-old success is refreshed");
        assert_eq!(SyncRecord::from_json(&r2.to_json()), Some(r2));
        // Merging: the isolate's newer success hides an older stored error.
        let status = SyncStatus { last_success_ms: Some(5_000), ..SyncStatus::default() };
        let m = SyncRecord::merge(Some(&r3), Some(&status));
        assert_eq!((m.last_success_ms, m.last_error), (Some(5_000), None));
        assert_eq!(SyncRecord::merge(Some(&r3), None).last_error.as_deref(), Some("status 401"));
        assert_eq!(SyncRecord::key("e"), "env/e/sync");
    }

    #[test]
    fn classifies_urls() {
        assert_eq!(resource(SDK, "http://sdk.test/api/splitChanges?s=1.3&since=-1"), Some(Resource::Flags));
        assert_eq!(
            resource(SDK, "http://sdk.test/api/segmentChanges/a b?since=5"),
            Some(Resource::Segment("a b".to_owned()))
        );
        assert_eq!(resource(SDK, "http://other/api/splitChanges?x"), None);
        assert_eq!(resource(SDK, "http://sdk.test/api/segmentChanges/x"), None);
    }

    #[test]
    fn pages_then_plan() {
        let mut c = PullCapture::new(SDK, FlagData::default());
        let page1 = format!(
            r#"{{"ff":{{"d":[{},{}],"s":-1,"t":5}},"rbs":{{"d":[],"s":-1,"t":-1}}}}"#,
            flag("a", "ACTIVE", Some("beta")),
            flag("b", "ACTIVE", None)
        );
        let page2 =
            format!(r#"{{"ff":{{"d":[{}],"s":5,"t":6}},"rbs":{{"d":[],"s":-1,"t":-1}}}}"#, flag("b", "ARCHIVED", None));
        c.on_response(&format!("{SDK}/splitChanges?s=1.3&since=-1&rbSince=-1"), 200, &page1, |_| None);
        c.on_response(&format!("{SDK}/splitChanges?s=1.3&since=5&rbSince=-1"), 200, &page2, |_| None);
        c.on_response(
            &format!("{SDK}/segmentChanges/beta?since=-1"),
            200,
            r#"{"name":"beta","added":["u1","u2"],"removed":[],"since":-1,"till":3}"#,
            |_| None,
        );
        c.on_response(
            &format!("{SDK}/segmentChanges/beta?since=3"),
            200,
            r#"{"name":"beta","added":[],"removed":["u2"],"since":3,"till":4}"#,
            |_| panic!("held"),
        );
        c.on_response(&format!("{SDK}/segmentChanges/beta?since=4"), 500, "oops", |_| None);
        let (writes, manifest) = c.plan("e", "v1", 10, None, None).unwrap().unwrap();
        assert_eq!(manifest.flags_change_number, 6);
        assert_eq!(manifest.flag_count, 1);
        assert_eq!(manifest.segments["beta"].change_number, 4);
        let kv: HashMap<String, String> =
            writes.into_iter().filter_map(|w| w.value.as_json().map(|v| (w.key.clone(), v.to_owned()))).collect();
        let snap = layout::assemble(&manifest, FlagFilter::none(), |k| kv.get(k).map(String::as_str)).unwrap();
        assert!(snap.in_segment("beta", "u1"));
        assert!(!snap.in_segment("beta", "u2"));
        assert_eq!(snap.flag_count(), 1);
    }

    #[test]
    fn nothing_changed_or_diverged() {
        let mut data = FlagData::default();
        data.apply_split_changes(r#"{"ff":{"d":[],"s":-1,"t":5}}"#).unwrap();
        let mut c = PullCapture::new(SDK, data.clone());
        c.on_response(&format!("{SDK}/splitChanges?s=1.3&since=5"), 200, r#"{"ff":{"d":[],"s":5,"t":5}}"#, |_| None);
        let stored = SegmentData { name: "s".into(), keys: ["k".to_owned()].into(), change_number: 2 };
        c.on_response(
            &format!("{SDK}/segmentChanges/s?since=2"),
            200,
            r#"{"name":"s","added":[],"removed":[],"since":2,"till":2}"#,
            |_| Some(stored.clone()),
        );
        let previous = layout::plan_version("e", "v0", 1, None, Some((&data, None)), &[&stored]).1;
        assert!(!c.changed());
        assert_eq!(c.plan("e", "v1", 10, Some(&previous), None).unwrap(), None);
        let mut c = PullCapture::new(SDK, data);
        c.on_response(&format!("{SDK}/splitChanges?s=1.3&since=9"), 200, r#"{"ff":{"d":[],"s":9,"t":10}}"#, |_| None);
        assert!(matches!(c.plan("e", "v1", 10, None, None), Err(PullError::Diverged(_))));
    }
}
