// Shared helpers of the Worker tests: start the built Worker in Miniflare 4 (workerd), push data.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const buildDir = join(root, 'worker', 'build');
export const ADMIN = 'admin-secret';

/** The Miniflare options of one built Worker with these vars (strings), plus `options`. */
export function workerOptions(bindings = {}, options = {}) {
  if (!existsSync(join(buildDir, 'entry.mjs'))) {
    throw new Error('worker/build is missing: run `node worker/scripts/build.mjs` first');
  }
  return {
    scriptPath: join(buildDir, 'entry.mjs'),
    modules: true,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2026-04-01',
    kvNamespaces: ['SPLIT_DATA'],
    bindings: { SPLIT_EDGE_ADMIN_TOKEN: ADMIN, ...bindings },
    ...options,
  };
}

/** Starts the Worker with these vars (strings); `options` adds Miniflare options (e.g. `port`). */
export async function start(bindings = {}, kvPersist = false, options = {}) {
  const mf = new Miniflare({ ...workerOptions(bindings), kvPersist, cf: false, ...options });
  await mf.ready;
  return mf;
}

/** GET/POST against the Worker; returns {status, headers, text, json}. */
export async function call(mf, path, { method = 'GET', auth, admin, body, contentType } = {}) {
  const headers = {};
  if (auth !== undefined) headers.authorization = auth;
  if (admin !== undefined) headers['x-admin-token'] = admin;
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  const res = await mf.dispatchFetch(`http://localhost${path}`, { method, headers, body });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** The query string of an object (values as given). */
export function qs(params) {
  return new URLSearchParams(params).toString();
}

/** Pushes a snapshot folder (splits.json + segments/*.json) through the admin endpoints. */
export async function pushFolder(mf, dir, auth) {
  const r = await call(mf, '/admin/split-changes', { method: 'POST', auth, admin: ADMIN, body: readFileSync(join(dir, 'splits.json'), 'utf8') });
  if (r.status !== 200) throw new Error(`split push: ${r.status} ${r.text}`);
  const segDir = join(dir, 'segments');
  for (const f of existsSync(segDir) ? readdirSync(segDir).sort() : []) {
    const s = await call(mf, '/admin/segment-changes', { method: 'POST', auth, admin: ADMIN, body: readFileSync(join(segDir, f), 'utf8') });
    if (s.status !== 200) throw new Error(`segment push ${f}: ${s.status} ${s.text}`);
  }
  return r;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The `/admin/stats` entry of environment `id` (entries are keyed by obfuscated token, as split-evaluator's). */
export function envStats(stats, id) {
  const entry = Object.values(stats.environments).find((e) => e.id === id);
  if (!entry) throw new Error(`no environment ${id} in /admin/stats: ${JSON.stringify(Object.keys(stats.environments))}`);
  return entry;
}

/** Calls `check` every `everyMs` until it returns something truthy (returned), or throws after `ms`. */
export async function until(what, check, ms = 10_000, everyMs = 25) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
