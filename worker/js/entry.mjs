// The Worker's entry module: hands fetch, cron and queue events to the Rust code (glue from
// wasm-bindgen --target module, built by worker/scripts/build.mjs into worker/build/).
//
// Client, manager and admin GET requests take the hot path first: their method, URL, `Authorization`
// header and body go into the engine as strings and the answer comes back as a string, without
// workers-rs's Request/Response conversions. The engine declines (returns undefined) whenever
// the request needs I/O (the environment's data due for revalidation, admin routes, the first
// request of an isolate), and the full path answers.
import * as wasm from './index.js';

// The streaming Durable Object's class (wrangler.toml: SPLIT_STREAMING → SplitStream).
export { SplitStream } from './index.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

/** Whether the URL's path starts with /client/, /manager/ or (GET only) /admin/; not the bulk route,
 *  which reads its (larger) body itself and streams its answer. */
function hotPath(url, get) {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  return start > 0 && (url.startsWith('/client/', start) || url.startsWith('/manager/', start)
    || (get && url.startsWith('/admin/', start))) && !url.startsWith('/client/evaluate-bulk', start);
}

/** The Response of a fast answer (status and headers from the engine's last answer). */
function fastResponse(body, ctx) {
  const meta = wasm.fast_status();
  const status = meta % 1000;
  const headers = { 'content-type': (meta % 2000) >= 1000 ? JSON_TYPE : HTML_TYPE };
  const changeNumber = wasm.fast_change_number();
  if (changeNumber !== undefined) headers['x-split-change-number'] = String(changeNumber);
  if (meta >= 2000) ctx.waitUntil(wasm.deliver_pending());
  return new Response(body, { status, headers });
}

// worker/src/body.rs's CLIENT_MAX_BYTES: bodies without a Content-Length, or over it, take the
// full path, which reads them in pieces within the route's limit and refuses them (413).
const CLIENT_MAX_BYTES = 1 << 20;
// Invalid UTF-8 is not replaced (names could collide): the full path answers 400 naming its position.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

async function viaBody(request, env, ctx) {
  const declared = request.headers.get('content-length');
  if (declared === null || !(Number(declared) <= CLIENT_MAX_BYTES)) return wasm.fetch(request, env, ctx);
  let bytes;
  try {
    bytes = await request.arrayBuffer();
  } catch (e) {
    const error = `the request body could not be read (malformed or cut short): ${e}`;
    return new Response(JSON.stringify({ error }), { status: 400, headers: { 'content-type': JSON_TYPE } });
  }
  let body;
  try {
    body = UTF8.decode(bytes);
  } catch {
    return wasm.fetch(new Request(request, { body: bytes }), env, ctx);
  }
  const answer = wasm.fast_fetch(Date.now(), 'POST', request.url, request.headers.get('authorization') ?? undefined,
    request.headers.get('content-type') ?? undefined, body);
  if (answer !== undefined) return fastResponse(answer, ctx);
  return wasm.fetch(new Request(request, { body }), env, ctx);
}

export default {
  fetch(request, env, ctx) {
    const method = request.method;
    const url = request.url;
    if (method === 'GET' && hotPath(url, true)) {
      const answer = wasm.fast_fetch(Date.now(), method, url, request.headers.get('authorization') ?? undefined, undefined, undefined);
      if (answer !== undefined) return fastResponse(answer, ctx);
    } else if (method === 'POST' && hotPath(url, false)) {
      return viaBody(request, env, ctx);
    }
    return wasm.fetch(request, env, ctx);
  },
  scheduled(event, env, ctx) {
    return wasm.scheduled(event, env, ctx);
  },
  queue(batch, env, ctx) {
    return wasm.queue(batch, env, ctx);
  },
};
