//! Large segments in the glue: membership lookups before a request is answered, pushes of key
//! lists, and their synchronization from Split's large segment definitions. The decisions are
//! made by [`crate::large`] and the core's `sync::large_segments`; this moves the bytes.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde_json::json;
use split_edge::http::{HttpOutcome, RequestId};
use split_edge::sync::large_segments::{self, Definition, FileRequest, LargeSegmentError};
use worker::kv::KvStore;
use worker::{Fetch, Headers, Request};

use super::{dispatch, hold, kv_error, new_version, now_ms, refresh, send, store, with_env, EnvState};
use crate::admin;
use crate::api::Reply;
use crate::config::{EnvConfig, Settings};
use crate::large::{self, LargeSegmentEntry, Upload, MAX_LOOKUP_ROUNDS};
use crate::layout::{self, Change};
use crate::params::ApiRequest;

/// The `(large segment, key)` memberships that answering `request` needs and the isolate does
/// not hold: the request is answered once with nothing recorded, and the misses collected. None
/// for environments without large segments and for routes that do not evaluate.
pub(super) fn misses(s: &mut EnvState, now: u64, request: &ApiRequest) -> Vec<(String, String)> {
    let evaluates = (request.path.starts_with("/client/") && request.path != "/client/track")
        || crate::ofrep::route(&request.path).is_some();
    if !evaluates || s.edge.snapshot().remote_large_segments().next().is_none() {
        return Vec::new();
    }
    let data = crate::ofrep::data_tag(s.manifest.as_ref());
    s.edge.snapshot().take_large_misses();
    s.edge.without_recording(|edge| dispatch(edge, now, request, &data));
    s.edge.snapshot().take_large_misses()
}

/// Looks up in KV the memberships `request` needs, round after round (a membership may lead
/// the evaluation to others), so that it is then answered from the isolate alone.
pub(super) async fn ensure(kv: &KvStore, env: &EnvConfig, request: &ApiRequest) -> Result<(), String> {
    for _ in 0..MAX_LOOKUP_ROUNDS {
        let needed = with_env(&env.id, |s| misses(s, now_ms(), request)).unwrap_or_default();
        if needed.is_empty() {
            return Ok(());
        }
        look_up(kv, env, needed).await?;
    }
    with_env(&env.id, |s| s.large.unresolved = s.large.unresolved.saturating_add(1));
    Ok(())
}

/// Reads the shards holding `needed` (one read per distinct shard) and caches the answers.
pub(super) async fn look_up(kv: &KvStore, env: &EnvConfig, needed: Vec<(String, String)>) -> Result<(), String> {
    let entries =
        with_env(&env.id, |s| s.manifest.as_ref().map(|m| m.large_segments.clone())).flatten().unwrap_or_default();
    let mut by_shard: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut empty = Vec::new();
    for (name, key) in needed {
        match entries.get(&name).and_then(|e| e.shard_key_of(&key)) {
            Some(shard) => by_shard.entry(shard).or_default().push((name, key)),
            None => empty.push((name, key, false)),
        }
    }
    let mut answers = empty;
    let mut reads = 0u64;
    for (shard, pairs) in by_shard {
        let bytes = kv.get(&shard).bytes().await.map_err(|e| e.to_string())?;
        let bytes = bytes.ok_or_else(|| format!("KV key {shard:?} named by the manifest is missing"))?;
        reads = reads.saturating_add(1);
        for (name, key) in pairs {
            let member = large::shard_contains(&bytes, key.as_bytes()).map_err(|e| format!("{shard}: {e}"))?;
            answers.push((name, key, member));
        }
    }
    with_env(&env.id, |s| {
        s.large.shard_reads = s.large.shard_reads.saturating_add(reads);
        let current = s.manifest.as_ref().map(|m| &m.large_segments);
        for (name, key, member) in answers {
            // Answers from shards the manifest no longer names are not kept.
            if current.and_then(|c| c.get(&name)) == entries.get(&name) {
                s.large.lookups = s.large.lookups.saturating_add(1);
                s.edge.snapshot_mut().record_large_membership(&name, key, member);
            }
        }
    });
    Ok(())
}

/// The `largeSegments` member of an environment's `/admin/stats` entry (`None`: it has none).
pub(super) fn stats(s: &EnvState) -> Option<serde_json::Value> {
    let cached: serde_json::Map<String, serde_json::Value> =
        s.edge.snapshot().remote_large_segments().map(|(n, r)| (n.to_owned(), json!(r.cached()))).collect();
    (!cached.is_empty()).then(|| json!({ "lookups": s.large, "cachedMemberships": cached }))
}

/// `POST /admin/large-segment`: stores the body's key list as the large segment's shards (in
/// passes, see [`Upload`]), then a manifest naming them.
pub(super) async fn push(kv: &KvStore, settings: &Settings, env: &EnvConfig, req: &ApiRequest) -> Reply {
    let _writing = hold(&env.id).await;
    if let Err(e) = refresh(kv, settings, env, true).await {
        return kv_error(e);
    }
    let previous = with_env(&env.id, |s| s.manifest.clone()).flatten();
    let (name, change_number) = match admin::large_push_target(req, previous.as_ref()) {
        Ok(target) => target,
        Err(reply) => return reply,
    };
    let body = req.body.as_deref().unwrap_or_default().as_bytes();
    let version = new_version(now_ms(), &name);
    let size = u64::try_from(body.len()).unwrap_or(u64::MAX);
    // A key takes at least 2 bytes of the file (itself and its line end).
    let mut upload = Upload::new(size, size / 2, large::shard_prefix(&env.id, &version));
    while !upload.is_done() {
        let writes = upload.feed(body).and_then(|()| upload.end_pass());
        let writes = match writes {
            Ok(w) => w,
            Err(e) => return Reply::error(400, format!("the body: {e}; nothing was stored").into()),
        };
        if let Err(e) = store(kv, &writes).await {
            return kv_error(e);
        }
    }
    let entry = upload.entry(change_number);
    match store_entry(kv, settings, env, &version, &name, &entry).await {
        Ok(()) => Reply::json(
            200,
            &json!({"version": version, "largeSegment": {"name": name, "changeNumber": change_number,
                "keys": entry.key_count, "shards": entry.shards, "passes": upload.plan().passes}}),
        ),
        Err(e) => kv_error(e),
    }
}

/// Writes a manifest naming `entry` for large segment `name` (over the current one) and serves it.
async fn store_entry(
    kv: &KvStore,
    settings: &Settings,
    env: &EnvConfig,
    version: &str,
    name: &str,
    entry: &LargeSegmentEntry,
) -> Result<(), String> {
    let previous = with_env(&env.id, |s| s.manifest.clone()).flatten();
    let (writes, _) =
        layout::plan_push(&env.id, version, now_ms(), previous.as_ref(), Change::LargeSegment(name, entry));
    store(kv, &writes).await?;
    refresh(kv, settings, env, true).await
}

/// Synchronizes every large segment the rules reference with Split's definitions (pull mode):
/// `GET /largeSegmentDefinition/<name>?since=<stored>`, and the file it points to, read in
/// passes. Returns the first error (the others are logged); the next run retries.
pub(super) async fn synchronize(kv: &KvStore, settings: &Settings, env: &EnvConfig) -> Option<String> {
    let names = with_env(&env.id, |s| s.edge.snapshot().all_segments_used().large).unwrap_or_default();
    let mut first_error = None;
    for name in names {
        if let Err(e) = synchronize_one(kv, settings, env, &name).await {
            let message = format!("large segment {name:?}: {e}");
            worker::console_warn!("environment {}: {message}", env.id);
            first_error.get_or_insert(message);
        }
    }
    first_error
}

async fn synchronize_one(kv: &KvStore, settings: &Settings, env: &EnvConfig, name: &str) -> Result<(), String> {
    let since =
        with_env(&env.id, |s| s.manifest.as_ref().and_then(|m| m.large_segments.get(name)).map(|e| e.change_number))
            .flatten()
            .unwrap_or(-1);
    let headers = settings.sdk.identity(&env.api_key).headers();
    let request = large_segments::definition_request(RequestId(0), &settings.sdk.urls.sdk, headers, name, since);
    let (status, body) = match send(&request).await {
        HttpOutcome::Response { status, body } => (status, body),
        HttpOutcome::NetworkError(e) => return Err(format!("the definition request failed: {e}")),
    };
    if status == 404 {
        // No definition of that name is served for this SDK key (large segments not enabled):
        // the rules' matchers answer as not loaded, as server-side JS.
        return Ok(());
    }
    let version = new_version(now_ms(), name);
    match large_segments::parse_definition(name, status, &body, now_ms()).map_err(|e| e.to_string())? {
        Definition::NotModified => Ok(()),
        Definition::Empty { change_number } if change_number == since => Ok(()),
        Definition::File(file) if file.change_number == since => Ok(()),
        Definition::Empty { change_number } => {
            let entry = LargeSegmentEntry { change_number, key_count: 0, shards: 0, prefix: String::new() };
            store_entry(kv, settings, env, &version, name, &entry).await
        }
        Definition::File(file) => {
            let mut upload = Upload::new(file.file_size, file.key_count, large::shard_prefix(&env.id, &version));
            while !upload.is_done() {
                if i64::try_from(now_ms()).unwrap_or(i64::MAX) >= file.expires_at_ms {
                    return Err(LargeSegmentError::Expired { expires_at_ms: file.expires_at_ms }.to_string());
                }
                download(&file, &mut upload).await?;
                let writes = upload.end_pass().map_err(|e| e.to_string())?;
                store(kv, &writes).await?;
            }
            store_entry(kv, settings, env, &version, name, &upload.entry(file.change_number)).await
        }
    }
}

/// Downloads the file once, feeding it to `upload` as it arrives.
async fn download(file: &FileRequest, upload: &mut Upload) -> Result<(), String> {
    let fail = |e: worker::Error| format!("downloading the file failed: {e}");
    let headers = Headers::new();
    for (name, value) in &file.headers {
        headers.append(name, value).map_err(fail)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&file.method);
    init.set_headers(&headers.0);
    let request = web_sys::Request::new_with_str_and_init(&file.url, &init).map_err(|e| fail(e.into()))?;
    let mut response = Fetch::Request(Request::from(request)).send().await.map_err(fail)?;
    let status = response.status_code();
    if !(200..300).contains(&status) {
        return Err(LargeSegmentError::Status { status }.to_string());
    }
    let mut stream = response.stream().map_err(fail)?;
    while let Some(chunk) = stream.next().await {
        upload.feed(&chunk.map_err(fail)?).map_err(|e| e.to_string())?;
    }
    Ok(())
}
