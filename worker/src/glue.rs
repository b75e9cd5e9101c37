//! The Workers glue (wasm32 only): requests in, KV reads and writes, the isolate's cache of
//! compiled snapshots, responses out. Every decision is made by the sans-I/O modules.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use split_edge::http::{HttpOutcome, HttpRequest, Method};
use split_edge::recorder::DeliveryResult;
use split_edge::sdk::{Progress, SplitEdge};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::{
    event, kv::KvStore, Context, Date, Delay, Env, Fetch, Headers, MessageBatch, MessageExt, Queue, Request, Response,
    ScheduleContext, ScheduledEvent,
};

use crate::admin::{self, EnvStats};
use crate::api::{self, Reply};
use crate::auth;
use crate::config::{EnvConfig, Settings};
use crate::delivery::{self, DeliveryStats, Envelope, PostSettings, Verdict};
use crate::layout::{self, KvWrite, Manifest};
use crate::ofrep;
use crate::params::ApiRequest;
use crate::pull::{PullCapture, SyncRecord};
use crate::sdk_settings::NOT_SENT;
use crate::state::FlagData;

mod bulk;
mod durable;
mod large;

/// The KV namespace binding.
const KV_BINDING: &str = "SPLIT_DATA";
/// The response header carrying the flags' change number.
const CHANGE_NUMBER_HEADER: &str = "x-split-change-number";
/// The header carrying the admin token on pushes.
const ADMIN_HEADER: &str = "x-admin-token";

/// One environment as this isolate holds it.
struct EnvState {
    edge: SplitEdge,
    manifest: Option<Manifest>,
    checked_ms: u64,
    last_error: Option<String>,
    /// Why the last synchronized data could not be stored in KV.
    store_error: Option<String>,
    /// The synchronization record this isolate last stored or read.
    sync_record: Option<SyncRecord>,
    /// The snapshot holds synchronized data KV does not: reload it from KV at the next refresh.
    resync: bool,
    /// Segments the manifest names that the snapshot does not hold yet: read from KV the first
    /// time a request can reach them ([`ensure_segments`]), the rest after that request.
    unloaded: std::collections::BTreeSet<String>,
    /// When the manifest was last read from KV.
    manifest_read_ms: u64,
    /// How large segment membership lookups went.
    large: crate::large::LookupStats,
}

/// What the isolate keeps between requests.
struct Isolate {
    started_ms: u64,
    envs: HashMap<String, EnvState>,
    pushes: u64,
    /// The settings, read from the Worker's variables by the first request or cron run (they
    /// cannot change within an isolate: a new deployment or configuration starts new isolates).
    settings: Option<Rc<Result<Settings, String>>>,
    /// The delivery queue's producer binding (queue mode), read with the settings.
    queue: Option<Queue>,
    /// A send of the records collected in handoff mode is scheduled (in some `waitUntil`).
    handoff_scheduled: bool,
    /// The streaming Durable Object's namespace, read with the settings.
    streaming: Option<worker::ObjectNamespace>,
    /// How impressions and events leave this isolate, with both sides' figures.
    delivery: DeliveryStats,
    /// Each environment's write lock ([`write_lock`]).
    writers: HashMap<String, Rc<WriteLock>>,
}

/// Whether a write of one environment is under way in this isolate (see [`write_lock`]).
type WriteLock = Cell<bool>;

/// A held write lock, released when dropped.
struct Writing(Rc<WriteLock>);

impl Drop for Writing {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

thread_local! {
    static ISOLATE: RefCell<Isolate> = RefCell::new(Isolate {
        started_ms: Date::now().as_millis(),
        envs: HashMap::new(),
        pushes: 0,
        settings: None,
        queue: None,
        handoff_scheduled: false,
        streaming: None,
        delivery: DeliveryStats::new(false),
        writers: HashMap::new(),
    });
    /// What [`fast_fetch`]'s last answer carried besides its body, read by the entry module.
    static FAST_META: Cell<FastMeta> = const { Cell::new(FastMeta { status: 0, json: false, due: false, change_number: None }) };
}

fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// The isolate's settings: read from `env`'s variables once, then reused.
fn settings(env: &Env) -> Rc<Result<Settings, String>> {
    if let Some(s) = ISOLATE.with(|i| i.borrow().settings.clone()) {
        return s;
    }
    let queue = env.queue(delivery::QUEUE_BINDING).ok();
    let streaming = env.durable_object(crate::stream::DO_BINDING).ok();
    let read = Settings::from_vars(|name| env.var(name).ok().map(|v| v.to_string()))
        .map(|s| Settings { queue_delivery: queue.is_some(), streaming_bound: streaming.is_some(), ..s })
        .map_err(|e| e.to_string());
    let read = Rc::new(read);
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        i.settings = Some(read.clone());
        i.delivery = DeliveryStats::new(queue.is_some());
        i.queue = queue;
        i.streaming = streaming;
    });
    read
}

fn respond(reply: Reply, change_number: Option<i64>) -> worker::Result<Response> {
    respond_tagged(reply, change_number, None)
}

/// [`respond`] with an `ETag` header.
fn respond_tagged(reply: Reply, change_number: Option<i64>, etag: Option<String>) -> worker::Result<Response> {
    let mut resp = if reply.status == 304 {
        Response::empty()?.with_status(304)
    } else {
        Response::ok(reply.body)?.with_status(reply.status)
    };
    resp.headers_mut().set("content-type", reply.content_type)?;
    if let Some(tag) = etag {
        resp.headers_mut().set("etag", &tag)?;
    }
    if let Some(cn) = change_number {
        resp.headers_mut().set(CHANGE_NUMBER_HEADER, &cn.to_string())?;
    }
    Ok(resp)
}

fn kv_error(e: impl std::fmt::Display) -> Reply {
    Reply::error(503, serde_json::Value::String(format!("Workers KV is unavailable: {e}")))
}

/// A new core object for `env`, holding `snapshot`.
fn new_state(
    settings: &Settings,
    env: &EnvConfig,
    snapshot: split_edge::Snapshot,
    manifest: Option<Manifest>,
    now: u64,
) -> Option<EnvState> {
    let config = settings.sdk.edge_config(&env.api_key, env.filter.clone());
    match SplitEdge::with_snapshot(config, snapshot) {
        Ok(mut edge) => {
            // Queue mode: the queue's consumer de-duplicates, counts and posts.
            edge.set_handoff(settings.queue_delivery);
            Some(EnvState {
                edge,
                manifest,
                checked_ms: now,
                last_error: None,
                store_error: None,
                sync_record: None,
                resync: false,
                unloaded: std::collections::BTreeSet::new(),
                manifest_read_ms: now,
                large: crate::large::LookupStats::default(),
            })
        }
        Err(e) => {
            worker::console_error!("environment {}: {e}", env.id);
            None
        }
    }
}

/// Makes sure the isolate holds `env`'s current data: re-reads the manifest when it was last read
/// `revalidate_ms` ago or more (or `force`), and moves to it when its version changed: the rules
/// are loaded again only when the flag data changed (from their binary form, else compiled from
/// the JSON), segments that did not change are kept, the others are read when first needed
/// ([`ensure_segments`]). Every KV read happens before the isolate's state is touched, so
/// concurrent requests keep being answered from the previous data meanwhile.
async fn refresh(kv: &KvStore, settings: &Settings, env: &EnvConfig, force: bool) -> Result<(), String> {
    refresh_with(kv, settings, env, force, true).await
}

/// [`refresh`]; `ask_stream`: when the environment streams, ask its Durable Object for the
/// version first (the object itself does not ask itself).
async fn refresh_with(
    kv: &KvStore,
    settings: &Settings,
    env: &EnvConfig,
    force: bool,
    ask_stream: bool,
) -> Result<(), String> {
    let revalidate_ms = settings.check_ms(env);
    let now = now_ms();
    let (due, current, resync) = ISOLATE.with(|i| {
        let i = i.borrow();
        match i.envs.get(&env.id) {
            None => (true, None, false),
            Some(s) => (
                force || s.resync || now.saturating_sub(s.checked_ms) >= revalidate_ms,
                s.manifest.as_ref().map(|m| m.version.clone()),
                s.resync,
            ),
        }
    });
    if !due {
        return Ok(());
    }
    if ask_stream && !force && !resync && settings.streams(env) && streamed_version_is(env, current.as_deref()).await {
        // The streaming Durable Object serves the version held: no KV read. (Its version
        // follows KV within the revalidation interval, so KV is still read that often.)
        let read = ISOLATE.with(|i| i.borrow().envs.get(&env.id).map(|s| s.manifest_read_ms));
        if read.is_some_and(|read| now.saturating_sub(read) < settings.revalidate_ms) {
            ISOLATE.with(|i| {
                if let Some(s) = i.borrow_mut().envs.get_mut(&env.id) {
                    s.checked_ms = now;
                }
            });
            return Ok(());
        }
    }
    let text = match kv.get(&layout::manifest_key(&env.id)).text().await {
        Ok(t) => t,
        // Keep serving what the isolate holds; fail only when it holds nothing.
        Err(e) if current.is_some() => {
            record_error(settings, env, now, format!("reading the manifest failed: {e}"));
            return Ok(());
        }
        Err(e) => return Err(e.to_string()),
    };
    let manifest = match text.map(|t| Manifest::from_json(&t)).transpose() {
        Ok(m) => m,
        Err(e) => {
            record_error(settings, env, now, e.to_string());
            return Ok(());
        }
    };
    let version = manifest.as_ref().map(|m| m.version.clone());
    let exists = ISOLATE.with(|i| i.borrow().envs.contains_key(&env.id));
    ISOLATE.with(|i| {
        if let Some(s) = i.borrow_mut().envs.get_mut(&env.id) {
            s.manifest_read_ms = now;
        }
    });
    if exists && version == current && !resync {
        ISOLATE.with(|i| {
            if let Some(s) = i.borrow_mut().envs.get_mut(&env.id) {
                s.checked_ms = now;
            }
        });
        return Ok(());
    }
    let Some(m) = manifest else {
        install(settings, env, split_edge::Snapshot::new().with_filter(env.filter.clone()), None, now);
        return Ok(());
    };
    let held_flags =
        with_env(&env.id, |s| s.manifest.as_ref().map(|pm| pm.flags_key.clone())).flatten().filter(|_| !resync);
    let rules = if held_flags.as_deref() == Some(m.flags_key.as_str()) {
        None
    } else {
        match load_rules(kv, &m, env).await {
            Ok(r) => Some(r),
            Err(e) if current.is_some() => {
                record_error(settings, env, now, e);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    };
    install(settings, env, rules.unwrap_or_default(), Some(m), now);
    Ok(())
}

/// Whether the environment's streaming Durable Object serves `held` (`false` when it cannot be
/// asked or serves another version).
async fn streamed_version_is(env: &EnvConfig, held: Option<&str>) -> bool {
    let Some(namespace) = ISOLATE.with(|i| i.borrow().streaming.clone()) else { return false };
    let Some(status) = durable::status(&namespace, &env.id).await else { return false };
    let version = status.get("version").and_then(|v| v.as_str());
    version.is_some() && version == held
}

/// Loads a manifest's rules: their binary form when it decodes, else compiled from the flag data
/// (and the binary form rebuilt in KV when the manifest names one that did not decode).
async fn load_rules(kv: &KvStore, m: &Manifest, env: &EnvConfig) -> Result<split_edge::Snapshot, String> {
    if let Some(key) = &m.rules_key {
        match kv.get(key).bytes().await {
            Ok(Some(bytes)) => match layout::decode_rules(&bytes, &m.flags_key, &env.filter) {
                Ok(rules) => return Ok(rules),
                Err(e) => worker::console_warn!("environment {}: {key}: {e}; compiling the JSON", env.id),
            },
            Ok(None) => worker::console_warn!("environment {}: {key} is missing; compiling the JSON", env.id),
            Err(e) => worker::console_warn!("environment {}: reading {key} failed ({e}); compiling the JSON", env.id),
        }
    }
    let flags = match read_flag_data(kv, m).await {
        Ok(Some(text)) => text,
        Ok(None) => return Err(layout::LayoutError::Missing(m.flags_key.clone()).to_string()),
        Err(e) => return Err(format!("reading the data failed: {e}")),
    };
    let rules = layout::compile_rules(&flags, env.filter.clone()).map_err(|e| e.to_string())?;
    if let Some(key) = &m.rules_key {
        // The same rules, encoded by this build: later cold isolates load them again.
        let put = layout::encode_rules(&rules, &m.flags_key)
            .map_err(|e| e.to_string())
            .and_then(|bytes| kv.put_bytes(key, &bytes).map_err(|e| e.to_string()));
        let rebuilt = match put {
            Ok(put) => put.execute().await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = rebuilt {
            worker::console_warn!("environment {}: rebuilding {key} failed: {e}", env.id);
        }
    }
    Ok(rules)
}

/// Moves the environment to `manifest` (synchronously): `rules` replaces the held rules unless it
/// is `None`-equivalent (an empty default, when the flag data did not change); segments stored
/// as before are kept, the others are dropped and marked unloaded.
fn install(settings: &Settings, env: &EnvConfig, rules: split_edge::Snapshot, manifest: Option<Manifest>, now: u64) {
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        let Some(s) = i.envs.get_mut(&env.id) else {
            let mut rules = rules;
            crate::large::carry_remote(&mut split_edge::Snapshot::new(), &mut rules, None, manifest.as_ref());
            let mut state = new_state(settings, env, rules, None, now);
            if let Some(state) = state.as_mut() {
                state.unloaded = manifest.iter().flat_map(|m| m.segments.keys().cloned()).collect();
                state.manifest = manifest;
            }
            if let Some(state) = state {
                i.envs.insert(env.id.clone(), state);
            }
            return;
        };
        let keep_rules =
            manifest.as_ref().zip(s.manifest.as_ref()).is_some_and(|(m, pm)| m.flags_key == pm.flags_key) && !s.resync;
        let mut held = std::mem::take(s.edge.snapshot_mut());
        let mut next = if keep_rules { std::mem::take(&mut held) } else { rules };
        crate::large::carry_remote(&mut held, &mut next, s.manifest.as_ref(), manifest.as_ref());
        let unchanged: Vec<String> = manifest
            .as_ref()
            .map(|m| layout::unchanged_segments(m, s.manifest.as_ref()).into_iter().map(str::to_owned).collect())
            .unwrap_or_default();
        let mut unloaded = std::collections::BTreeSet::new();
        for name in manifest.iter().flat_map(|m| m.segments.keys()) {
            let kept = if unchanged.contains(name) && !s.unloaded.contains(name) {
                if keep_rules {
                    next.take_segment(name)
                } else {
                    held.take_segment(name)
                }
            } else {
                None
            };
            let _ = next.take_segment(name);
            match kept {
                Some(segment) => next.insert_segment(name.clone(), segment),
                None => {
                    unloaded.insert(name.clone());
                }
            }
        }
        // Segments the new manifest does not name are gone.
        let stale: Vec<String> = next
            .segments()
            .map(|(n, _)| n.to_owned())
            .filter(|n| !manifest.as_ref().is_some_and(|m| m.segments.contains_key(n)))
            .collect();
        for name in stale {
            let _ = next.take_segment(&name);
        }
        s.edge.replace_snapshot(next);
        s.manifest = manifest;
        s.unloaded = unloaded;
        s.checked_ms = now;
        s.last_error = None;
        s.resync = false;
    });
}

/// The unloaded segments that evaluating `flags` (`None`: every flag) can read.
fn segments_needed(s: &EnvState, flags: Option<&[&str]>) -> Vec<String> {
    if s.unloaded.is_empty() {
        return Vec::new();
    }
    let snapshot = s.edge.snapshot();
    let used: Vec<String> = match flags {
        Some(names) => snapshot.segments_used_by(names.iter().copied()),
        None => return s.unloaded.iter().cloned().collect(),
    };
    used.into_iter().filter(|n| s.unloaded.contains(n)).collect()
}

/// Reads the given unloaded segments of the environment from KV and installs them (a segment
/// whose manifest entry changed meanwhile is left for the next request).
async fn ensure_segments(kv: &KvStore, env: &EnvConfig, names: Vec<String>) -> Result<(), String> {
    if names.is_empty() {
        return Ok(());
    }
    let Some(entries) = with_env(&env.id, |s| {
        s.manifest
            .as_ref()
            .map(|m| names.iter().filter_map(|n| m.segments.get(n).map(|e| (n.clone(), e.clone()))).collect::<Vec<_>>())
    })
    .flatten() else {
        return Ok(());
    };
    let chunks: Vec<String> = entries.iter().flat_map(|(_, e)| e.chunks.iter().cloned()).collect();
    let values = read_values(kv, &chunks).await?;
    let mut loaded = Vec::with_capacity(entries.len());
    for (name, entry) in entries {
        let keys = layout::segment_keys(&entry, |k| values.get(k).map(String::as_str)).map_err(|e| e.to_string())?;
        loaded.push((name, entry, keys));
    }
    with_env(&env.id, |s| {
        for (name, entry, keys) in loaded {
            let current = s.manifest.as_ref().and_then(|m| m.segments.get(&name));
            if current == Some(&entry) && s.unloaded.remove(&name) {
                layout::install_segment(s.edge.snapshot_mut(), &name, &entry, keys);
            }
        }
    });
    Ok(())
}

/// Every segment the environment has not loaded yet (what an export, a pull and a background
/// load need).
async fn ensure_all_segments(kv: &KvStore, env: &EnvConfig) -> Result<(), String> {
    let names = with_env(&env.id, |s| segments_needed(s, None)).unwrap_or_default();
    ensure_segments(kv, env, names).await
}

/// How many segment chunks (≤ 1 MiB each) one bulk read asks for (KV's bulk reads return at
/// most 100 keys and 25 MB).
const BULK_READ_KEYS: usize = 20;

/// Reads KV values (missing keys are left out): the first key (the flag data, which may be
/// large) alone, the rest in bulk reads, falling back to single reads where bulk reads fail.
async fn read_values(kv: &KvStore, keys: &[String]) -> Result<HashMap<String, String>, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    let (first, rest) = match keys.split_first() {
        Some((f, r)) => (Some(f), r),
        None => (None, keys),
    };
    if let Some(key) = first {
        if let Some(v) = kv.get(key).text().await.map_err(|e| e.to_string())? {
            values.insert(key.clone(), v);
        }
    }
    for batch in rest.chunks(BULK_READ_KEYS) {
        match kv.get_bulk(batch).text().await {
            Ok(map) => values.extend(map.into_iter().filter_map(|(k, v)| v.map(|v| (k, v)))),
            Err(e) => {
                worker::console_warn!("KV bulk read failed ({e}); reading the keys one by one");
                for key in batch {
                    if let Some(v) = kv.get(key).text().await.map_err(|e| e.to_string())? {
                        values.insert(key.clone(), v);
                    }
                }
            }
        }
    }
    Ok(values)
}

/// Keeps serving the data loaded before (if any) and remembers why the new data did not load.
fn record_error(settings: &Settings, env: &EnvConfig, now: u64, message: String) {
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        if let Some(s) = i.envs.get_mut(&env.id) {
            s.checked_ms = now;
            s.last_error = Some(message);
        } else {
            let snapshot = split_edge::Snapshot::new().with_filter(env.filter.clone());
            if let Some(mut state) = new_state(settings, env, snapshot, None, now) {
                state.last_error = Some(message);
                i.envs.insert(env.id.clone(), state);
            }
        }
    });
}

/// The environment's write lock. Every write of an environment's data (a push, a pull run, a
/// streamed change) reads the manifest, writes data keys and then a new manifest: two at once
/// would each write a manifest without the other's data. Holding this lock from the manifest
/// read to the manifest write makes them one at a time within an isolate; across isolates they
/// meet in the environment's Durable Object, the single writer, when it is bound
/// ([`durable::write`]).
fn write_lock(env_id: &str) -> Rc<WriteLock> {
    ISOLATE.with(|i| i.borrow_mut().writers.entry(env_id.to_owned()).or_default().clone())
}

/// Takes the environment's write lock, waiting for it while another request holds it. The wait
/// is a poll on a short timer, not a wake-up from the request that releases the lock: workerd
/// cancels a request as hung when all it waits for is another request's promise.
async fn hold(env_id: &str) -> Writing {
    let lock = write_lock(env_id);
    loop {
        if !lock.replace(true) {
            return Writing(lock);
        }
        Delay::from(std::time::Duration::from_millis(WRITE_LOCK_POLL_MS)).await;
    }
}

/// How often a request waiting for a write lock tries again, in milliseconds.
const WRITE_LOCK_POLL_MS: u64 = 2;

/// Runs `f` on the environment's state (loaded by [`refresh`]).
fn with_env<T>(id: &str, f: impl FnOnce(&mut EnvState) -> T) -> Option<T> {
    ISOLATE.with(|i| i.borrow_mut().envs.get_mut(id).map(f))
}

/// The request as the API sees it, its body read within the route's limit
/// ([`crate::body::limit`]).
///
/// # Errors
/// The 413 or 400 answer to a body over the limit, cut short, malformed or not UTF-8.
async fn api_request(req: &mut Request) -> Result<ApiRequest, Reply> {
    let method = req.method().to_string();
    let path = req.path();
    let body = if method.eq_ignore_ascii_case("POST") {
        Some(read_body(req, crate::body::limit(&path)).await.map_err(|e| e.reply())?)
    } else {
        None
    };
    let content_type = req.headers().get("content-type").ok().flatten();
    Ok(ApiRequest {
        method,
        path: req.path(),
        // Read from the serialized URL: `Request::url()` would pull the `url` crate and its IDNA
        // tables into the Worker for a query string.
        query: crate::params::query_pairs(&req.inner().url()),
        content_type,
        body,
        headers: [crate::ofrep::IF_NONE_MATCH, crate::ofrep::VALUE_HEADER]
            .into_iter()
            .filter_map(|name| req.headers().get(name).ok().flatten().map(|v| (name.to_owned(), v)))
            .collect(),
    })
}

/// Reads a request's body in pieces within `max` bytes ([`crate::body::BodyReader`]): a
/// `Content-Length` over `max` is refused before anything is read, a chunked body as soon as it
/// passes `max`.
///
/// # Errors
/// [`crate::body::BodyError`].
async fn read_body(req: &mut Request, max: usize) -> Result<String, crate::body::BodyError> {
    use futures_util::StreamExt;
    let length = req.headers().get("content-length").ok().flatten();
    let mut reader = crate::body::BodyReader::new(max, length.as_deref())?;
    // No body: the empty text.
    if let Ok(mut pieces) = req.stream() {
        while let Some(piece) = pieces.next().await {
            match piece {
                Ok(bytes) => reader.push(&bytes)?,
                Err(e) => return Err(crate::body::BodyError::Stream(e.to_string())),
            }
        }
    }
    reader.finish()
}

/// The Cloudflare data center that received the request (`request.cf.colo`), read without
/// workers-rs's `Cf::colo`, which traps when the runtime gives no colo (local workerd).
fn colo(req: &Request) -> Option<String> {
    let cf = js_sys::Reflect::get(req.inner(), &"cf".into()).ok()?;
    if cf.is_undefined() || cf.is_null() {
        return None;
    }
    js_sys::Reflect::get(&cf, &"colo".into()).ok()?.as_string()
}

/// What a fast answer carries besides its body.
#[derive(Debug, Clone, Copy)]
struct FastMeta {
    status: u16,
    /// `application/json` (else `text/html`).
    json: bool,
    /// Posts are due: the entry module hands [`deliver_pending`] to `waitUntil`.
    due: bool,
    change_number: Option<i64>,
}

/// The hot path, called by the entry module with the request's method, URL, `Authorization`
/// header and (POST) body as strings, and `Date.now()`: answers the client and manager routes synchronously from
/// the isolate's data, without workers-rs's `Request`/`Response` conversions, and returns the
/// body (status, content type and change number through [`fast_status`] and
/// [`fast_change_number`]; posts that became due are sent by [`deliver_pending`] in
/// `waitUntil`). Returns `None` when the request needs the full path: no settings read yet, the
/// environment's data due for revalidation (or not loaded), an admin or docs route, or a
/// configuration error.
#[wasm_bindgen]
pub fn fast_fetch(
    now_ms: f64,
    method: &str,
    url: &str,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Option<String>,
) -> Option<String> {
    let settings = ISOLATE.with(|i| i.borrow().settings.clone())?;
    let Ok(settings) = settings.as_ref() else { return None };
    let path = crate::params::path_of(url);
    if path == crate::bulk::PATH {
        // Streamed by the full path.
        return None;
    }
    let admin = path.starts_with("/admin/");
    if !(path.starts_with("/client/") || path.starts_with("/manager/") || admin) {
        return None;
    }
    let get = method.eq_ignore_ascii_case("GET");
    let admin_reply = if admin && get { admin_without_io(path) } else { None };
    if admin && admin_reply.is_none() {
        return None;
    }
    let reply = match auth::authorize(&settings.auth, authorization.as_deref()) {
        None => unauthorized(),
        Some(env_config) => {
            // `Date.now()` of the entry module: a whole, non-negative number of milliseconds.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let now = now_ms as u64;
            let check_ms = settings.check_ms(env_config);
            let fresh = with_env(&env_config.id, |s| !s.resync && now.saturating_sub(s.checked_ms) < check_ms);
            if fresh != Some(true) {
                return None;
            }
            let request = ApiRequest {
                method: method.to_owned(),
                path: path.to_owned(),
                query: crate::params::query_pairs(url),
                content_type,
                body,
                headers: Vec::new(),
            };
            let missing = with_env(&env_config.id, |s| {
                !needed_segments(s, &request).is_empty() || !large::misses(s, now, &request).is_empty()
            });
            if missing != Some(false) {
                return None;
            }
            let (reply, change_number, due) = with_env(&env_config.id, |s| {
                let reply = admin_reply.unwrap_or_else(|| answer(s, now, &request).0);
                (reply, s.edge.snapshot().flags_change_number(), posts_due(s, now))
            })?;
            let due = due || claim_handoff();
            FAST_META.with(|m| {
                m.set(FastMeta {
                    status: reply.status,
                    json: reply.content_type == api::JSON,
                    due,
                    change_number: Some(change_number),
                })
            });
            return Some(reply.body);
        }
    };
    FAST_META.with(|m| {
        m.set(FastMeta { status: reply.status, json: reply.content_type == api::JSON, due: false, change_number: None })
    });
    Some(reply.body)
}

/// The status of [`fast_fetch`]'s last answer, plus 1,000 when its body is JSON (else HTML) and
/// 2,000 when posts are due.
#[wasm_bindgen]
pub fn fast_status() -> u32 {
    let m = FAST_META.with(Cell::get);
    u32::from(m.status).saturating_add(if m.json { 1000 } else { 0 }).saturating_add(if m.due { 2000 } else { 0 })
}

/// The flags' change number of [`fast_fetch`]'s last answer (`x-split-change-number`), or
/// `None` when it carries none (a 401).
#[wasm_bindgen]
pub fn fast_change_number() -> Option<f64> {
    #[allow(clippy::cast_precision_loss)] // change numbers are millisecond timestamps, below 2^53
    FAST_META.with(Cell::get).change_number.map(|n| n as f64)
}

/// Sends the posts that are due in every environment this isolate holds, or in queue mode the
/// records of the handoff window a fast answer claimed ([`claim_handoff`]); the entry module
/// hands the promise to `waitUntil`.
#[wasm_bindgen]
pub async fn deliver_pending() {
    let Some(settings) = ISOLATE.with(|i| i.borrow().settings.clone()) else { return };
    let Ok(settings) = settings.as_ref() else { return };
    if settings.queue_delivery {
        hand_off_after(settings.handoff_window_ms).await;
        return;
    }
    for env in settings.environments() {
        for request in due_requests(env) {
            let sends = settings.sdk.sends(&env.api_key, &request.url);
            deliver(&env.id, request, sends).await;
        }
    }
}

/// Queue mode: claims the isolate's next handoff send. `true` when records wait and no send is
/// scheduled yet (the caller then schedules [`hand_off_after`] in `waitUntil`), so that a busy
/// isolate sends one message batch per window, not one per request.
fn claim_handoff() -> bool {
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        if i.handoff_scheduled || i.queue.is_none() || !i.envs.values().any(|s| s.edge.has_handoff()) {
            return false;
        }
        i.handoff_scheduled = true;
        true
    })
}

/// Waits for the window, then sends what every environment collected ([`send_handoffs`]).
async fn hand_off_after(window_ms: u64) {
    if window_ms > 0 {
        Delay::from(std::time::Duration::from_millis(window_ms)).await;
    }
    send_handoffs().await;
}

/// Takes the records every environment collected in handoff mode and sends them to the
/// delivery queue; the records of messages the queue refused are kept for the next send
/// (within the recorder's bound; past it they are counted as dropped).
async fn send_handoffs() {
    let (queue, taken) = ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        i.handoff_scheduled = false;
        let taken: Vec<(String, split_edge::recorder::handoff::Handoff)> = i
            .envs
            .iter_mut()
            .filter(|(_, s)| s.edge.has_handoff())
            .map(|(id, s)| (id.clone(), s.edge.take_handoff()))
            .collect();
        (i.queue.clone(), taken)
    });
    let Some(queue) = queue else { return };
    for (env_id, records) in taken {
        let total = records.len() as u64;
        let mut back = split_edge::recorder::handoff::Handoff::default();
        let (mut sent_messages, mut failures) = (0u64, 0u64);
        for batch in delivery::send_batches(delivery::records_messages(&env_id, &records)) {
            match send_messages(&queue, &batch).await {
                Ok(()) => sent_messages = sent_messages.saturating_add(batch.len() as u64),
                Err(e) => {
                    worker::console_warn!("environment {env_id}: sending to the delivery queue failed: {e}");
                    failures = failures.saturating_add(1);
                    for message in &batch {
                        if let Ok(Envelope::Records { records, .. }) = delivery::decode(Some(message)) {
                            back.impressions.extend(records.impressions);
                            back.events.extend(records.events);
                        }
                    }
                }
            }
        }
        let kept = back.len() as u64;
        if kept > 0 {
            with_env(&env_id, |s| s.edge.keep_handoff(back));
        }
        ISOLATE.with(|i| {
            if let Some(p) = i.borrow_mut().delivery.producer.as_mut() {
                p.messages = p.messages.saturating_add(sent_messages);
                p.records = p.records.saturating_add(total.saturating_sub(kept));
                p.send_failures = p.send_failures.saturating_add(failures);
            }
        });
    }
}

/// Sends text messages to the queue in one `sendBatch` (called directly: workers-rs's
/// `send_raw_batch` serializes its options through serde-wasm-bindgen, 80 KB of wasm).
async fn send_messages(queue: &Queue, messages: &[String]) -> worker::Result<()> {
    let batch = js_sys::Array::new();
    for message in messages {
        let entry = js_sys::Object::new();
        js_sys::Reflect::set(&entry, &"body".into(), &JsValue::from_str(message))?;
        js_sys::Reflect::set(&entry, &"contentType".into(), &"text".into())?;
        batch.push(&entry);
    }
    let send: js_sys::Function = js_sys::Reflect::get(queue.as_ref(), &"sendBatch".into())?.dyn_into()?;
    let promise: js_sys::Promise = send.call1(queue.as_ref(), &batch)?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(promise).await?;
    Ok(())
}

/// The queue consumer: merges a batch's messages per environment into a fresh recorder, posts
/// what it builds, and acknowledges, retries or re-queues each environment's messages as
/// [`Verdict`] says. Never fails (a failing handler would retry the whole batch).
#[event(queue)]
async fn queue(batch: MessageBatch<JsValue>, env: Env, _ctx: Context) -> worker::Result<()> {
    let settings = settings(&env);
    match settings.as_ref() {
        Ok(settings) => consume(&batch, settings).await,
        Err(e) => {
            worker::console_error!("the delivery queue waits until the configuration is fixed: {e}");
            batch.retry_all();
        }
    }
    Ok(())
}

async fn consume(batch: &MessageBatch<JsValue>, settings: &Settings) {
    let messages: Vec<worker::RawMessage> = batch.raw_iter().collect();
    let bodies: Vec<Option<String>> = messages.iter().map(|m| m.body().as_string()).collect();
    let environments = settings.environments();
    let find = |id: &str| environments.iter().copied().find(|e| e.id == id);
    let plan = delivery::Batch::new(
        bodies.iter().map(Option::as_deref),
        |id| {
            find(id).map(|e| PostSettings {
                recorder: settings.sdk.recorder.clone(),
                urls: settings.sdk.urls.clone(),
                identity: settings.sdk.identity(&e.api_key),
            })
        },
        now_ms(),
    );
    // The failed posts of a partly delivered group go back through the producer binding.
    let queue = ISOLATE.with(|i| i.borrow().queue.clone());
    consumer_stats(|c| {
        c.batches = c.batches.saturating_add(1);
        c.malformed = c.malformed.saturating_add(plan.malformed.len() as u64);
        c.unknown_environment = plan.unknown.iter().fold(c.unknown_environment, |n, (_, r)| n.saturating_add(*r));
    });
    for (position, error) in &plan.malformed {
        worker::console_warn!("delivery queue: message {position} of the batch: {error}");
        if let Some(m) = messages.get(*position) {
            m.retry();
        }
    }
    for (position, _) in &plan.unknown {
        if let Some(m) = messages.get(*position) {
            m.ack();
        }
    }
    for (env_id, mut group) in plan.groups {
        let Some(env) = find(&env_id) else { continue };
        for request in group.recorder.flush(now_ms()) {
            let sends = settings.sdk.sends(&env.api_key, &request.url);
            let outcome = post(&request, sends).await;
            let report = group.recorder.on_outcome(request.id, outcome, now_ms());
            if sends {
                warn_undelivered(&env_id, &request, &report);
            }
            group.report(&report);
        }
        let settled = match group.verdict(&env_id) {
            Verdict::Ack => Some(0),
            Verdict::Retry => None,
            Verdict::Requeue(posts) => {
                let (mut sent, count) = (queue.is_some(), posts.len());
                for chunk in delivery::send_batches(posts) {
                    let Some(queue) = queue.as_ref() else { break };
                    if let Err(e) = send_messages(queue, &chunk).await {
                        worker::console_warn!("environment {env_id}: re-queuing failed posts failed: {e}");
                        sent = false;
                        break;
                    }
                }
                sent.then_some(count)
            }
        };
        let group_messages = group.messages.iter().filter_map(|p| messages.get(*p));
        match settled {
            Some(requeued) => {
                group_messages.for_each(MessageExt::ack);
                consumer_stats(|c| c.settle(&group, requeued));
            }
            None => {
                group_messages.for_each(MessageExt::retry);
                consumer_stats(|c| c.retried = c.retried.saturating_add(group.messages.len() as u64));
            }
        }
    }
}

/// Updates the isolate's consumer figures (several batches may be consumed at once).
fn consumer_stats(f: impl FnOnce(&mut delivery::ConsumerStats)) {
    ISOLATE.with(|i| {
        if let Some(c) = i.borrow_mut().delivery.consumer.as_mut() {
            f(c);
        }
    });
}

/// The unloaded segments that answering `request` can read: those of the flags it names
/// (get-treatment(s) and OFREP's single flag, with their prerequisites and dependencies), every
/// unloaded one for the other evaluations, none for the manager and track.
fn needed_segments(s: &EnvState, request: &ApiRequest) -> Vec<String> {
    if s.unloaded.is_empty() {
        return Vec::new();
    }
    let trimmed = |list: &str| -> Vec<String> { list.split(',').map(|n| split_edge::js::trim(n).to_owned()).collect() };
    let names: Option<Vec<String>> = match request.path.as_str() {
        "/client/get-treatment" | "/client/get-treatment-with-config" => {
            Some(request.param("split-name").map(trimmed).unwrap_or_default())
        }
        "/client/get-treatments" | "/client/get-treatments-with-config" => {
            Some(request.param("split-names").map(trimmed).unwrap_or_default())
        }
        "/client/track" => Some(Vec::new()),
        p if p.starts_with("/client/") => None,
        p => match ofrep::route(p) {
            Some(Some(flag)) => Some(vec![split_edge::js::trim(&flag).to_owned()]),
            Some(None) => None,
            None => Some(Vec::new()),
        },
    };
    match names {
        Some(names) => {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            segments_needed(s, Some(&refs))
        }
        None => segments_needed(s, None),
    }
}

/// Whether the environment's recorder has a post due.
fn posts_due(s: &EnvState, now: u64) -> bool {
    s.edge.next_due().is_some_and(|due| due <= now)
}

/// The 401 of every route but the docs.
fn unauthorized() -> Reply {
    Reply::error(401, serde_json::Value::String("Unauthorized".to_owned()))
}

/// Answers an OFREP, client or manager request from the environment's data (no I/O), with the
/// `ETag` to send, if any.
fn answer(s: &mut EnvState, now: u64, request: &ApiRequest) -> (Reply, Option<String>) {
    let data = ofrep::data_tag(s.manifest.as_ref());
    dispatch(&mut s.edge, now, request, &data)
}

/// [`answer`] over the environment's core object and the tag of its data.
fn dispatch(edge: &mut SplitEdge, now: u64, request: &ApiRequest, data: &str) -> (Reply, Option<String>) {
    if let Some(a) = ofrep::answer(edge, now, request, data) {
        return (a.reply, a.etag);
    }
    let reply =
        api::client(edge, now, request).or_else(|| api::manager(edge, request)).unwrap_or_else(|| fallback(request));
    (reply, None)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    // The snapshot export may be read by pages of the origins listed in SPLIT_EDGE_ADMIN_ORIGINS
    // (the playground page; `crate::cors`), and OFREP is called by OpenFeature's web provider
    // from any page: they answer CORS preflights and carry CORS headers, errors included. No
    // other route does.
    let path = req.path();
    if crate::cors::applies(&path) {
        let origin = req.headers().get("origin")?;
        let shared = settings(&env);
        let listed: &[String] = match shared.as_ref() {
            Ok(s) => &s.admin_origins,
            Err(_) => &[],
        };
        let policy = crate::cors::Policy::new(listed, origin.as_deref());
        let mut resp = if req.method() == worker::Method::Options {
            match policy.preflight_refusal() {
                Some(refusal) => respond(refusal, None)?,
                None => Response::empty()?.with_status(204),
            }
        } else {
            handle(req, env, ctx).await?
        };
        for (name, value) in policy.headers() {
            resp.headers_mut().set(name, &value)?;
        }
        return Ok(resp);
    }
    let ofrep = ofrep::route(&path).is_some();
    let mut resp = if ofrep && req.method() == worker::Method::Options {
        Response::empty()?.with_status(204)
    } else {
        handle(req, env, ctx).await?
    };
    if ofrep {
        for (name, value) in ofrep::CORS_HEADERS {
            resp.headers_mut().set(name, value)?;
        }
    }
    Ok(resp)
}

async fn handle(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    // The API documentation needs no authorization (as split-evaluator's `/api-docs`).
    if let Some(reply) = crate::docs::route(&path) {
        return respond(reply, None);
    }
    let shared_settings = settings(&env);
    let settings = match shared_settings.as_ref() {
        Ok(s) => s,
        Err(e) => return respond(Reply::error(500, serde_json::Value::String(e.clone())), None),
    };
    if path == "/favicon.ico" {
        return Ok(Response::empty()?.with_status(204));
    }
    let header = req.headers().get("authorization")?;
    let Some(env_config) = auth::authorize(&settings.auth, header.as_deref()).cloned() else {
        return respond(unauthorized(), None);
    };
    let kv = env.kv(KV_BINDING)?;
    if let Err(e) = refresh(&kv, settings, &env_config, false).await {
        return respond(kv_error(e), None);
    }
    if path == crate::bulk::PATH && req.method() == worker::Method::Post {
        // Its own body limit, and a streamed answer.
        return bulk::answer(req, kv, shared_settings.clone(), env_config, ctx).await;
    }
    let request = match api_request(&mut req).await {
        Ok(request) => request,
        Err(reply) => return respond(reply, None),
    };
    let (reply, etag) = if path.starts_with("/admin/") {
        let admin_header = req.headers().get(ADMIN_HEADER)?;
        (admin_route(&kv, settings, &env_config, &request, admin_header.as_deref(), colo(&req)).await, None)
    } else {
        let needed = with_env(&env_config.id, |s| needed_segments(s, &request)).unwrap_or_default();
        let loaded = match ensure_segments(&kv, &env_config, needed).await {
            Ok(()) => large::ensure(&kv, &env_config, &request).await,
            Err(e) => Err(e),
        };
        match loaded {
            Err(e) => (kv_error(e), None),
            Ok(()) => {
                let now = now_ms();
                with_env(&env_config.id, |s| answer(s, now, &request))
                    .unwrap_or_else(|| (kv_error("this environment's data could not be set up"), None))
            }
        }
    };
    if with_env(&env_config.id, |s| !s.unloaded.is_empty()) == Some(true) {
        // The first requests read only what they needed; the rest follows after the response,
        // so that later requests take the hot path.
        let (kv, env_config) = (kv.clone(), env_config.clone());
        ctx.wait_until(async move {
            if let Err(e) = ensure_all_segments(&kv, &env_config).await {
                worker::console_warn!("environment {}: loading segments failed: {e}", env_config.id);
            }
        });
    }
    let cn = with_env(&env_config.id, |s| s.edge.snapshot().flags_change_number());
    deliver_due(&ctx, settings, &env_config);
    if claim_handoff() {
        ctx.wait_until(hand_off_after(settings.handoff_window_ms));
    }
    respond_tagged(reply, cn, etag)
}

/// Hands the posts that are due (a batch full or old enough, a retry after its backoff) to
/// `wait_until`: each is sent after the response and its outcome reported to the core.
fn deliver_due(ctx: &Context, settings: &Settings, env: &EnvConfig) {
    for request in due_requests(env) {
        let env_id = env.id.clone();
        let sends = settings.sdk.sends(&env.api_key, &request.url);
        ctx.wait_until(async move { deliver(&env_id, request, sends).await });
    }
}

/// The environment's posts that are due now (none when nothing is due).
fn due_requests(env: &EnvConfig) -> Vec<HttpRequest> {
    let now = now_ms();
    with_env(&env.id, |s| if posts_due(s, now) { s.edge.poll(now) } else { Vec::new() }).unwrap_or_default()
}

/// Sends one post of the recorder (or, when `sends` is false, drops it as [`NOT_SENT`]) and
/// reports its outcome (the isolate state is borrowed again after the await).
async fn deliver(env_id: &str, request: HttpRequest, sends: bool) {
    let outcome = post(&request, sends).await;
    let now = now_ms();
    let progress = with_env(env_id, |s| s.edge.on_outcome(request.id, outcome, now));
    if let (true, Some(Progress::Delivery(report))) = (sends, progress) {
        warn_undelivered(env_id, &request, &report);
    }
}

/// Sends a recorder post, or (`sends` false: no real SDK key) answers it [`NOT_SENT`] at once.
async fn post(request: &HttpRequest, sends: bool) -> HttpOutcome {
    if sends {
        send(request).await
    } else {
        HttpOutcome::response(NOT_SENT.0, NOT_SENT.1)
    }
}

/// Logs a post that was not delivered (retried, rejected or dropped).
fn warn_undelivered(env_id: &str, request: &HttpRequest, report: &split_edge::recorder::DeliveryReport) {
    if !matches!(report.result, DeliveryResult::Delivered) {
        let kind = report.kind.map_or("unknown", |k| k.as_str());
        worker::console_warn!("environment {env_id}: {kind} post {}: {:?}", request.url, report.result);
    }
}

/// Sends a request of the core with `fetch` and turns the result into an outcome. A request
/// without a whole answer (headers and body) within the outbound time limit is aborted and
/// reported as a network error (see [`crate::outbound`]).
async fn send(request: &HttpRequest) -> HttpOutcome {
    let timeout_ms = ISOLATE
        .with(|i| i.borrow().settings.clone())
        .and_then(|s| s.as_ref().as_ref().ok().map(|s| s.fetch_timeout_ms))
        .unwrap_or(crate::outbound::DEFAULT_FETCH_TIMEOUT_MS);
    let controller = match web_sys::AbortController::new() {
        Ok(c) => c,
        Err(e) => return HttpOutcome::NetworkError(format!("{e:?}")),
    };
    let signal = controller.signal();
    let answer = std::pin::pin!(send_http(request, &signal));
    let deadline = std::pin::pin!(Delay::from(std::time::Duration::from_millis(timeout_ms)));
    match futures_util::future::select(answer, deadline).await {
        futures_util::future::Either::Left((Ok((status, body)), _)) => HttpOutcome::response(status, body),
        futures_util::future::Either::Left((Err(e), _)) => HttpOutcome::NetworkError(e.to_string()),
        futures_util::future::Either::Right(((), _)) => {
            controller.abort();
            HttpOutcome::NetworkError(crate::outbound::timed_out(timeout_ms))
        }
    }
}

async fn send_http(request: &HttpRequest, signal: &web_sys::AbortSignal) -> worker::Result<(u16, String)> {
    // Built with web-sys directly: `worker::RequestInit` serializes its `cf` properties through
    // serde-wasm-bindgen, code the Worker does not otherwise need.
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(match request.method {
        Method::Get => "GET",
        Method::Post => "POST",
    });
    init.set_headers(&headers.0);
    init.set_signal(Some(signal));
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    let req = web_sys::Request::new_with_str_and_init(&request.url, &init)?;
    let mut resp = Fetch::Request(Request::from(req)).send().await?;
    let status = resp.status_code();
    let body = resp.text().await.unwrap_or_default();
    Ok((status, body))
}

fn fallback(req: &ApiRequest) -> Reply {
    if req.method.eq_ignore_ascii_case("GET") {
        Reply::not_found()
    } else {
        Reply::text(404, format!("Cannot {} {}", req.method, req.path))
    }
}

async fn admin_route(
    kv: &KvStore,
    settings: &Settings,
    env: &EnvConfig,
    req: &ApiRequest,
    admin_header: Option<&str>,
    colo: Option<String>,
) -> Reply {
    let get = req.method.eq_ignore_ascii_case("GET");
    if let Some(reply) = admin_without_io(&req.path).filter(|_| get) {
        return reply;
    }
    match (get, req.path.as_str()) {
        (true, "/admin/healthcheck") => {
            let ready = with_env(&env.id, |s| s.edge.client().is_ready()).unwrap_or(false);
            let sync_error = match (ready, settings.sdk.pulls(&env.api_key)) {
                (false, true) => sync_view(kv, &env.id).await.last_error,
                _ => None,
            };
            admin::healthcheck(ready, sync_error.as_deref())
        }
        (true, "/admin/machine") => Reply::json(200, &admin::machine(colo.as_deref())),
        (true, "/admin/stats") => {
            let started = ISOLATE.with(|i| i.borrow().started_ms);
            let mut all = Vec::new();
            for (token, other) in settings.environments_by_token() {
                // split-evaluator lists every environment: the others are loaded here too.
                if other.id != env.id {
                    if let Err(e) = refresh(kv, settings, other, false).await {
                        record_error(settings, other, now_ms(), e);
                    }
                }
                all.push((token, env_stats(kv, settings, other).await));
            }
            let uptime = now_ms().saturating_sub(started);
            let delivery = ISOLATE.with(|i| i.borrow().delivery.clone());
            let memory = wasm_memory_bytes();
            Reply::json(200, &admin::stats(uptime, all.iter().map(|(t, s)| (*t, s)), &delivery, memory))
        }
        (true, admin::SNAPSHOT_PATH) => match ensure_all_segments(kv, env).await {
            Ok(()) => snapshot(kv, env).await,
            Err(e) => kv_error(e),
        },
        (
            false,
            "/admin/split-changes" | "/admin/segment-changes" | admin::SNAPSHOT_PATH | admin::LARGE_SEGMENT_PATH,
        ) if req.is_post() => {
            if settings.admin_token.is_none() {
                return Reply::error(403, "data pushes are disabled: set SPLIT_EDGE_ADMIN_TOKEN".into());
            }
            if !auth::is_admin(settings.admin_token.as_deref(), admin_header) {
                return Reply::error(403, "the X-Admin-Token header is missing or wrong".into());
            }
            let namespace = ISOLATE.with(|i| i.borrow().streaming.clone());
            match namespace {
                // The environment's single writer stores it; this isolate then serves it.
                Some(ns) => {
                    let reply = durable::write(&ns, &env.id, req).await;
                    if reply.status == 200 {
                        if let Err(e) = refresh(kv, settings, env, true).await {
                            return kv_error(e);
                        }
                    }
                    reply
                }
                None => write(kv, settings, env, req).await,
            }
        }
        _ => fallback(req),
    }
}

/// Carries out a push (`/admin/split-changes`, `/admin/segment-changes`, `/admin/snapshot`,
/// `/admin/large-segment`) in this isolate.
async fn write(kv: &KvStore, settings: &Settings, env: &EnvConfig, req: &ApiRequest) -> Reply {
    if req.path == admin::LARGE_SEGMENT_PATH {
        large::push(kv, settings, env, req).await
    } else {
        push(kv, settings, env, req).await
    }
}

/// What `/admin/stats` reports of one environment held by this isolate.
/// The size of this isolate's wasm linear memory in bytes (0 off wasm, in native tests).
fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        (core::arch::wasm32::memory_size(0) as u64).saturating_mul(65_536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

async fn env_stats(kv: &KvStore, settings: &Settings, env: &EnvConfig) -> EnvStats {
    let pull = settings.sdk.pulls(&env.api_key);
    let sync_record = if pull { stored_sync_record(kv, &env.id).await } else { None };
    let namespace = ISOLATE.with(|i| i.borrow().streaming.clone()).filter(|_| settings.streams(env));
    let streaming = match namespace {
        Some(ns) => durable::status(&ns, &env.id).await,
        None => None,
    };
    with_env(&env.id, |s| EnvStats {
        id: env.id.clone(),
        split_count: s.edge.snapshot().flag_count(),
        segment_count: s.edge.snapshot().segments().count(),
        ready: s.edge.client().is_ready(),
        manifest: s.manifest.clone(),
        checked_ms: s.checked_ms,
        last_error: s.last_error.clone(),
        pull,
        impressions_mode: settings.sdk.recorder.impressions_mode.to_string(),
        recorder: Some(s.edge.recorder_stats()),
        sync: pull.then(|| s.edge.sync_status().clone()),
        sync_record,
        store_error: s.store_error.clone(),
        streaming,
        large_segments: large::stats(s),
    })
    .unwrap_or_else(|| EnvStats { id: env.id.clone(), pull, ..Default::default() })
}

/// The admin GETs answered from the isolate alone: `ping`, `version`, `uptime`.
fn admin_without_io(path: &str) -> Option<Reply> {
    Some(match path {
        "/admin/ping" => Reply::text(200, "pong"),
        "/admin/version" => Reply::json(200, &admin::version()),
        "/admin/uptime" => {
            let started = ISOLATE.with(|i| i.borrow().started_ms);
            Reply::text(200, admin::uptime(now_ms().saturating_sub(started)))
        }
        _ => return None,
    })
}

/// A new version id (unique per isolate and call: see [`admin::version_id`]).
fn new_version(now: u64, seed: &str) -> String {
    let counter = ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        i.pushes = i.pushes.wrapping_add(1);
        i.pushes
    });
    admin::version_id(now, seed, counter)
}

/// Stores a version's writes in order: its data keys, then its manifest (the last write), so
/// that no reader sees half of the version. One at a time: concurrent writes would save
/// wall-clock time on large pushes, but `join_all` costs 6 KB of gzipped wasm.
async fn store(kv: &KvStore, writes: &[KvWrite]) -> Result<(), String> {
    for write in writes {
        kv.put_bytes(&write.key, write.value.as_bytes())
            .map_err(|e| e.to_string())?
            .execute()
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The flag data a manifest names: its value, or its parts' values joined
/// ([`Manifest::flag_data_keys`]); `None` when a part is missing.
async fn read_flag_data(kv: &KvStore, m: &Manifest) -> Result<Option<String>, worker::kv::KvError> {
    if m.flags_parts.is_empty() {
        return kv.get(&m.flags_key).text().await;
    }
    let mut text = String::new();
    for key in m.flag_data_keys() {
        match kv.get(key).text().await? {
            Some(part) => text.push_str(&part),
            None => return Ok(None),
        }
    }
    Ok(Some(text))
}

/// `GET /admin/snapshot`: the data this isolate serves, as the bodies that would load it.
async fn snapshot(kv: &KvStore, env: &EnvConfig) -> Reply {
    let Some(manifest) = with_env(&env.id, |s| s.manifest.clone()).flatten() else {
        return Reply::error(404, "no rollout data is stored for this environment".into());
    };
    let flags = match read_flag_data(kv, &manifest).await {
        Err(e) => return kv_error(e),
        Ok(None) => return kv_error(format!("{} is missing", manifest.flags_key)),
        Ok(Some(text)) => text,
    };
    match with_env(&env.id, |s| layout::export(&flags, s.edge.snapshot())) {
        Some(Ok(body)) => Reply::json(200, &body),
        Some(Err(e)) => kv_error(e),
        None => kv_error("this environment's data could not be set up"),
    }
}

async fn push(kv: &KvStore, settings: &Settings, env: &EnvConfig, req: &ApiRequest) -> Reply {
    let _writing = hold(&env.id).await;
    if let Err(e) = refresh(kv, settings, env, true).await {
        return kv_error(e);
    }
    let body = req.body.as_deref().unwrap_or_default();
    let now = now_ms();
    let version = new_version(now, body);
    let previous = with_env(&env.id, |s| s.manifest.clone()).flatten();
    let plan = if req.path == admin::SNAPSHOT_PATH {
        match admin::plan_snapshot_push(&env.id, &version, now, previous.as_ref(), body, &env.filter) {
            Ok(plan) => plan,
            Err(reply) => return reply,
        }
    } else if req.path == "/admin/split-changes" {
        let flags = match &previous {
            None => FlagData::default(),
            Some(m) => match read_flag_data(kv, m).await {
                Err(e) => return kv_error(e),
                Ok(None) => return kv_error(format!("{} is missing", m.flags_key)),
                Ok(Some(text)) => match FlagData::from_json(&text) {
                    Ok(f) => f,
                    Err(e) => return admin::push_error(&e),
                },
            },
        };
        match admin::plan_split_push(&env.id, &version, now, previous.as_ref(), flags, body, &env.filter) {
            Ok(plan) => plan,
            Err(e) => return admin::push_error(&e),
        }
    } else {
        let name = split_edge::model::SegmentChange::from_json(body).map(|c| c.name).unwrap_or_default();
        if let Err(e) = ensure_segments(kv, env, vec![name.clone()]).await {
            return kv_error(e);
        }
        let current = with_env(&env.id, |s| layout::segment_data(s.edge.snapshot(), &name)).flatten();
        match admin::plan_segment_push(&env.id, &version, now, previous.as_ref(), current, body) {
            Ok(plan) => plan,
            Err(e) => return admin::push_error(&e),
        }
    };
    if let Err(e) = store(kv, &plan.writes).await {
        return kv_error(e);
    }
    // The isolate serves what it stored at once: the compiled rules of a split push, the kept
    // segments; a pushed segment is read back when first needed.
    install(settings, env, plan.rules.unwrap_or_default(), Some(plan.manifest), now_ms());
    Reply::json(200, &plan.summary)
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let settings = settings(&env);
    let settings = match settings.as_ref() {
        Ok(s) => s,
        Err(e) => {
            worker::console_error!("the cron run does nothing until the configuration is fixed: {e}");
            return;
        }
    };
    let Ok(kv) = env.kv(KV_BINDING) else { return };
    // Each environment's work runs on its own: a hung request of one (bounded by the outbound
    // time limit anyway) does not hold back another's synchronization or posts.
    let runs = settings.environments().into_iter().map(|env_config| cron_run(&kv, settings, env_config));
    futures_util::future::join_all(runs).await;
    if settings.queue_delivery {
        send_handoffs().await;
    }
}

/// One environment's part of a cron run: revalidate, synchronize (pull mode, through the
/// environment's Durable Object when it is bound), start streaming, post, collect garbage.
async fn cron_run(kv: &KvStore, settings: &Settings, env_config: &EnvConfig) {
    if let Err(e) = refresh(kv, settings, env_config, true).await {
        worker::console_warn!("environment {}: {e}", env_config.id);
    }
    let namespace = ISOLATE.with(|i| i.borrow().streaming.clone());
    if settings.sdk.pulls(&env_config.api_key) {
        match &namespace {
            Some(ns) => {
                if let Err(e) = durable::pull_run(ns, &env_config.id).await {
                    worker::console_warn!("environment {}: {e}", env_config.id);
                }
                if let Err(e) = refresh(kv, settings, env_config, true).await {
                    worker::console_warn!("environment {}: {e}", env_config.id);
                }
            }
            None => pull(kv, settings, env_config).await,
        }
    }
    if settings.streams(env_config) {
        // Starts the environment's streaming Durable Object when it is not running.
        if let Some(namespace) = &namespace {
            if durable::status(namespace, &env_config.id).await.is_none() {
                worker::console_warn!("environment {}: the streaming Durable Object did not answer", env_config.id);
            }
        }
    }
    flush(settings, env_config).await;
    collect_garbage(kv, env_config, settings.gc_grace_ms).await;
}

/// Posts everything the environment's recorder holds (failed posts stay in it for a retry).
async fn flush(settings: &Settings, env: &EnvConfig) {
    let now = now_ms();
    let requests = with_env(&env.id, |s| s.edge.flush(now)).unwrap_or_default();
    for request in requests {
        let sends = settings.sdk.sends(&env.api_key, &request.url);
        deliver(&env.id, request, sends).await;
    }
}

/// Remembers why synchronized data could not be stored, and makes the next run start over from
/// the stored data (the snapshot was changed by the run, KV was not). Returns the message.
fn store_failed(env_id: &str, message: String) -> Option<String> {
    worker::console_warn!("environment {env_id}: {message}");
    with_env(env_id, |s| {
        s.store_error = Some(message.clone());
        s.manifest = None;
        s.resync = true;
    });
    Some(message)
}

/// The stored synchronization record of an environment (`None`: none, or KV failed).
async fn read_sync_record(kv: &KvStore, env_id: &str) -> Option<SyncRecord> {
    kv.get(&SyncRecord::key(env_id)).text().await.ok().flatten().and_then(|t| SyncRecord::from_json(&t))
}

/// The stored synchronization record: KV's (another isolate's cron may have written it), else
/// this isolate's copy.
async fn stored_sync_record(kv: &KvStore, env_id: &str) -> Option<SyncRecord> {
    match read_sync_record(kv, env_id).await {
        Some(r) => Some(r),
        None => with_env(env_id, |s| s.sync_record.clone()).flatten(),
    }
}

/// The freshest synchronization outcome: the stored record and this isolate's own runs.
async fn sync_view(kv: &KvStore, env_id: &str) -> SyncRecord {
    let stored = stored_sync_record(kv, env_id).await;
    let status = with_env(env_id, |s| s.edge.sync_status().clone());
    SyncRecord::merge(stored.as_ref(), status.as_ref())
}

/// Pull mode: synchronizes, then stores the run's outcome for every isolate's `/admin/stats`
/// (only when it changed, see [`SyncRecord::after_run`]).
async fn pull(kv: &KvStore, settings: &Settings, env: &EnvConfig) {
    let _writing = hold(&env.id).await;
    let error = synchronize(kv, settings, env).await;
    let cached = with_env(&env.id, |s| s.sync_record.clone()).flatten();
    let previous = match cached {
        Some(r) => Some(r),
        None => read_sync_record(kv, &env.id).await,
    };
    let (record, write) = SyncRecord::after_run(previous.as_ref(), error, now_ms());
    if write {
        let stored = match kv.put_bytes(&SyncRecord::key(&env.id), record.to_json().as_bytes()) {
            Ok(put) => put.execute().await.is_ok(),
            Err(_) => false,
        };
        if !stored {
            worker::console_warn!("environment {}: storing the synchronization record failed", env.id);
            return;
        }
    }
    with_env(&env.id, |s| s.sync_record = Some(record));
}

/// Synchronizes the environment with Split's SDK API (the core's synchronizer applies the
/// responses to the isolate's snapshot), then stores what changed in KV as a push would.
/// Returns the run's error, or why its data could not be stored.
async fn synchronize(kv: &KvStore, settings: &Settings, env: &EnvConfig) -> Option<String> {
    // The synchronizer continues each segment from its change number: every segment must be held.
    if let Err(e) = ensure_all_segments(kv, env).await {
        return Some(format!("reading the stored segments failed: {e}"));
    }
    let now = now_ms();
    let previous = with_env(&env.id, |s| s.manifest.clone()).flatten();
    let flags = match &previous {
        None => FlagData::default(),
        Some(m) => match read_flag_data(kv, m).await {
            Ok(Some(text)) => match FlagData::from_json(&text) {
                Ok(f) => f,
                Err(e) => return store_failed(&env.id, e.to_string()),
            },
            Ok(None) => return store_failed(&env.id, format!("{} is missing", m.flags_key)),
            Err(e) => return store_failed(&env.id, format!("Workers KV is unavailable: {e}")),
        },
    };
    let mut capture = PullCapture::new(settings.sdk.urls.sdk.clone(), flags);
    let mut queue: VecDeque<HttpRequest> = match with_env(&env.id, |s| s.edge.start_sync(now)) {
        Some(Ok(requests)) => requests.into(),
        Some(Err(e)) => return Some(e.to_string()),
        None => return Some("this environment's data could not be set up".to_owned()),
    };
    let mut run_error = None;
    while let Some(request) = queue.pop_front() {
        let outcome = send(&request).await;
        let now = now_ms();
        let progress = with_env(&env.id, |s| {
            if let HttpOutcome::Response { status, body } = &outcome {
                let snapshot = s.edge.snapshot();
                capture.on_response(&request.url, *status, body, |name| layout::segment_data(snapshot, name));
            }
            s.edge.on_outcome(request.id, outcome, now)
        });
        match progress {
            Some(Progress::Sync(more)) => queue.extend(more),
            Some(Progress::SyncFinished(result)) => {
                if let Err(e) = result {
                    worker::console_warn!("environment {}: synchronization failed: {e}", env.id);
                    run_error = Some(e.to_string());
                }
                break;
            }
            _ => {}
        }
    }
    let now = now_ms();
    let version = new_version(now, "sync");
    let planned =
        with_env(&env.id, |s| capture.plan(&env.id, &version, now, previous.as_ref(), Some(s.edge.snapshot())))
            .unwrap_or(Ok(None));
    let writes = match planned {
        Ok(Some((writes, _))) => writes,
        Ok(None) => {
            with_env(&env.id, |s| s.store_error = None);
            let large_error = large::synchronize(kv, settings, env).await;
            return run_error.or(large_error);
        }
        Err(e) => return store_failed(&env.id, e.to_string()),
    };
    if let Err(e) = store(kv, &writes).await {
        return store_failed(&env.id, format!("storing synchronized data failed: {e}"));
    }
    with_env(&env.id, |s| s.store_error = None);
    if let Err(e) = refresh(kv, settings, env, true).await {
        worker::console_warn!("environment {}: {e}", env.id);
    }
    let large_error = large::synchronize(kv, settings, env).await;
    run_error.or(large_error)
}

/// Deletes data keys that the current manifest does not name and whose version is older than
/// the grace period (readers move to a new manifest within N seconds; the grace covers them).
async fn collect_garbage(kv: &KvStore, env: &EnvConfig, grace_ms: u64) {
    let Some(manifest) = with_env(&env.id, |s| s.manifest.clone()).flatten() else { return };
    let live: std::collections::HashSet<String> = manifest.data_keys().into_iter().collect();
    let prefix = format!("{}v/", layout::env_prefix(&env.id));
    let now = now_ms();
    let mut cursor: Option<String> = None;
    let mut doomed: Vec<String> = Vec::new();
    loop {
        let mut list = kv.list().prefix(prefix.clone());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let Ok(page) = list.execute().await else { break };
        for key in page.keys {
            let version_ms = key
                .name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split('-').next())
                .and_then(|hex| u64::from_str_radix(hex, 16).ok());
            let old = version_ms.is_some_and(|t| now.saturating_sub(t) >= grace_ms);
            if old && !live.contains(&key.name) {
                doomed.push(key.name);
            }
        }
        match page.cursor {
            Some(c) if !page.list_complete => cursor = Some(c),
            _ => break,
        }
    }
    for key in doomed {
        let _ = kv.delete(&key).await;
    }
}
