//! The `/admin/*` endpoints (sans-I/O parts): split-evaluator's ping, healthcheck, version,
//! uptime and stats (spec §8.7), and the planning of data pushes.
//!
//! Pushes: `POST /admin/split-changes` takes a `splitChanges` body (either shape) and
//! `POST /admin/segment-changes` a `segmentChanges` body. Both need the environment's
//! `Authorization` and the `X-Admin-Token` header. A body is validated and applied to the stored
//! form first; only a valid body produces KV writes ([`PushPlan`]).
//!
//! `POST /admin/snapshot` replaces the environment's data in one request with a body of the
//! shape `GET /admin/snapshot` answers (full bodies): one version, one manifest write.
//!
//! `GET /admin/snapshot` answers the environment's data as the bodies that would load it
//! (`{"splitChanges", "segmentChanges"}`); pages of the origins listed in
//! `SPLIT_EDGE_ADMIN_ORIGINS` (the playground's) may read it across origins ([`crate::cors`]).

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::api::Reply;
use crate::layout::{self, Change, KvWrite, Manifest};
use crate::state::{self, FlagData, PushError, SegmentData};
use split_edge::recorder::RecorderStats;
use split_edge::sync::{FlagFilter, SyncStatus};
use split_edge::Snapshot;

use crate::pull::SyncRecord;

/// The snapshot export's path: `GET` answers [`crate::layout::export`]'s body.
pub const SNAPSHOT_PATH: &str = "/admin/snapshot";

/// The Worker's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The KV writes of a push, in order (data first, manifest last), and what it changed.
#[derive(Debug, Clone)]
pub struct PushPlan {
    /// The writes.
    pub writes: Vec<KvWrite>,
    /// The new manifest.
    pub manifest: Manifest,
    /// What the push changed (answered to the caller).
    pub summary: Value,
    /// A split push's compiled rules (no segments): what the isolate serves once stored.
    pub rules: Option<Snapshot>,
}

/// A version id unique per push: the time and a hash of the body and a per-isolate counter.
pub fn version_id(now_ms: u64, body: &str, counter: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ counter;
    for b in body.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{now_ms:012x}-{h:016x}")
}

/// Plans a `splitChanges` push over the stored flag data, compiling the result under the
/// environment's flag filter (stored in binary form beside the JSON).
///
/// # Errors
/// [`PushError`]: nothing is written then.
pub fn plan_split_push(
    env_id: &str,
    version: &str,
    now_ms: u64,
    previous: Option<&Manifest>,
    mut flags: FlagData,
    body: &str,
    filter: &FlagFilter,
) -> Result<PushPlan, PushError> {
    let summary = flags.apply_split_changes(body)?;
    let rules = layout::compile(&flags, filter.clone()).map_err(|e| PushError::Corrupt(e.to_string()))?;
    let (writes, manifest) = layout::plan_push(env_id, version, now_ms, previous, Change::Flags(&flags, Some(&rules)));
    let summary = json!({"version": manifest.version, "flags": summary});
    Ok(PushPlan { writes, manifest, summary, rules: Some(rules) })
}

/// Plans a `segmentChanges` push over the stored segment (`current`, `None` when new).
///
/// # Errors
/// [`PushError`]: nothing is written then.
pub fn plan_segment_push(
    env_id: &str,
    version: &str,
    now_ms: u64,
    previous: Option<&Manifest>,
    current: Option<SegmentData>,
    body: &str,
) -> Result<PushPlan, PushError> {
    let (segment, summary) = state::apply_segment_change(current, body)?;
    let (writes, manifest) = layout::plan_push(env_id, version, now_ms, previous, Change::Segment(&segment));
    let summary = json!({"version": manifest.version, "segment": summary});
    Ok(PushPlan { writes, manifest, summary, rules: None })
}

/// Plans storing a whole snapshot at once, as a new version of an environment with nothing
/// reused: a full `splitChanges` body (`since` -1) and full `segmentChanges` bodies, validated
/// as pushes are, the rules compiled under `filter`. Used by `POST /admin/snapshot`
/// ([`plan_snapshot_push`]) and to prepare a `wrangler kv bulk put` from CI
/// (`examples/kv_bundle.rs`).
///
/// # Errors
/// The rejected body (`None`: the `splitChanges` body; `Some(i)`: `segment_changes[i]`) and why.
pub fn plan_snapshot(
    env_id: &str,
    version: &str,
    now_ms: u64,
    split_changes: &str,
    segment_changes: &[&str],
    filter: &FlagFilter,
) -> Result<PushPlan, (Option<usize>, PushError)> {
    let mut flags = FlagData::default();
    flags.apply_split_changes(split_changes).map_err(|e| (None, e))?;
    let mut segments: Vec<SegmentData> = Vec::with_capacity(segment_changes.len());
    for (i, body) in segment_changes.iter().enumerate() {
        let (segment, _) = state::apply_segment_change(None, body).map_err(|e| (Some(i), e))?;
        match segments.iter_mut().find(|s| s.name == segment.name) {
            Some(same) => *same = segment,
            None => segments.push(segment),
        }
    }
    let rules = layout::compile(&flags, filter.clone()).map_err(|e| (None, PushError::Corrupt(e.to_string())))?;
    let refs: Vec<&SegmentData> = segments.iter().collect();
    let (writes, manifest) = layout::plan_version(env_id, version, now_ms, None, Some((&flags, Some(&rules))), &refs);
    let summary = json!({
        "version": manifest.version,
        "flags": manifest.flag_count,
        "flagsChangeNumber": manifest.flags_change_number,
        "segments": manifest.segments.len(),
        "segmentKeys": manifest.segments.values().map(|s| s.key_count).sum::<usize>(),
    });
    Ok(PushPlan { writes, manifest, summary, rules: Some(rules) })
}

/// The body of `POST /admin/snapshot`: the shape `GET /admin/snapshot` answers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotBody<'a> {
    #[serde(borrow)]
    split_changes: &'a RawValue,
    #[serde(borrow, default)]
    segment_changes: Vec<&'a RawValue>,
}

/// Plans `POST /admin/snapshot`: the whole environment replaced, in one request, by a body of
/// the export's shape, `{"splitChanges": {...}, "segmentChanges": [{...}, ...]}` (full bodies,
/// `since` -1).
///
/// # Errors
/// A 400 reply naming the field (`splitChanges` or `segmentChanges[i]`): nothing is written then.
pub fn plan_snapshot_push(
    env_id: &str,
    version: &str,
    now_ms: u64,
    previous: Option<&Manifest>,
    body: &str,
    filter: &FlagFilter,
) -> Result<PushPlan, Reply> {
    let parsed: SnapshotBody<'_> = serde_json::from_str(body).map_err(|e| {
        Reply::error(
            400,
            Value::String(format!(
                "the body must be {{\"splitChanges\": {{...}}, \"segmentChanges\": [...]}} (the shape GET {SNAPSHOT_PATH} answers): {e}"
            )),
        )
    })?;
    let segments: Vec<&str> = parsed.segment_changes.iter().map(|s| s.get()).collect();
    let mut plan =
        plan_snapshot(env_id, version, now_ms, parsed.split_changes.get(), &segments, filter).map_err(|(at, e)| {
            let field = at.map_or_else(|| "splitChanges".to_owned(), |i| format!("segmentChanges[{i}]"));
            Reply::error(push_status(&e), Value::String(format!("{field}: {e}; nothing was written")))
        })?;
    // Large segments are not part of a snapshot body: those stored stay.
    if let Some(previous) = previous.filter(|p| !p.large_segments.is_empty()) {
        plan.manifest.large_segments = previous.large_segments.clone();
        layout::set_manifest(&mut plan.writes, env_id, &plan.manifest);
    }
    Ok(plan)
}

/// The path of large segment pushes: `POST /admin/large-segment?name=<name>&changeNumber=<n>`
/// with the key list as the body, a CSV file of one column (the format of Split's large
/// segment files), replacing the stored key list.
pub const LARGE_SEGMENT_PATH: &str = "/admin/large-segment";
/// The largest large segment push body: 64 MiB (larger key lists are pulled from Split, whose
/// files are read in passes).
pub const LARGE_PUSH_MAX_BYTES: usize = 64 << 20;

/// A large segment push's name and change number, validated against what is stored: 400 naming
/// the parameter that is missing or malformed, 409 for a change number below the stored one,
/// 413 for a body over [`LARGE_PUSH_MAX_BYTES`].
///
/// # Errors
/// The answer to give instead.
pub fn large_push_target(req: &crate::params::ApiRequest, stored: Option<&Manifest>) -> Result<(String, i64), Reply> {
    let name = req.param("name").map(str::trim).filter(|n| !n.is_empty());
    let Some(name) = name else {
        return Err(Reply::error(400, "the name query parameter (the large segment's name) is required".into()));
    };
    let change_number = match req.param("changeNumber").map(str::parse::<i64>) {
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(Reply::error(400, "the changeNumber query parameter must be an integer".into())),
        None => return Err(Reply::error(400, "the changeNumber query parameter is required".into())),
    };
    let size = req.body.as_ref().map_or(0, String::len);
    if size > LARGE_PUSH_MAX_BYTES {
        return Err(Reply::error(
            413,
            Value::String(format!(
                "the body has {size} bytes; a large segment push takes at most {LARGE_PUSH_MAX_BYTES} (pull larger ones from Split)"
            )),
        ));
    }
    if let Some(held) = stored.and_then(|m| m.large_segments.get(name)).filter(|e| e.change_number > change_number) {
        return Err(Reply::error(
            409,
            Value::String(format!(
                "large segment {name:?} is stored at changeNumber {}, above {change_number}; nothing was written",
                held.change_number
            )),
        ));
    }
    Ok((name.to_owned(), change_number))
}

/// The answer to a rejected push: 409 for a conflict, 400 otherwise, `{"error": message}`.
pub fn push_error(e: &PushError) -> Reply {
    Reply::error(push_status(e), Value::String(e.to_string()))
}

/// 409 for a conflict, 400 otherwise.
fn push_status(e: &PushError) -> u16 {
    if matches!(e, PushError::Conflict { .. }) {
        409
    } else {
        400
    }
}

/// `"<d>d <h>h <m>m <s>s"`.
pub fn uptime(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}d {}h {}m {}s", s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60)
}

/// `/admin/version`.
pub fn version() -> Value {
    json!({"version": VERSION, "sdk": "split-edge", "sdkVersion": VERSION})
}

/// What `/admin/stats` reports of one environment.
#[derive(Debug, Clone, Default)]
pub struct EnvStats {
    /// The environment id.
    pub id: String,
    /// Flags loaded (after the flag-set filter).
    pub split_count: usize,
    /// Segments loaded.
    pub segment_count: usize,
    /// Whether flag data is loaded.
    pub ready: bool,
    /// The loaded manifest, if any.
    pub manifest: Option<Manifest>,
    /// When this isolate last read the manifest (ms).
    pub checked_ms: u64,
    /// The last load error, if the stored data could not be loaded.
    pub last_error: Option<String>,
    /// Whether the environment synchronizes with Split on cron runs (pull mode).
    pub pull: bool,
    /// The impressions mode.
    pub impressions_mode: String,
    /// The recorder's counters (this isolate's).
    pub recorder: Option<RecorderStats>,
    /// The synchronization status of this isolate's cron runs (pull mode only).
    pub sync: Option<SyncStatus>,
    /// The last runs' outcome as stored in KV by any isolate (pull mode only).
    pub sync_record: Option<SyncRecord>,
    /// Why the last synchronized data could not be stored in KV, if it could not.
    pub store_error: Option<String>,
    /// The streaming Durable Object's answer (version, whether streaming serves, phase,
    /// figures), when the environment streams.
    pub streaming: Option<Value>,
    /// Large segment membership lookups of this isolate and the memberships it caches, when the
    /// environment has large segments.
    pub large_segments: Option<Value>,
}

/// `/admin/healthcheck`: 200 when data is loaded; else 500, saying why when the last
/// synchronization failed.
pub fn healthcheck(ready: bool, sync_error: Option<&str>) -> Reply {
    if ready {
        return Reply::text(200, "Split Evaluator working as expected.");
    }
    let base = "Split evaluator engine is not evaluating traffic properly.";
    match sync_error {
        Some(e) => Reply::text(
            500,
            format!("{base} No rollout data is loaded: the last synchronization with Split failed: {e}"),
        ),
        None => Reply::text(500, base),
    }
}

/// `/admin/machine`: split-evaluator answers its host's IP and name. A Worker has neither: the
/// name is the Cloudflare data center (`request.cf.colo`, e.g. `"SJC"`) when the runtime tells it,
/// else `"unavailable"`; the IP is always `"unavailable"` (split-evaluator's own placeholder).
pub fn machine(colo: Option<&str>) -> Value {
    let name = colo.map(str::trim).filter(|c| !c.is_empty()).unwrap_or(UNAVAILABLE);
    json!({"ip": UNAVAILABLE, "name": name})
}

const UNAVAILABLE: &str = "unavailable";

/// A token as split-evaluator's stats show it: every UTF-16 unit but the last four replaced by
/// `#` (`"prod-token"` → `"######oken"`); tokens of four units or fewer are shown whole.
pub fn obfuscate(token: &str) -> String {
    let mut hidden = split_edge::js::utf16_len(token).saturating_sub(4);
    let mut out = String::with_capacity(token.len());
    for c in token.chars() {
        if hidden == 0 {
            out.push(c);
        } else {
            let n = c.len_utf16().min(hidden);
            out.extend(std::iter::repeat_n('#', n));
            hidden = hidden.saturating_sub(n);
        }
    }
    out
}

/// `/admin/stats`: every environment keyed by its obfuscated token ([`obfuscate`]), as
/// split-evaluator keys them; each carries split-evaluator's figures (`splitCount`,
/// `segmentCount`, `ready`, `impressionsMode`) and split-edge's beside them (its `id`, versions,
/// change numbers, sync and recorder state). Tokens that obfuscate alike get ` (2)`, ` (3)`, …
/// `delivery` says how impressions and events leave the isolate (queue or in-isolate posts):
/// each entry carries it as `delivery` (the isolate's figures, over all its environments), so that
/// the top level keeps split-evaluator's members. `wasmMemoryBytes` beside it is the size of the
/// isolate's wasm linear memory (it grows, never shrinks), so that a soak run can tell the
/// engine's memory from the rest of the isolate's.
pub fn stats<'a>(
    uptime_ms: u64,
    envs: impl IntoIterator<Item = (&'a str, &'a EnvStats)>,
    delivery: &crate::delivery::DeliveryStats,
    wasm_memory_bytes: u64,
) -> Value {
    let mut environments = serde_json::Map::new();
    for (token, env) in envs {
        // Tokens of one length ending alike obfuscate alike; split-evaluator would show one of
        // them; here the later ones get a suffix.
        let base = obfuscate(token);
        let mut key = base.clone();
        let mut n = 1_u32;
        while environments.contains_key(&key) {
            n = n.saturating_add(1);
            key = format!("{base} ({n})");
        }
        let mut entry = env_stats(env);
        if let Some(m) = entry.as_object_mut() {
            m.insert("delivery".to_owned(), json!(delivery));
            m.insert("wasmMemoryBytes".to_owned(), json!(wasm_memory_bytes));
        }
        environments.insert(key, entry);
    }
    json!({
        "uptime": uptime(uptime_ms),
        "environments": environments,
        "healthcheck": version(),
    })
}

/// One environment's entry of `/admin/stats`.
fn env_stats(env: &EnvStats) -> Value {
    let m = env.manifest.as_ref();
    json!({
        "id": env.id,
        "splitCount": env.split_count,
        "segmentCount": env.segment_count,
        "ready": env.ready,
        "version": m.map(|m| m.version.clone()),
        "flagsChangeNumber": m.map_or(-1, |m| m.flags_change_number),
        "ruleBasedSegmentsChangeNumber": m.map_or(-1, |m| m.rule_based_segments_change_number),
        "segmentChangeNumbers": m.map(|m| m.segments.iter().map(|(n, s)| (n.clone(), json!(s.change_number))).collect::<serde_json::Map<_, _>>()),
        "lastPushMs": m.map(|m| m.updated_at_ms),
        "lastCheckMs": env.checked_ms,
        "lastError": env.last_error,
        "impressionsMode": env.impressions_mode,
        "pull": env.pull,
        "sync": env.pull.then(|| {
            let merged = SyncRecord::merge(env.sync_record.as_ref(), env.sync.as_ref());
            let s = env.sync.as_ref();
            json!({
                "lastSuccessMs": merged.last_success_ms,
                "lastError": merged.last_error,
                "lastErrorMs": merged.last_error_ms,
                "storeError": env.store_error,
                "runsStarted": s.map(|s| s.runs_started),
                "runsSucceeded": s.map(|s| s.runs_succeeded),
                "runsFailed": s.map(|s| s.runs_failed),
                "lastReport": s.and_then(|s| s.last_report.clone()),
            })
        }),
        "recorder": env.recorder,
        "streaming": env.streaming,
        "largeSegments": env.large_segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_segment_push_targets() {
        let req = |query: &[(&str, &str)], body_len: usize| crate::params::ApiRequest {
            method: "POST".into(),
            path: LARGE_SEGMENT_PATH.into(),
            query: query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            content_type: Some("text/csv".into()),
            body: Some("k".repeat(body_len)),
            headers: Vec::new(),
        };
        assert_eq!(
            large_push_target(&req(&[("name", " vip "), ("changeNumber", "3")], 1), None).unwrap(),
            ("vip".to_owned(), 3)
        );
        let status = |r: Result<(String, i64), Reply>| r.unwrap_err().status;
        assert_eq!(status(large_push_target(&req(&[("changeNumber", "3")], 1), None)), 400);
        assert_eq!(status(large_push_target(&req(&[("name", "vip"), ("changeNumber", "3.5")], 1), None)), 400);
        let big = req(&[("name", "vip"), ("changeNumber", "3")], LARGE_PUSH_MAX_BYTES + 1);
        let too_big = large_push_target(&big, None).unwrap_err();
        assert_eq!(too_big.status, 413);
        assert!(too_big.body.contains("at most 67108864"), "{}", too_big.body);
        let mut stored = layout::plan_push(
            "e",
            "v",
            1,
            None,
            Change::LargeSegment(
                "vip",
                &crate::large::LargeSegmentEntry { change_number: 5, key_count: 1, shards: 1, prefix: "p/".into() },
            ),
        )
        .1;
        assert_eq!(status(large_push_target(&req(&[("name", "vip"), ("changeNumber", "4")], 1), Some(&stored))), 409);
        assert!(large_push_target(&req(&[("name", "vip"), ("changeNumber", "5")], 1), Some(&stored)).is_ok());
        stored.large_segments.clear();
        assert!(large_push_target(&req(&[("name", "vip"), ("changeNumber", "4")], 1), Some(&stored)).is_ok());
    }

    #[test]
    fn snapshot_plans_name_the_rejected_body() {
        let flags = r#"{"ff":{"d":[],"s":-1,"t":5}}"#;
        let seg = r#"{"name":"s","added":["a","b"],"removed":[],"since":-1,"till":7}"#;
        let PushPlan { writes, manifest, .. } =
            plan_snapshot("e", "v1", 9, flags, &[seg], &FlagFilter::none()).unwrap();
        assert_eq!(writes.last().map(|w| w.key.as_str()), Some("env/e/manifest"));
        assert_eq!(writes.len(), 4, "flags, binary rules, one chunk, manifest");
        assert_eq!(manifest.rules_key.as_deref(), Some("env/e/v/v1/rules"));
        assert!(matches!(writes[1].value, crate::layout::KvValue::Binary(_)));
        assert_eq!(manifest.segments["s"].key_count, 2);
        let (body, e) = plan_snapshot("e", "v1", 9, flags, &[seg, "{}"], &FlagFilter::none()).unwrap_err();
        assert_eq!(body, Some(1));
        assert!(matches!(e, PushError::Malformed(_)));
        let (body, e) =
            plan_snapshot("e", "v1", 9, r#"{"ff":{"d":[],"s":4,"t":5}}"#, &[], &FlagFilter::none()).unwrap_err();
        assert_eq!(body, None);
        assert!(matches!(e, PushError::Conflict { since: 4, .. }));
    }

    #[test]
    fn deeply_nested_bodies_are_400s_without_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let none = FlagFilter::none();
        let split = format!(r#"{{"ff":{{"d":{deep},"s":-1,"t":1}}}}"#);
        let e = plan_split_push("e", "v", 1, None, FlagData::default(), &split, &none).unwrap_err();
        assert_eq!(push_error(&e).status, 400, "{e}");
        let object = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
        let split = format!(r#"{{"ff":{{"d":[{{"name":"f","conditions":{object}}}],"s":-1,"t":1}}}}"#);
        assert!(plan_split_push("e", "v", 1, None, FlagData::default(), &split, &none).is_err());
        let segment = format!(r#"{{"name":"s","added":{deep},"removed":[],"since":-1,"till":1}}"#);
        let e = plan_segment_push("e", "v", 1, None, None, &segment).unwrap_err();
        assert_eq!(push_error(&e).status, 400, "{e}");
        let reply = plan_snapshot_push("e", "v", 1, None, &format!(r#"{{"splitChanges":{deep}}}"#), &none).unwrap_err();
        assert_eq!(reply.status, 400, "{}", reply.body);
    }

    #[test]
    fn tokens_are_obfuscated_as_split_evaluator_does() {
        assert_eq!(obfuscate("prod-token"), "######oken");
        assert_eq!(obfuscate("DEFAULT_AUTH_TOKEN"), "##############OKEN");
        assert_eq!(obfuscate("abcd"), "abcd");
        assert_eq!(obfuscate(""), "");
        assert_eq!(obfuscate("é-token-ü"), "#####en-ü");
        assert_eq!(obfuscate("😀abcd"), "##abcd", "one # per UTF-16 unit, as the regex replaces them");
        assert_eq!(obfuscate("a😀bc"), "#😀bc");
        assert_eq!(obfuscate("😀bc"), "😀bc");
    }

    #[test]
    fn machine_names_the_colo_or_a_placeholder() {
        assert_eq!(machine(Some("SJC")), json!({"ip": "unavailable", "name": "SJC"}));
        assert_eq!(machine(None), json!({"ip": "unavailable", "name": "unavailable"}));
        assert_eq!(machine(Some(" ")), json!({"ip": "unavailable", "name": "unavailable"}));
    }

    #[test]
    fn plans_and_formats() {
        let body = r#"{"ff":{"d":[],"s":-1,"t":5}}"#;
        let plan = plan_split_push("e", "v1", 9, None, FlagData::default(), body, &FlagFilter::none()).unwrap();
        assert_eq!(plan.manifest.flags_change_number, 5);
        assert_eq!(plan.writes.len(), 3, "flags, binary rules, manifest");
        assert!(plan.rules.is_some_and(|r| r.flags_change_number() == 5));
        let e = plan_split_push("e", "v1", 9, None, FlagData::default(), "{", &FlagFilter::none()).unwrap_err();
        assert_eq!(push_error(&e).status, 400);
        let e = plan_split_push(
            "e",
            "v1",
            9,
            None,
            FlagData::default(),
            r#"{"ff":{"d":[],"s":3,"t":5}}"#,
            &FlagFilter::none(),
        )
        .unwrap_err();
        assert_eq!(push_error(&e).status, 409);
        assert_eq!(uptime(90_061_000), "1d 1h 1m 1s");
        assert_ne!(version_id(1, "a", 0), version_id(1, "a", 1));
        let e = EnvStats { id: "e".into(), manifest: Some(plan.manifest), ..Default::default() };
        let s = stats(1000, [("secret-token", &e)], &crate::delivery::DeliveryStats::new(false), 0);
        assert_eq!(s["environments"]["########oken"]["flagsChangeNumber"], 5);
        assert_eq!(s["environments"]["########oken"]["id"], "e");
        let f = EnvStats { id: "f".into(), ..Default::default() };
        let s = stats(
            0,
            [("a-token", &e), ("b-token", &f), ("c-token", &f)],
            &crate::delivery::DeliveryStats::new(true),
            0,
        );
        let keys: Vec<_> = s["environments"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        assert_eq!(keys, ["###oken", "###oken (2)", "###oken (3)"]);
        assert_eq!(s["environments"]["###oken (3)"]["delivery"]["mode"], "queue");
        assert_eq!(s["environments"]["###oken"]["delivery"]["consumer"]["acked"], 0);
        let e = EnvStats {
            id: "e".into(),
            recorder: Some(RecorderStats::default()),
            sync: Some(SyncStatus::default()),
            ..Default::default()
        };
        let s = stats(0, [("abc", &e)], &crate::delivery::DeliveryStats::new(false), 0);
        assert_eq!(s["environments"]["abc"]["recorder"]["events"]["sent"], 0);
        assert_eq!(s["environments"]["abc"]["delivery"], serde_json::json!({"mode": "in-isolate"}));
        assert!(s["environments"]["abc"]["sync"]["lastError"].is_null());
        assert_eq!(healthcheck(true, Some("x")).status, 200);
        let h = healthcheck(false, Some("status 401"));
        assert_eq!(h.status, 500);
        assert!(h.body.contains("status 401"), "{}", h.body);
    }
}
