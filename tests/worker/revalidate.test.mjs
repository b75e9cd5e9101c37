// KV revalidation: a version written to KV by someone else (another isolate, another Worker,
// `wrangler kv`) is served within SPLIT_EDGE_REVALIDATE_SECONDS; before that the isolate keeps
// its compiled snapshot and reads nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, pushFolder, root, sleep, start, envStats } from './helpers.mjs';

let mf;
before(async () => {
  mf = await start({ SPLIT_EDGE_REVALIDATE_SECONDS: '2' });
  await pushFolder(mf, join(root, 'demo'));
});
after(async () => mf?.dispose());

const q = '/client/get-treatment?key=alice&split-name=new_checkout';

test('a direct KV write becomes visible after the interval', async () => {
  const kv = await mf.getKVNamespace('SPLIT_DATA');
  const manifest = JSON.parse(await kv.get('env/default/manifest'));
  const flags = JSON.parse(await kv.get(manifest.flagsKey));
  const first = await call(mf, q);
  assert.equal(first.json.treatment, 'on');

  // Another writer: new immutable data key first, then the manifest.
  flags.ff.d.find((f) => f.name === 'new_checkout').killed = true;
  flags.ff.t += 1;
  const version = `${Date.now().toString(16)}-external`;
  const flagsKey = `env/default/v/${version}/flags`;
  await kv.put(flagsKey, JSON.stringify(flags));
  await kv.put('env/default/manifest', JSON.stringify({ ...manifest, version, flagsKey, flagsChangeNumber: flags.ff.t }));

  const soon = await call(mf, q);
  assert.equal(soon.json.treatment, 'on', 'still the cached snapshot inside the interval');
  await sleep(2100);
  const later = await call(mf, q);
  assert.equal(later.json.treatment, 'off');
  assert.equal(later.headers.get('x-split-change-number'), String(flags.ff.t));
});

test('a broken manifest keeps the last good data serving and is reported', async () => {
  const kv = await mf.getKVNamespace('SPLIT_DATA');
  const good = await kv.get('env/default/manifest');
  const m = JSON.parse(good);
  await kv.put('env/default/manifest', JSON.stringify({ ...m, version: 'broken', flagsKey: 'env/default/v/missing/flags' }));
  await sleep(2100);
  const r = await call(mf, q);
  assert.equal(r.status, 200);
  assert.equal(r.json.treatment, 'off', 'last good snapshot');
  const stats = envStats((await call(mf, '/admin/stats')).json, 'default');
  assert.match(stats.lastError, /env\/default\/v\/missing\/flags/);
  await kv.put('env/default/manifest', good);
});
