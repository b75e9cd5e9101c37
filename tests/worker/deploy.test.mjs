// The README's production wrangler.toml deploys: `wrangler deploy --dry-run` bundles the built
// Worker with it (no account needed) and lists the KV binding and the vars it declares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers.mjs';

const MARK = '<!-- production wrangler.toml: tests/worker/deploy.test.mjs dry-runs this block -->';

test("the README's production wrangler.toml passes wrangler deploy --dry-run", { timeout: 120_000 }, () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(MARK);
  assert.ok(at >= 0, 'the README marks its production wrangler.toml');
  const block = /```toml\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, 'a toml block follows the mark');
  const toml = block[1].replace('<your KV namespace id>', '0123456789abcdef0123456789abcdef');
  assert.match(toml, /crons = \[/, 'the cron is configured');
  // Beside worker/wrangler.toml, so that `main = "build/entry.mjs"` resolves the same way.
  const config = join(root, 'worker', `.wrangler.deploy-test-${process.pid}.toml`);
  const outdir = mkdtempSync(join(tmpdir(), 'split-edge-deploy-'));
  writeFileSync(config, toml);
  try {
    const r = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--config', config, '--outdir', outdir], {
      cwd: join(root, 'worker'),
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_API_TOKEN: '' },
    });
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, out);
    assert.match(out, /--dry-run: exiting now/);
    assert.match(out, /env\.SPLIT_DATA \(0123456789abcdef0123456789abcdef\)\s+KV Namespace/);
    assert.match(out, /env\.SPLIT_EDGE_REVALIDATE_SECONDS/);
    assert.match(out, /env\.SPLIT_DELIVERY \(split-edge-delivery\)\s+Queue/, 'the delivery queue is bound');
    assert.doesNotMatch(out, /SPLIT_EVALUATOR_API_KEY/, 'the SDK key is a secret, not a var');
    const upload = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(out);
    assert.ok(upload, out);
    const wasm = statSync(join(root, 'worker', 'build', 'index_bg.wasm')).size;
    console.log(`# wrangler deploy --dry-run: total upload ${upload[1]} KiB, ${upload[2]} KiB gzipped (wasm ${wasm} bytes)`);
    // Cloudflare's limit for a Worker on the Free plan is 3 MB gzipped.
    assert.ok(Number(upload[2]) < 3 * 1024, `${upload[2]} KiB gzipped`);
  } finally {
    rmSync(config, { force: true });
    rmSync(outdir, { recursive: true, force: true });
  }
});
