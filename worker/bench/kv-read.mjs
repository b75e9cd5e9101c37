// The cold-start benchmark's KV floor: a JS Worker that reads, on its request, what the Worker's
// first get-treatment reads from KV (the manifest, the binary rules and the flag's segment chunk)
// and nothing else, so that a cold isolate's first answer splits into Miniflare's own request
// cost, the wasm instantiation, the KV reads and the rest (decoding and evaluating in wasm).
export default {
  async fetch(request, env) {
    const segment = new URL(request.url).searchParams.get('segment');
    const manifest = JSON.parse(await env.SPLIT_DATA.get('env/default/manifest'));
    const rules = await env.SPLIT_DATA.get(manifest.rulesKey, 'arrayBuffer');
    const chunks = manifest.segments[segment].chunks;
    const keys = await Promise.all(chunks.map((k) => env.SPLIT_DATA.get(k)));
    return Response.json({ rules: rules.byteLength, segment: keys.reduce((n, k) => n + k.length, 0) });
  },
};
