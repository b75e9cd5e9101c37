//! The Workers glue (wasm32 only): requests in, KV reads and writes, the isolate's cache of
//! compiled snapshots, responses out. Every decision is made by the sans-I/O modules.

use std::cell::RefCell;
use std::collections::HashMap;

use split_edge::sdk::{SplitEdge, SplitEdgeConfig};
use worker::{event, kv::KvStore, Context, Date, Env, Request, Response, ScheduleContext, ScheduledEvent};

use crate::admin::{self, EnvStats};
use crate::api::{self, Reply};
use crate::auth;
use crate::config::{EnvConfig, Settings};
use crate::layout::{self, Manifest};
use crate::params::ApiRequest;
use crate::state::FlagData;

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
}

/// What the isolate keeps between requests.
struct Isolate {
    started_ms: u64,
    envs: HashMap<String, EnvState>,
    pushes: u64,
}

thread_local! {
    static ISOLATE: RefCell<Isolate> = RefCell::new(Isolate { started_ms: Date::now().as_millis(), envs: HashMap::new(), pushes: 0 });
}

fn now_ms() -> u64 {
    Date::now().as_millis()
}

fn settings(env: &Env) -> Result<Settings, crate::config::ConfigError> {
    Settings::from_vars(|name| env.var(name).ok().map(|v| v.to_string()))
}

fn respond(reply: Reply, change_number: Option<i64>) -> worker::Result<Response> {
    let mut resp = Response::ok(reply.body)?.with_status(reply.status);
    resp.headers_mut().set("content-type", reply.content_type)?;
    if let Some(cn) = change_number {
        resp.headers_mut().set(CHANGE_NUMBER_HEADER, &cn.to_string())?;
    }
    Ok(resp)
}

fn kv_error(e: impl std::fmt::Display) -> Reply {
    Reply::error(503, serde_json::Value::String(format!("Workers KV is unavailable: {e}")))
}

/// Makes sure the isolate holds `env`'s current data: re-reads the manifest when it was last read
/// `revalidate_ms` ago or more (or `force`), and reloads when its version changed.
async fn refresh(kv: &KvStore, env: &EnvConfig, revalidate_ms: u64, force: bool) -> Result<(), String> {
    let now = now_ms();
    let (due, current) = ISOLATE.with(|i| {
        let i = i.borrow();
        match i.envs.get(&env.id) {
            None => (true, None),
            Some(s) => (
                force || now.saturating_sub(s.checked_ms) >= revalidate_ms,
                s.manifest.as_ref().map(|m| m.version.clone()),
            ),
        }
    });
    if !due {
        return Ok(());
    }
    let text = match kv.get(&layout::manifest_key(&env.id)).text().await {
        Ok(t) => t,
        // Keep serving what the isolate holds; fail only when it holds nothing.
        Err(e) if current.is_some() => {
            record_error(env, now, format!("reading the manifest failed: {e}"));
            return Ok(());
        }
        Err(e) => return Err(e.to_string()),
    };
    let manifest = match text.map(|t| Manifest::from_json(&t)).transpose() {
        Ok(m) => m,
        Err(e) => {
            record_error(env, now, e.to_string());
            return Ok(());
        }
    };
    let version = manifest.as_ref().map(|m| m.version.clone());
    let exists = ISOLATE.with(|i| i.borrow().envs.contains_key(&env.id));
    if exists && version == current {
        ISOLATE.with(|i| {
            if let Some(s) = i.borrow_mut().envs.get_mut(&env.id) {
                s.checked_ms = now;
            }
        });
        return Ok(());
    }
    let snapshot = match &manifest {
        None => Ok(split_edge::Snapshot::new().with_filter(env.filter.clone())),
        Some(m) => {
            let previous = ISOLATE.with(|i| i.borrow().envs.get(&env.id).and_then(|s| s.manifest.clone()));
            let values = match read_values(kv, &layout::keys_to_read(m, previous.as_ref())).await {
                Ok(v) => v,
                Err(e) if current.is_some() => {
                    record_error(env, now, format!("reading the data failed: {e}"));
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            ISOLATE.with(|i| {
                let i = i.borrow();
                let held = i.envs.get(&env.id).and_then(|s| s.manifest.as_ref().map(|pm| (pm, s.edge.snapshot())));
                // Reuse only what the snapshot held when the keys to read were chosen.
                let held = held.filter(|(pm, _)| Some(*pm) == previous.as_ref());
                layout::assemble_reusing(m, held, env.filter.clone(), |k| values.get(k).map(String::as_str))
            })
        }
    };
    match snapshot {
        Err(e) => record_error(env, now, e.to_string()),
        Ok(snapshot) => ISOLATE.with(|i| {
            let mut i = i.borrow_mut();
            match i.envs.get_mut(&env.id) {
                Some(s) => {
                    s.edge.replace_snapshot(snapshot);
                    s.manifest = manifest;
                    s.checked_ms = now;
                    s.last_error = None;
                }
                None => {
                    let mut config = SplitEdgeConfig::new(env.id.clone());
                    config.filter = env.filter.clone();
                    if let Ok(edge) = SplitEdge::with_snapshot(config, snapshot) {
                        i.envs.insert(env.id.clone(), EnvState { edge, manifest, checked_ms: now, last_error: None });
                    }
                }
            }
        }),
    }
    Ok(())
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
fn record_error(env: &EnvConfig, now: u64, message: String) {
    ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        if let Some(s) = i.envs.get_mut(&env.id) {
            s.checked_ms = now;
            s.last_error = Some(message);
        } else {
            let mut config = SplitEdgeConfig::new(env.id.clone());
            config.filter = env.filter.clone();
            if let Ok(edge) = SplitEdge::new(config) {
                i.envs.insert(
                    env.id.clone(),
                    EnvState { edge, manifest: None, checked_ms: now, last_error: Some(message) },
                );
            }
        }
    });
}

/// Runs `f` on the environment's state (loaded by [`refresh`]).
fn with_env<T>(id: &str, f: impl FnOnce(&mut EnvState) -> T) -> Option<T> {
    ISOLATE.with(|i| i.borrow_mut().envs.get_mut(id).map(f))
}

async fn api_request(req: &mut Request) -> worker::Result<ApiRequest> {
    let url = req.url()?;
    let method = req.method().to_string();
    let body = if method.eq_ignore_ascii_case("POST") { Some(req.text().await?) } else { None };
    Ok(ApiRequest {
        method,
        path: url.path().to_owned(),
        query: url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        content_type: req.headers().get("content-type")?,
        body,
    })
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let settings = match settings(&env) {
        Ok(s) => s,
        Err(e) => return respond(Reply::error(500, serde_json::Value::String(e.to_string())), None),
    };
    let path = req.path();
    if path == "/favicon.ico" {
        return Ok(Response::empty()?.with_status(204));
    }
    let header = req.headers().get("authorization")?;
    let Some(env_config) = auth::authorize(&settings.auth, header.as_deref()).cloned() else {
        return respond(Reply::error(401, serde_json::Value::String("Unauthorized".to_owned())), None);
    };
    let kv = env.kv(KV_BINDING)?;
    if let Err(e) = refresh(&kv, &env_config, settings.revalidate_ms, false).await {
        return respond(kv_error(e), None);
    }
    let request = api_request(&mut req).await?;
    let now = now_ms();
    let reply = if path.starts_with("/admin/") {
        let admin_header = req.headers().get(ADMIN_HEADER)?;
        admin_route(&kv, &settings, &env_config, &request, admin_header.as_deref()).await
    } else {
        with_env(&env_config.id, |s| {
            api::client(&mut s.edge, now, &request).or_else(|| api::manager(&s.edge, &request))
        })
        .unwrap_or_else(|| Some(kv_error("this environment's data could not be set up")))
        .unwrap_or_else(|| fallback(&request))
    };
    let cn = with_env(&env_config.id, |s| s.edge.snapshot().flags_change_number());
    respond(reply, cn)
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
) -> Reply {
    let get = req.method.eq_ignore_ascii_case("GET");
    match (get, req.path.as_str()) {
        (true, "/admin/ping") => Reply::text(200, "pong"),
        (true, "/admin/healthcheck") => {
            let ready = with_env(&env.id, |s| s.edge.client().is_ready()).unwrap_or(false);
            if ready {
                Reply::text(200, "Split Evaluator working as expected.")
            } else {
                Reply::text(500, "Split evaluator engine is not evaluating traffic properly.")
            }
        }
        (true, "/admin/version") => Reply::json(200, &admin::version()),
        (true, "/admin/uptime") => {
            let started = ISOLATE.with(|i| i.borrow().started_ms);
            Reply::text(200, admin::uptime(now_ms().saturating_sub(started)))
        }
        (true, "/admin/stats") => {
            let started = ISOLATE.with(|i| i.borrow().started_ms);
            let stats = with_env(&env.id, |s| EnvStats {
                id: env.id.clone(),
                split_count: s.edge.snapshot().flag_count(),
                segment_count: s.edge.snapshot().segments().count(),
                ready: s.edge.client().is_ready(),
                manifest: s.manifest.clone(),
                checked_ms: s.checked_ms,
                last_error: s.last_error.clone(),
            })
            .unwrap_or_default();
            Reply::json(200, &admin::stats(now_ms().saturating_sub(started), &stats))
        }
        (false, "/admin/split-changes" | "/admin/segment-changes") if req.is_post() => {
            if settings.admin_token.is_none() {
                return Reply::error(403, "data pushes are disabled: set SPLIT_EDGE_ADMIN_TOKEN".into());
            }
            if !auth::is_admin(settings.admin_token.as_deref(), admin_header) {
                return Reply::error(403, "the X-Admin-Token header is missing or wrong".into());
            }
            push(kv, settings, env, req).await
        }
        _ => fallback(req),
    }
}

async fn push(kv: &KvStore, settings: &Settings, env: &EnvConfig, req: &ApiRequest) -> Reply {
    if let Err(e) = refresh(kv, env, settings.revalidate_ms, true).await {
        return kv_error(e);
    }
    let body = req.body.as_deref().unwrap_or_default();
    let now = now_ms();
    let counter = ISOLATE.with(|i| {
        let mut i = i.borrow_mut();
        i.pushes = i.pushes.wrapping_add(1);
        i.pushes
    });
    let version = admin::version_id(now, body, counter);
    let previous = with_env(&env.id, |s| s.manifest.clone()).flatten();
    let plan = if req.path == "/admin/split-changes" {
        let flags = match &previous {
            None => FlagData::default(),
            Some(m) => match kv.get(&m.flags_key).text().await {
                Err(e) => return kv_error(e),
                Ok(None) => return kv_error(format!("{} is missing", m.flags_key)),
                Ok(Some(text)) => match FlagData::from_json(&text) {
                    Ok(f) => f,
                    Err(e) => return admin::push_error(&e),
                },
            },
        };
        admin::plan_split_push(&env.id, &version, now, previous.as_ref(), flags, body)
    } else {
        let name = split_edge::model::SegmentChange::from_json(body).map(|c| c.name).unwrap_or_default();
        let current = with_env(&env.id, |s| layout::segment_data(s.edge.snapshot(), &name)).flatten();
        admin::plan_segment_push(&env.id, &version, now, previous.as_ref(), current, body)
    };
    let plan = match plan {
        Ok(p) => p,
        Err(e) => return admin::push_error(&e),
    };
    for write in &plan.writes {
        let put = match kv.put(&write.key, write.value.as_str()) {
            Ok(p) => p,
            Err(e) => return kv_error(e),
        };
        if let Err(e) = put.execute().await {
            return kv_error(e);
        }
    }
    if let Err(e) = refresh(kv, env, settings.revalidate_ms, true).await {
        return kv_error(e);
    }
    Reply::json(200, &plan.summary)
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let Ok(settings) = settings(&env) else { return };
    let Ok(kv) = env.kv(KV_BINDING) else { return };
    for env_config in settings.environments() {
        let _ = refresh(&kv, env_config, settings.revalidate_ms, true).await;
        collect_garbage(&kv, env_config, settings.gc_grace_ms).await;
    }
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
