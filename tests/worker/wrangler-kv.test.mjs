// The `wrangler kv` route for CI: `examples/kv_bundle.rs` lays a snapshot out as the Worker
// stores it, real `wrangler kv bulk put` / `kv key put` commands (local KV) store it, and the
// Worker started over that KV serves it; a malformed body is refused naming its file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, call, root, envStats } from './helpers.mjs';

const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false' };

function bundle(args) {
  return spawnSync('cargo', ['run', '--quiet', '-p', 'split-edge-worker', '--example', 'kv_bundle', '--', ...args], {
    cwd: root, encoding: 'utf8',
  });
}

function wranglerKv(args, persist) {
  execFileSync(wrangler, ['kv', ...args, '--binding', 'SPLIT_DATA', '--local', '--persist-to', persist], {
    cwd: join(root, 'worker'), env, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test('a bundle stored with wrangler kv is served', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'split-edge-kv-'));
  const out = join(dir, 'bundle');
  const persist = join(dir, 'state');
  try {
    const made = bundle(['--out', out, join(root, 'demo', 'splits.json'), join(root, 'demo', 'segments')]);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /8 flags .* 2 segments/);
    const printed = made.stdout.split('\n').filter((l) => l.trim().startsWith('npx wrangler kv'));
    assert.equal(printed.length, 2, made.stdout);
    assert.match(printed[0], /kv bulk put .*data\.json/);
    assert.match(printed[1], /kv key put env\/default\/manifest --path .*manifest\.json/);

    // Data keys first, the manifest last, as the printed commands do.
    wranglerKv(['bulk', 'put', join(out, 'data.json')], persist);
    wranglerKv(['key', 'put', 'env/default/manifest', '--path', join(out, 'manifest.json')], persist);

    const mf = await start({}, join(persist, 'v3', 'kv'), { kvNamespaces: { SPLIT_DATA: 'split-data-local' } });
    try {
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      const r = await call(mf, '/client/get-treatment?key=alice&split-name=legacy_banner');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('x-split-change-number'), String(manifest.flagsChangeNumber));
      assert.deepEqual(r.json, { splitName: 'legacy_banner', treatment: 'off' });
      const names = await call(mf, '/manager/names');
      assert.equal(names.json.splits.length, 8);
      const stats = await call(mf, '/admin/stats');
      assert.equal(envStats(stats.json, 'default').version, manifest.version);
      assert.equal(envStats(stats.json, 'default').segmentCount, 2);
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kv_bundle refuses a malformed body, naming its file, and writes nothing', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'split-edge-kv-'));
  try {
    const segs = join(dir, 'segments');
    mkdirSync(segs);
    writeFileSync(join(segs, 'bad.json'), '{"name":"beta","added":"not-a-list","till":3}');
    const made = bundle(['--out', join(dir, 'out'), join(root, 'demo', 'splits.json'), segs]);
    assert.equal(made.status, 1);
    assert.match(made.stderr, /bad\.json: .*added.*nothing was written/);
    const usage = bundle([]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /the splitChanges file is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
