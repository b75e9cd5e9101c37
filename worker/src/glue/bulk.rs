//! `POST /client/evaluate-bulk` in the glue: reads the body within the bulk limit, loads what the
//! request needs (segments, large segment memberships chunk by chunk), and streams the NDJSON
//! answer chunk by chunk from the isolate's core object. Decisions are [`crate::bulk`]'s.

use std::rc::Rc;

use futures_util::StreamExt;
use split_edge::bulk::BulkPlan;
use worker::kv::KvStore;
use worker::{Context, Request, Response};

use super::{
    claim_handoff, deliver_due, ensure_all_segments, ensure_segments, hand_off_after, kv_error, large, now_ms, respond,
    segments_needed, with_env, CHANGE_NUMBER_HEADER,
};
use crate::bulk::{self as route, BodyCap, Chunks};
use crate::config::{EnvConfig, Settings};
use crate::large::MAX_LOOKUP_ROUNDS;

/// Answers the route (the environment's data is fresh: [`super::refresh`] ran).
pub(super) async fn answer(
    mut req: Request,
    kv: KvStore,
    settings: Rc<Result<Settings, String>>,
    env: EnvConfig,
    ctx: Context,
) -> worker::Result<Response> {
    let limits = route::limits();
    let body = match read_body(&mut req, limits.max_body_bytes).await {
        Ok(body) => body,
        Err(reply) => return respond(reply, None),
    };
    let planned = with_env(&env.id, |s| {
        route::plan(&s.edge, &body, &limits).map(|plan| {
            let flags: Vec<&str> = plan.flags().iter().map(String::as_str).collect();
            let needed = segments_needed(s, Some(&flags));
            (plan, needed)
        })
    });
    drop(body);
    let (plan, needed) = match planned {
        Some(Ok(planned)) => planned,
        Some(Err(reply)) => return respond(reply, None),
        None => return respond(kv_error("this environment's data could not be set up"), None),
    };
    if let Err(e) = ensure_segments(&kv, &env, needed).await {
        return respond(kv_error(e), None);
    }
    if with_env(&env.id, |s| !s.unloaded.is_empty()) == Some(true) {
        let (kv, env) = (kv.clone(), env.clone());
        ctx.wait_until(async move {
            if let Err(e) = ensure_all_segments(&kv, &env).await {
                worker::console_warn!("environment {}: loading segments failed: {e}", env.id);
            }
        });
    }
    let change_number = with_env(&env.id, |s| s.edge.snapshot().flags_change_number());
    let chunks = Chunks::new(&plan);
    let state = Stream { plan, chunks, kv, settings, env, ctx: Some(ctx) };
    let body = futures_util::stream::unfold(state, next_piece);
    let mut resp = Response::from_stream(body)?;
    resp.headers_mut().set("content-type", route::NDJSON)?;
    if let Some(cn) = change_number {
        resp.headers_mut().set(CHANGE_NUMBER_HEADER, &cn.to_string())?;
    }
    Ok(resp)
}

/// Reads the body in pieces, refusing it (413) as soon as it is over `max` bytes.
async fn read_body(req: &mut Request, max: usize) -> Result<String, crate::api::Reply> {
    let length = req.headers().get("content-length").ok().flatten();
    let mut cap = BodyCap::new(max, length.as_deref())?;
    // No body: the empty text, which the parser refuses with its message.
    if let Ok(mut pieces) = req.stream() {
        while let Some(piece) = pieces.next().await {
            match piece {
                Ok(bytes) => cap.push(&bytes)?,
                Err(e) => {
                    return Err(crate::api::Reply::error(400, format!("reading the body failed: {e}").into()));
                }
            }
        }
    }
    cap.finish()
}

/// What the streamed answer holds between pieces.
struct Stream {
    plan: BulkPlan,
    chunks: Chunks,
    kv: KvStore,
    settings: Rc<Result<Settings, String>>,
    env: EnvConfig,
    /// Taken when the answer ends, to deliver the posts that became due.
    ctx: Option<Context>,
}

/// The next piece of the answer: one chunk of keys evaluated, `None` after the last (when the
/// posts that are due are handed to `waitUntil`, as after any other answer).
async fn next_piece(mut state: Stream) -> Option<(Result<Vec<u8>, worker::Error>, Stream)> {
    let Some(range) = state.chunks.next_range() else {
        if let (Some(ctx), Ok(settings)) = (state.ctx.take(), state.settings.as_ref()) {
            deliver_due(&ctx, settings, &state.env);
            if claim_handoff() {
                ctx.wait_until(hand_off_after(settings.handoff_window_ms));
            }
        }
        return None;
    };
    let piece = match look_up_memberships(&state, range.clone()).await {
        Err(e) => {
            // Nothing more is answered: the error line ends the stream.
            state.chunks.stop();
            route::failure_line(&format!("Workers KV is unavailable: {e}"))
        }
        Ok(()) => {
            let now = now_ms();
            let plan = &state.plan;
            let mut out = String::with_capacity(
                range.len().saturating_mul(plan.flags().len().saturating_add(1)).saturating_mul(32),
            );
            let answered = with_env(&state.env.id, |s| plan.evaluate_range(&mut s.edge, now, range, &mut out));
            if answered.is_none() {
                out = route::failure_line("this environment's data could not be set up");
            }
            out
        }
    };
    Some((Ok(piece.into_bytes()), state))
}

/// Before a chunk is answered: the large segment memberships its keys need that the isolate
/// does not hold, learned by evaluating the chunk without recording, read from KV round after
/// round (none when the environment has no remote large segments).
async fn look_up_memberships(state: &Stream, range: std::ops::Range<usize>) -> Result<(), String> {
    for _ in 0..MAX_LOOKUP_ROUNDS {
        let misses = with_env(&state.env.id, |s| {
            if s.edge.snapshot().remote_large_segments().next().is_none() {
                return Vec::new();
            }
            s.edge.snapshot().take_large_misses();
            let mut scratch = String::new();
            s.edge.without_recording(|edge| state.plan.evaluate_range(edge, now_ms(), range.clone(), &mut scratch));
            s.edge.snapshot().take_large_misses()
        })
        .unwrap_or_default();
        if misses.is_empty() {
            return Ok(());
        }
        large::look_up(&state.kv, &state.env, misses).await?;
    }
    with_env(&state.env.id, |s| s.large.unresolved = s.large.unresolved.saturating_add(1));
    Ok(())
}
