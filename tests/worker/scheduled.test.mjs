// The cron handler: revalidates every environment and deletes data keys superseded for longer
// than SPLIT_EDGE_GC_GRACE_SECONDS (0 here), keeping everything the manifest names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, pushFolder, root, start } from './helpers.mjs';

let mf;
before(async () => { mf = await start({ SPLIT_EDGE_GC_GRACE_SECONDS: '0' }); });
after(async () => mf?.dispose());

test('superseded keys are deleted, live ones kept', async () => {
  await pushFolder(mf, join(root, 'demo'));
  await pushFolder(mf, join(root, 'demo'));
  const kv = await mf.getKVNamespace('SPLIT_DATA');
  const before = (await kv.list({ prefix: 'env/default/v/' })).keys.map((k) => k.name);
  const manifest = JSON.parse(await kv.get('env/default/manifest'));
  assert.ok(manifest.rulesKey, 'the manifest names the binary rules');
  const live = [manifest.flagsKey, manifest.rulesKey, ...Object.values(manifest.segments).flatMap((s) => s.chunks)].sort();
  assert.ok(before.length > live.length, 'the first push left superseded keys');
  const worker = await mf.getWorker();
  await worker.scheduled({ cron: '*/30 * * * *' });
  const after = (await kv.list({ prefix: 'env/default/v/' })).keys.map((k) => k.name).sort();
  assert.deepEqual(after, live);
  const r = await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
  assert.equal(r.json.treatment, 'on');
});
