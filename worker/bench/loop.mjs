// The in-isolate benchmark's Worker: the built Worker (./entry.mjs) and a trivial handler side by
// side in one isolate. `GET /__loop?target=worker|trivial&route=<name>&n=<count>&token=<t>` calls
// the target's `fetch` n times in a row (each request built, answered and its body read), so
// that the caller's wall time for n minus its time for n=0 is n requests of the target's own
// work, with no network or proxy in between. Every other request goes to the Worker.
import splitEdge from './entry.mjs';
import { bulkAttributes, bulkKey, routes } from './snapshot.mjs';

/** The floor: the Request/URL/header/Response work of any handler, and no evaluation. */
const trivial = {
  fetch(request) {
    const url = new URL(request.url);
    const splitName = url.searchParams.get('split-name');
    const treatment = request.headers.get('authorization') && url.searchParams.get('key') ? 'on' : 'control';
    return new Response(JSON.stringify({ splitName, treatment }), { headers: { 'content-type': 'application/json; charset=utf-8' } });
  },
};

/** `GET /__bulk?mode=bulk|single|trivial&keys=K&flags=F&token=<t>`: K keys × F flags evaluated
 *  through one POST /client/evaluate-bulk (its NDJSON body read to the end), or through K
 *  get-treatments requests (one per key), or K trivial-handler requests (the floor). */
async function bulkLoop(url, env, ctx) {
  const mode = url.searchParams.get('mode');
  const keys = Number(url.searchParams.get('keys'));
  const flags = Number(url.searchParams.get('flags'));
  const headers = { authorization: url.searchParams.get('token') };
  const names = Array.from({ length: flags }, (_, k) => `flag_${k}`);
  let bytes = 0;
  if (mode === 'bulk') {
    if (keys === 0) return new Response('0');
    const body = JSON.stringify({ keys: Array.from({ length: keys }, (_, i) => ({ key: bulkKey(i), attributes: bulkAttributes })), flags: names });
    const res = await splitEdge.fetch(new Request('http://localhost/client/evaluate-bulk', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body }), env, ctx);
    const text = await res.text();
    if (res.status !== 200) return new Response(`bulk: ${res.status} ${text.slice(0, 300)}`, { status: 500 });
    bytes = text.length;
  } else {
    const target = mode === 'trivial' ? trivial : splitEdge;
    const split = names.join(',');
    const attrs = encodeURIComponent(JSON.stringify(bulkAttributes));
    for (let i = 0; i < keys; i++) {
      const path = `/client/get-treatments?key=${bulkKey(i)}&split-names=${split}&attributes=${attrs}`;
      const res = await target.fetch(new Request(`http://localhost${path}`, { headers }), env, ctx);
      const text = await res.text();
      if (res.status !== 200) return new Response(`${path}: ${res.status} ${text}`, { status: 500 });
      bytes += text.length;
    }
  }
  return new Response(String(bytes));
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/__bulk') return bulkLoop(url, env, ctx);
    if (url.pathname !== '/__loop') return splitEdge.fetch(request, env, ctx);
    const target = url.searchParams.get('target') === 'trivial' ? trivial : splitEdge;
    const path = routes[url.searchParams.get('route')];
    const n = Number(url.searchParams.get('n'));
    const headers = { authorization: url.searchParams.get('token') };
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const res = await target.fetch(new Request(`http://localhost${path(i)}`, { headers }), env, ctx);
      const body = await res.text();
      if (res.status !== 200) return new Response(`${path(i)}: ${res.status} ${body}`, { status: 500 });
      bytes += body.length;
    }
    return new Response(String(bytes));
  },
};
