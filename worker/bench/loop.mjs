// The in-isolate benchmark's Worker: the built Worker (./entry.mjs) and a trivial handler side by
// side in one isolate. `GET /__loop?target=worker|trivial&route=<name>&n=<count>&token=<t>` calls
// the target's `fetch` n times in a row (each request built, answered and its body read), so
// that the caller's wall time for n minus its time for n=0 is n requests of the target's own
// work, with no network or proxy in between. Every other request goes to the Worker.
import splitEdge from './entry.mjs';
import { routes } from './snapshot.mjs';

/** The floor: the Request/URL/header/Response work of any handler, and no evaluation. */
const trivial = {
  fetch(request) {
    const url = new URL(request.url);
    const splitName = url.searchParams.get('split-name');
    const treatment = request.headers.get('authorization') && url.searchParams.get('key') ? 'on' : 'control';
    return new Response(JSON.stringify({ splitName, treatment }), { headers: { 'content-type': 'application/json; charset=utf-8' } });
  },
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
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
