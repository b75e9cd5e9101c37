#!/usr/bin/env node
// Runs the Worker locally under `wrangler dev` (workerd), with local KV seeded with the demo
// snapshot through the admin push API, and prints ready-to-paste curl commands.
// Also serves the playground page (www/, the npm package's browser build) on --www-port.
// Ctrl-C stops wrangler and workerd (their whole process group) and the page's server.
// Usage: node worker/scripts/dev.mjs [--port 8787] [--www-port 8788] [--rebuild]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../www/serve.mjs';

const workerDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(workerDir, '..');
const argv = process.argv.slice(2);
const port = Number(argv[argv.indexOf('--port') + 1]) || 8787;
const wwwPort = argv.includes('--www-port') ? Number(argv[argv.indexOf('--www-port') + 1]) : 8788;
const ADMIN = 'dev-admin-token';
const base = `http://127.0.0.1:${port}`;
// The playground page's origins: the only pages that may read /admin/snapshot across origins
// (SPLIT_EDGE_ADMIN_ORIGINS; unset, no page may).
const pageOrigins = [`http://127.0.0.1:${wwwPort}`, `http://localhost:${wwwPort}`].join(',');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

// Build when the output is missing or older than the Rust sources or the entry module.
const wasm = join(workerDir, 'build', 'index_bg.wasm');
const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(workerDir, 'src')), newestMtime(join(workerDir, 'js')));
if (argv.includes('--rebuild') || !existsSync(wasm) || statSync(wasm).mtimeMs < sources) {
  execFileSync(process.execPath, [join(workerDir, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}

const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}`,
};
const wrangler = spawn(join(root, 'node_modules', '.bin', 'wrangler'), [
  'dev', 'build/entry.mjs', '--config', 'wrangler.toml', '--ip', '127.0.0.1', '--port', String(port),
  '--var', `SPLIT_EDGE_ADMIN_TOKEN:${ADMIN}`, '--var', `SPLIT_EDGE_ADMIN_ORIGINS:${pageOrigins}`, '--show-interactive-dev-session=false', '--test-scheduled',
], { cwd: workerDir, env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  try { process.kill(-wrangler.pid, 'SIGTERM'); } catch { /* already gone */ }
  setTimeout(() => { try { process.kill(-wrangler.pid, 'SIGKILL'); } catch { /* gone */ } process.exit(code); }, 1500).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
wrangler.on('exit', (code) => { if (!stopping) { console.error(`wrangler exited (${code})`); process.exit(code ?? 1); } });

async function waitReady() {
  for (let i = 0; i < 120; i++) {
    try {
      const r = await fetch(`${base}/admin/ping`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the Worker did not answer on ${base} within 60 s`);
}

async function push(path, body) {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'x-admin-token': ADMIN, 'content-type': 'application/json' }, body });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
}

try {
  await waitReady();
  const demo = join(root, 'demo');
  await push('/admin/split-changes', readFileSync(join(demo, 'splits.json'), 'utf8'));
  for (const f of readdirSync(join(demo, 'segments')).sort()) {
    await push('/admin/segment-changes', readFileSync(join(demo, 'segments', f), 'utf8'));
  }
  let page = '';
  if (existsSync(join(root, 'npm', 'dist', 'web.mjs'))) {
    const www = await startStaticServer({ root, port: wwwPort });
    page = `
The playground page (www/): ${www.url}www/
  evaluate keys, see why, draw distributions in the browser; under "Fetch from a running
  split-edge Worker", URL ${base} (no token needed here) loads the data this Worker serves
  (its origin is listed in SPLIT_EDGE_ADMIN_ORIGINS=${pageOrigins}: other pages may not read it).`;
  } else {
    page = '\n(The playground page needs the npm package: make npm.)';
  }
  console.log(`
split-edge Worker running on ${base} with the demo snapshot in local KV (worker/.wrangler/state).
Try:
  curl '${base}/client/get-treatment?key=alice&split-name=new_checkout'
  curl '${base}/client/get-treatment-with-config?key=bob&split-name=payment_provider&attributes=%7B%22plan%22%3A%22enterprise%22%7D'
  curl '${base}/client/get-treatments?key=alice&split-names=new_checkout,dark_mode'
  curl '${base}/client/get-treatments-with-config-by-sets?key=alice&flag-sets=checkout'
  curl '${base}/client/get-all-treatments?keys=%5B%7B%22matchingKey%22%3A%22alice%22%2C%22trafficType%22%3A%22user%22%7D%5D'
  curl -X POST '${base}/client/get-treatment?key=alice&split-name=new_checkout' -H 'content-type: application/json' -d '{"attributes":{"plan":"pro"}}'
  curl '${base}/client/track?key=alice&traffic-type=user&event-type=checkout&value=10'
  curl '${base}/manager/splits'
  curl '${base}/admin/stats'
  curl -X POST '${base}/admin/split-changes' -H 'x-admin-token: ${ADMIN}' -H 'content-type: application/json' --data-binary @demo/splits.json
  curl '${base}/__scheduled?cron=*/5+*+*+*+*'
  curl '${base}/admin/snapshot'
  open '${base}/api-docs' in a browser: the OpenAPI document of the whole API${page}
Ctrl-C stops it.`);
} catch (e) {
  console.error(String(e));
  stop(1);
}
