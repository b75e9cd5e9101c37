//! The environment's Durable Object (wasm32 only): one per environment, named by its id.
//!
//! It is the environment's **single writer** when it is bound: every isolate hands it the pushes
//! it receives (`POST` of the push's path with the [`WRITE_HEADER`]) and every cron run its pull
//! run ([`SYNC_PATH`]); it carries them out one at a time under the environment's write lock, so
//! concurrent pushes from any number of isolates all land (none overwrites another's manifest),
//! and the `since` checks see every earlier push.
//!
//! When the environment streams, it also holds Split's event stream and moves bytes: the core's streaming
//! [`Session`] decides, [`crate::stream::plan`] says what each update needs, and the changes go
//! into KV through the same code as pushes and the cron's pull runs. Isolates ask it for the
//! data's version (`GET /version?env=<id>`, every `SPLIT_EDGE_STREAM_CHECK_MS`) and re-read KV
//! when it moved.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use split_edge::sync::streaming::{Action, Session, Update};
use worker::{durable_object, DurableObject, Env, Fetch, Headers, Request, Response, State};

use super::{api_request, now_ms, pull, push, refresh, refresh_with, respond, send, settings, with_env, KV_BINDING};
use crate::api::{self, Reply};
use crate::config::{EnvConfig, Settings};
use crate::params::ApiRequest;
use crate::stream::{self, Held, Plan};

/// The session and what the object knows of its environment.
struct Inner {
    env_id: String,
    session: Session,
    /// Bumped at each disconnect: a stream reader of an older generation stops.
    generation: u64,
    /// When the object last synchronized (to poll while streaming does not serve).
    last_sync_ms: u64,
    /// Updates applied.
    applied: u64,
}

/// What the object's tasks share.
struct Shared {
    env: Env,
    storage: worker::Storage,
    inner: RefCell<Option<Inner>>,
}

impl Shared {
    fn session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> Option<T> {
        self.inner.borrow_mut().as_mut().map(|i| f(&mut i.session))
    }

    fn generation(&self) -> u64 {
        self.inner.borrow().as_ref().map_or(0, |i| i.generation)
    }

    /// The settings and the environment's configuration, when it streams.
    fn environment(&self) -> Option<(Rc<Result<Settings, String>>, EnvConfig)> {
        let id = self.inner.borrow().as_ref().map(|i| i.env_id.clone())?;
        let settings = settings(&self.env);
        let env = settings.as_ref().as_ref().ok()?.environments().into_iter().find(|e| e.id == id).cloned()?;
        Some((settings, env))
    }
}

/// The Durable Object class (`SplitStream` in `wrangler.toml`).
#[durable_object]
pub struct SplitStream {
    state: State,
    shared: Rc<Shared>,
}

impl DurableObject for SplitStream {
    fn new(state: State, env: Env) -> Self {
        let storage = state.storage();
        SplitStream { state, shared: Rc::new(Shared { env, storage, inner: RefCell::new(None) }) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if let Some(env_id) = req.headers().get(WRITE_HEADER)? {
            return carry_out(&self.shared.env, &env_id, &mut req).await;
        }
        let url = req.inner().url();
        let query = crate::params::query_pairs(&url);
        let env_id = query.iter().find(|(k, _)| k == "env").map(|(_, v)| v.clone()).unwrap_or_default();
        let settings = settings(&self.shared.env);
        let Ok(settings) = settings.as_ref() else { return Response::error("the configuration is invalid", 500) };
        let Some(env) = settings.environments().into_iter().find(|e| e.id == env_id).cloned() else {
            return Response::error("no such environment", 404);
        };
        if !settings.streams(&env) {
            return Response::error("this environment does not stream", 409);
        }
        if self.shared.inner.borrow().is_none() {
            let session = Session::new(settings.sdk.streaming_config(&env.api_key));
            *self.shared.inner.borrow_mut() =
                Some(Inner { env_id: env.id.clone(), session, generation: 0, last_sync_ms: 0, applied: 0 });
            let start = self.shared.session(|s| s.start(now_ms())).unwrap_or_default();
            let shared = self.shared.clone();
            wasm_bindgen_futures::spawn_local(run(shared, start.into()));
            self.state.storage().set_alarm(std::time::Duration::from_millis(stream::ALARM_MS)).await?;
        }
        // The version this object's isolate serves (its own writes at once, others' within the
        // revalidation interval).
        if let Ok(kv) = self.shared.env.kv(KV_BINDING) {
            let _ = refresh_with(&kv, settings, &env, false, false).await;
        }
        let version = with_env(&env.id, |s| s.manifest.as_ref().map(|m| m.version.clone())).flatten();
        let body = self.shared.inner.borrow().as_ref().map(|i| {
            serde_json::json!({
                "version": version,
                "up": i.session.is_up(),
                "phase": i.session.phase(),
                "applied": i.applied,
                "stats": i.session.stats(),
            })
        });
        Response::from_json(&body)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let now = now_ms();
        let actions = self.shared.session(|s| s.on_timer(now)).unwrap_or_default();
        run(self.shared.clone(), actions.into()).await;
        // While streaming does not serve, the object polls (as JS does).
        let poll = self
            .shared
            .inner
            .borrow()
            .as_ref()
            .is_some_and(|i| !i.session.is_up() && now.saturating_sub(i.last_sync_ms) >= stream::POLL_MS);
        if poll {
            synchronize_all(&self.shared).await;
        }
        let wake = self.shared.session(|s| s.next_wake()).flatten();
        let next = wake.map_or(stream::ALARM_MS, |w| w.saturating_sub(now).clamp(1, stream::ALARM_MS));
        self.state.storage().set_alarm(std::time::Duration::from_millis(next)).await?;
        Response::ok("")
    }
}

/// The header that names the environment of a write handed to its Durable Object.
const WRITE_HEADER: &str = "x-split-edge-write";
/// The path of a pull run handed to the environment's Durable Object.
const SYNC_PATH: &str = "/sync";

/// Carries out, in the Durable Object, a write an isolate handed over: a push (under the
/// environment's write lock, taken by `push`) or a pull run.
async fn carry_out(env: &Env, env_id: &str, req: &mut Request) -> worker::Result<Response> {
    let settings = settings(env);
    let Ok(settings) = settings.as_ref() else { return Response::error("the configuration is invalid", 500) };
    let Some(config) = settings.environments().into_iter().find(|e| e.id == env_id).cloned() else {
        return Response::error("no such environment", 404);
    };
    let kv = env.kv(KV_BINDING)?;
    if req.path() == SYNC_PATH {
        pull(&kv, settings, &config).await;
        return Response::ok("");
    }
    let request = match api_request(req).await {
        Ok(r) => r,
        Err(reply) => return respond(reply, None),
    };
    respond(super::write(&kv, settings, &config, &request).await, None)
}

/// Hands a push to the environment's Durable Object and answers what it answered (503 when it
/// cannot be reached: nothing was stored).
pub(super) async fn write(namespace: &worker::ObjectNamespace, env_id: &str, req: &ApiRequest) -> Reply {
    match hand_over(namespace, env_id, req).await {
        Ok(reply) => reply,
        Err(e) => Reply::error(
            503,
            format!("the environment's Durable Object (its single writer) did not answer: {e}; nothing was stored")
                .into(),
        ),
    }
}

async fn hand_over(namespace: &worker::ObjectNamespace, env_id: &str, req: &ApiRequest) -> worker::Result<Reply> {
    let stub = namespace.id_from_name(env_id)?.get_stub()?;
    let mut url = format!("https://split-writer{}", req.path);
    for (i, (name, value)) in req.query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&String::from(js_sys::encode_uri_component(name)));
        url.push('=');
        url.push_str(&String::from(js_sys::encode_uri_component(value)));
    }
    let request = handed_over(&url, env_id, req.content_type.as_deref(), req.body.as_deref())?;
    let mut response = stub.fetch_with_request(request).await?;
    let json = response.headers().get("content-type")?.is_some_and(|t| t.starts_with("application/json"));
    let status = response.status_code();
    let body = response.text().await?;
    Ok(Reply { status, content_type: if json { api::JSON } else { api::TEXT }, body })
}

/// A `POST` handing a write of `env_id` to its Durable Object (built with web-sys, as
/// `send_http` is: `worker::RequestInit` would pull in serde-wasm-bindgen).
fn handed_over(url: &str, env_id: &str, content_type: Option<&str>, body: Option<&str>) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set(WRITE_HEADER, env_id)?;
    if let Some(t) = content_type {
        headers.set("content-type", t)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers.0);
    if let Some(body) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    Ok(Request::from(web_sys::Request::new_with_str_and_init(url, &init)?))
}

/// Has the environment's Durable Object run a pull run (it holds the write lock meanwhile).
pub(super) async fn pull_run(namespace: &worker::ObjectNamespace, env_id: &str) -> worker::Result<()> {
    let stub = namespace.id_from_name(env_id)?.get_stub()?;
    let request = handed_over(&format!("https://split-writer{SYNC_PATH}"), env_id, None, None)?;
    let response = stub.fetch_with_request(request).await?;
    match response.status_code() {
        200 => Ok(()),
        status => Err(worker::Error::RustError(format!("its pull run answered {status}"))),
    }
}

/// Carries out the session's actions (and those they lead to), in order.
async fn run(shared: Rc<Shared>, mut queue: VecDeque<Action>) {
    while let Some(action) = queue.pop_front() {
        let more = match action {
            Action::Authenticate(request) => {
                let outcome = send(&request).await;
                shared.session(|s| s.on_auth(request.id, outcome, now_ms())).unwrap_or_default()
            }
            Action::Connect { url, headers } => connect(&shared, &url, &headers).await,
            Action::Disconnect => {
                if let Some(i) = shared.inner.borrow_mut().as_mut() {
                    i.generation = i.generation.wrapping_add(1);
                }
                Vec::new()
            }
            Action::Apply(update) => {
                apply(&shared, &update).await;
                Vec::new()
            }
            // Streaming serves again: catch up on what happened meanwhile (JS syncAll).
            Action::StreamingUp => {
                synchronize_all(&shared).await;
                Vec::new()
            }
            Action::StreamingDown => Vec::new(),
        };
        queue.extend(more);
    }
    // A backoff or a connection delay may now end before the next alarm.
    let now = now_ms();
    if let Some(wake) = shared.session(|s| s.next_wake()).flatten().filter(|w| w.saturating_sub(now) < stream::ALARM_MS)
    {
        let offset = std::time::Duration::from_millis(wake.saturating_sub(now).max(1));
        if let Err(e) = shared.storage.set_alarm(offset).await {
            worker::console_warn!("streaming: setting the alarm failed: {e}");
        }
    }
}

/// Opens the event stream; its bytes are read by a task of their own.
async fn connect(shared: &Rc<Shared>, url: &str, headers: &[(String, String)]) -> Vec<Action> {
    let opened = open(url, headers).await;
    let now = now_ms();
    match opened {
        Ok(stream) => {
            let generation = shared.generation();
            let actions = shared.session(|s| s.on_open(now)).unwrap_or_default();
            wasm_bindgen_futures::spawn_local(read(shared.clone(), stream, generation));
            actions
        }
        Err(e) => shared.session(|s| s.on_closed(Some(e), now)).unwrap_or_default(),
    }
}

async fn open(url: &str, headers: &[(String, String)]) -> Result<worker::ByteStream, String> {
    let h = Headers::new();
    h.set("Accept", "text/event-stream").map_err(|e| e.to_string())?;
    for (name, value) in headers {
        h.set(name, value).map_err(|e| e.to_string())?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers(&h.0);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| format!("{e:?}"))?;
    let mut response = Fetch::Request(Request::from(request)).send().await.map_err(|e| e.to_string())?;
    let status = response.status_code();
    if !(200..300).contains(&status) {
        return Err(format!("the stream answered {status}"));
    }
    response.stream().map_err(|e| e.to_string())
}

/// Reads the stream until it ends or the session disconnects it.
async fn read(shared: Rc<Shared>, mut stream: worker::ByteStream, generation: u64) {
    use futures_util::StreamExt as _;
    loop {
        let next = stream.next().await;
        if shared.generation() != generation {
            return;
        }
        let now = now_ms();
        let (actions, ended) = match next {
            Some(Ok(bytes)) => (shared.session(|s| s.on_bytes(&bytes, now)).unwrap_or_default(), false),
            Some(Err(e)) => (shared.session(|s| s.on_closed(Some(e.to_string()), now)).unwrap_or_default(), true),
            None => (shared.session(|s| s.on_closed(None, now)).unwrap_or_default(), true),
        };
        Box::pin(run(shared.clone(), actions.into())).await;
        if ended {
            return;
        }
    }
}

/// How many times an update that a synchronization did not reach is tried again (another run
/// may have been in progress, or the SDK API not have it yet), waiting 250 ms more each time.
const APPLY_ATTEMPTS: u64 = 6;

/// Applies an update to the stored data: skipped, pushed inline, or synchronized until the
/// stored data has it (within [`APPLY_ATTEMPTS`]; the cron and the next notifications catch up
/// after that).
async fn apply(shared: &Rc<Shared>, update: &Update) {
    let Some((settings, env)) = shared.environment() else { return };
    let Ok(settings) = settings.as_ref() else { return };
    let Ok(kv) = shared.env.kv(KV_BINDING) else { return };
    for attempt in 0..APPLY_ATTEMPTS {
        if let Err(e) = refresh(&kv, settings, &env, true).await {
            worker::console_warn!("environment {}: streaming: {e}", env.id);
        }
        let manifest = with_env(&env.id, |s| s.manifest.clone()).flatten();
        let held = Held {
            flags: manifest.as_ref().map_or(-1, |m| m.flags_change_number),
            rule_based_segments: manifest.as_ref().map_or(-1, |m| m.rule_based_segments_change_number),
        };
        let segment = |name: &str| manifest.as_ref().and_then(|m| m.segments.get(name)).map(|e| e.change_number);
        let planned = stream::plan(update, held, segment);
        if planned == Plan::Skip {
            break;
        }
        if attempt > 0 {
            worker::Delay::from(std::time::Duration::from_millis(attempt.saturating_mul(250))).await;
        }
        match planned {
            Plan::Skip => break,
            Plan::Push(body) => {
                let request = ApiRequest {
                    method: "POST".to_owned(),
                    path: "/admin/split-changes".to_owned(),
                    query: Vec::new(),
                    content_type: Some("application/json".to_owned()),
                    body: Some(body),
                    headers: Vec::new(),
                };
                let reply = push(&kv, settings, &env, &request).await;
                if reply.status != 200 {
                    worker::console_warn!("environment {}: an inline update did not apply ({})", env.id, reply.body);
                    pull(&kv, settings, &env).await;
                    note_sync(shared);
                }
            }
            // Large segments are not read by server-side evaluation: one run, nothing to check.
            Plan::Pull if matches!(update, Update::LargeSegments { .. }) => {
                pull(&kv, settings, &env).await;
                note_sync(shared);
                break;
            }
            Plan::Pull => {
                pull(&kv, settings, &env).await;
                note_sync(shared);
            }
        }
    }
    if let Some(i) = shared.inner.borrow_mut().as_mut() {
        i.applied = i.applied.saturating_add(1);
    }
}

async fn synchronize_all(shared: &Rc<Shared>) {
    let Some((settings, env)) = shared.environment() else { return };
    let Ok(settings) = settings.as_ref() else { return };
    let Ok(kv) = shared.env.kv(KV_BINDING) else { return };
    pull(&kv, settings, &env).await;
    note_sync(shared);
}

fn note_sync(shared: &Rc<Shared>) {
    if let Some(i) = shared.inner.borrow_mut().as_mut() {
        i.last_sync_ms = now_ms();
    }
}

/// The environment's Durable Object's answer (starting it if needed): the version it serves,
/// whether streaming serves, the session's phase and figures. `None` when it cannot be reached.
pub(super) async fn status(namespace: &worker::ObjectNamespace, env_id: &str) -> Option<serde_json::Value> {
    let stub = namespace.id_from_name(env_id).ok()?.get_stub().ok()?;
    let mut response = stub.fetch_with_str(&format!("https://split-stream/version?env={env_id}")).await.ok()?;
    if response.status_code() != 200 {
        return None;
    }
    response.json().await.ok()
}
