#!/usr/bin/env node
// Conformance through the Worker's HTTP API: pushes each corpus of ../shared/conformance
// (clean, mixed, edge) through the admin endpoints into a Worker running in workerd (Miniflare 4)
// and asks GET /client/get-treatment-with-config for every request, comparing treatment and
// config with expected.jsonl (split-evaluator does not expose labels).
//
// A request the SDK rejects (expected label null) must get split-evaluator's 400; a key that is
// neither a string nor a number cannot be sent in a query string (it arrives as a string) and is
// skipped, counted as such. A key given as a number is sent as JS String(key).
//
// Usage: node tests/worker/conformance.mjs [--check] [CORPUS...]   (--check: exit 1 on any difference)
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { call, pushFolder, root, start } from './helpers.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const corpora = args.filter((a) => !a.startsWith('--'));
const base = resolve(root, '..', 'shared', 'conformance');
const names = corpora.length ? corpora : ['clean', 'mixed', 'edge'];

const lines = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

function query(req) {
  const p = new URLSearchParams();
  if (typeof req.key === 'string' || typeof req.key === 'number') p.set('key', String(req.key));
  if ('bucketingKey' in req && req.bucketingKey !== null && req.bucketingKey !== undefined) p.set('bucketing-key', String(req.bucketingKey));
  if (typeof req.flag === 'string') p.set('split-name', req.flag);
  if ('attributes' in req && req.attributes !== null && req.attributes !== undefined) p.set('attributes', JSON.stringify(req.attributes));
  return p.toString();
}

function expressible(req) {
  const k = req.key;
  const okKey = k === null || k === undefined || typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k));
  const b = req.bucketingKey;
  const okB = !('bucketingKey' in req) || typeof b === 'string' || (typeof b === 'number' && Number.isFinite(b));
  return okKey && okB && (typeof req.flag === 'string' || req.flag === null || req.flag === undefined);
}

let failed = 0;
const started = Date.now();
for (const name of names) {
  const dir = join(base, name);
  const requests = lines(join(dir, 'requests.jsonl'));
  const expected = lines(join(dir, 'expected.jsonl'));
  const mf = await start();
  let pass = 0, skipped = 0;
  const diffs = [];
  try {
    await pushFolder(mf, dir);
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const i = next++;
        const req = requests[i];
        const exp = expected[i];
        if (!expressible(req)) { skipped++; continue; }
        const r = await call(mf, `/client/get-treatment-with-config?${query(req)}`);
        let ok;
        if (exp.label === null && exp.treatment === 'control') {
          ok = r.status === 400;
        } else {
          ok = r.status === 200 && r.json.treatment === exp.treatment && r.json.config === exp.config;
        }
        if (ok) pass++;
        else diffs.push({ id: req.id, request: req, expected: exp, got: { status: r.status, body: r.json ?? r.text } });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    await mf.dispose();
  }
  diffs.sort((a, b) => a.id - b.id);
  failed += diffs.length;
  console.log(`${name}: ${pass} pass, ${diffs.length} differ, ${skipped} skipped (key not expressible in a query) of ${requests.length}`);
  for (const d of diffs.slice(0, 10)) console.log('  ', JSON.stringify(d));
}
console.log(`conformance through HTTP: ${failed} differences in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (check && failed > 0) process.exit(1);
