// The push benchmark's KV floor: a JS Worker that takes the `POST /admin/snapshot` body and
// stores what a push of it stores (the flag JSON, a value of the binary rules' size, one value
// per segment, the manifest), one write after another as the Worker does, and nothing else: the
// Worker's push time minus this one's is its own work (parsing, validating, compiling, encoding).
export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return new Response('ready');
    const { splitChanges, segmentChanges } = await request.json();
    const rulesBytes = Number(new URL(request.url).searchParams.get('rules'));
    const kv = env.SPLIT_DATA;
    await kv.put('bench/flags', JSON.stringify(splitChanges));
    await kv.put('bench/rules', new Uint8Array(rulesBytes));
    for (const s of segmentChanges) await kv.put(`bench/seg/${s.name}`, JSON.stringify(s.added));
    await kv.put('bench/manifest', JSON.stringify({ segments: segmentChanges.map((s) => s.name) }));
    return new Response('stored');
  },
};
