// Local KV for plain `workerd serve` (the HTTP benchmark). workerd hands a KV binding's reads to a
// service: a get as `GET https://fake-host/<encodeURIComponent(key)>?urlencoded=true`, a bulk get
// as `POST https://fake-host/bulk/get` with `{"keys": [...], "type": "text"}`, answered with a JSON
// object of key → value (null when missing). This service answers both from a workerd disk
// directory (one file per key, the key's `/` as directories) filled from the KV namespace
// Miniflare persisted. Reads only: the benchmark writes nothing.
async function read(env, key) {
  const file = await env.DISK.fetch(`http://disk/${key.split('/').map(encodeURIComponent).join('/')}`);
  return file.status === 200 ? file : null;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === 'GET') {
      const file = await read(env, decodeURIComponent(url.pathname.slice(1)));
      return file ? new Response(file.body) : new Response(null, { status: 404 });
    }
    const body = await request.text();
    if (request.method === 'POST' && url.pathname === '/bulk/get') {
      const { keys } = JSON.parse(body);
      const values = await Promise.all(keys.map(async (k) => { const f = await read(env, k); return f ? new TextDecoder().decode(await f.arrayBuffer()) : null; }));
      return Response.json(Object.fromEntries(keys.map((k, i) => [k, values[i]])));
    }
    return new Response('read-only benchmark KV', { status: 501 });
  },
};
