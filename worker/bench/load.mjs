#!/usr/bin/env node
// Load benchmark of the Worker in workerd (Miniflare): a generated 1,000-flag snapshot pushed into
// KV, then autocannon against get-treatment and get-treatments (10 flags): requests/s and latency
// percentiles; and the first-request latency of a cold isolate reading that snapshot from KV.
// Prints figures; it is a benchmark, not a test.
//   node worker/bench/load.mjs [--seconds 10] [--connections 10]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { start } from '../../tests/worker/helpers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildDir = join(root, 'worker', 'build');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const seconds = opt('--seconds', 10);
const connections = opt('--connections', 10);
const TOKEN = 'bench-token';
const ADMIN = 'bench-admin';

/** 1,000 flags over 50 segments of 2,000 keys: segment, attribute and set matchers, rollouts. */
function snapshot() {
  const segments = Array.from({ length: 50 }, (_, s) => ({
    name: `segment_${s}`, added: Array.from({ length: 2000 }, (_, k) => `user_${s}_${k}`), removed: [], since: -1, till: 100,
  }));
  const flags = Array.from({ length: 1000 }, (_, i) => ({
    name: `flag_${i}`, trafficTypeName: 'user', killed: false, status: 'ACTIVE', changeNumber: 1000 + i,
    defaultTreatment: 'off', seed: i * 7919, trafficAllocation: 100, trafficAllocationSeed: i * 104729, algo: 2,
    sets: [`set_${i % 20}`], configurations: { on: '{"color":"green"}' },
    conditions: [
      { conditionType: 'WHITELIST', label: 'in segment', matcherGroup: { combiner: 'AND', matchers: [
        { keySelector: { trafficType: 'user', attribute: null }, matcherType: 'IN_SEGMENT', negate: false, userDefinedSegmentMatcherData: { segmentName: `segment_${i % 50}` } }] },
        partitions: [{ treatment: 'on', size: 100 }] },
      { conditionType: 'ROLLOUT', label: 'pro plan', matcherGroup: { combiner: 'AND', matchers: [
        { keySelector: { trafficType: 'user', attribute: 'plan' }, matcherType: 'WHITELIST', negate: false, whitelistMatcherData: { whitelist: ['pro', 'enterprise'] } },
        { keySelector: { trafficType: 'user', attribute: 'age' }, matcherType: 'GREATER_THAN_OR_EQUAL_TO', negate: false, unaryNumericMatcherData: { dataType: 'NUMBER', value: 18 } }] },
        partitions: [{ treatment: 'on', size: 50 }, { treatment: 'off', size: 50 }] },
      { conditionType: 'ROLLOUT', label: 'default rule', matcherGroup: { combiner: 'AND', matchers: [
        { keySelector: { trafficType: 'user', attribute: null }, matcherType: 'ALL_KEYS', negate: false }] },
        partitions: [{ treatment: 'on', size: 10 }, { treatment: 'off', size: 90 }] },
    ],
  }));
  return { splitChanges: JSON.stringify({ ff: { d: flags, s: -1, t: 2000 }, rbs: { d: [], s: -1, t: -1 } }), segments };
}

function miniflare(persist) {
  return start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN, SPLIT_EDGE_ADMIN_TOKEN: ADMIN }, persist, { port: 0, host: '127.0.0.1' });
}

async function post(mf, path, body) {
  const res = await mf.dispatchFetch(`http://localhost${path}`, { method: 'POST', headers: { authorization: TOKEN, 'x-admin-token': ADMIN, 'content-type': 'application/json' }, body });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

function load(url, title, path) {
  let n = 0;
  return new Promise((done, fail) => {
    autocannon({
      url: String(url), connections, duration: seconds, headers: { authorization: TOKEN },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path(n++) }) }],
    }, (err, r) => {
      if (err) return fail(err);
      if (r.non2xx > 0 || r.errors > 0) return fail(new Error(`${title}: ${r.non2xx} non-2xx, ${r.errors} errors`));
      console.log(`${title}: ${Math.round(r.requests.average)} requests/s, latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms (${r.requests.total} requests, ${connections} connections, ${seconds} s)`);
      done(r);
    });
  });
}

const wasm = readFileSync(join(buildDir, 'index_bg.wasm'));
console.log(`Worker wasm: ${(wasm.length / 1024).toFixed(1)} KB raw, ${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(1)} KB gzipped (target ≤ 300 KB gzipped)`);
const persist = mkdtempSync(join(tmpdir(), 'split-edge-bench-'));
const data = snapshot();
try {
  const mf = await miniflare(persist);
  const url = await mf.ready;
  const t0 = performance.now();
  await post(mf, '/admin/split-changes', data.splitChanges);
  for (const s of data.segments) await post(mf, '/admin/segment-changes', JSON.stringify(s));
  console.log(`pushed 1,000 flags and 50 segments (100,000 keys) in ${Math.round(performance.now() - t0)} ms`);
  const attrs = encodeURIComponent(JSON.stringify({ plan: 'pro', age: 30 }));
  await load(url, 'get-treatment', (i) => `/client/get-treatment?key=user_${i % 50}_${i % 3000}&split-name=flag_${i % 1000}&attributes=${attrs}`);
  await load(url, 'get-treatments (10 flags)', (i) => {
    const names = Array.from({ length: 10 }, (_, k) => `flag_${(i * 10 + k) % 1000}`).join(',');
    return `/client/get-treatments?key=user_${i % 50}_${i % 3000}&split-names=${names}&attributes=${attrs}`;
  });
  await mf.dispose();

  // A cold isolate: a new workerd process over the same persisted KV; its first request loads the
  // manifest, the flag data and the segment chunks, and compiles the snapshot.
  const cold = [];
  for (let round = 0; round < 3; round++) {
    const mf2 = await miniflare(persist);
    const t = performance.now();
    const res = await mf2.dispatchFetch('http://localhost/client/get-treatment?key=user_1_1&split-name=flag_1', { headers: { authorization: TOKEN } });
    await res.text();
    cold.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`cold request: ${res.status}`);
    const warm = performance.now();
    await (await mf2.dispatchFetch('http://localhost/client/get-treatment?key=user_1_2&split-name=flag_2', { headers: { authorization: TOKEN } })).text();
    if (round === 0) console.log(`second request on that isolate: ${(performance.now() - warm).toFixed(1)} ms`);
    await mf2.dispose();
  }
  console.log(`cold isolate, first request (KV reads + compile of 1,000 flags / 100,000 segment keys): ${cold.map((c) => c.toFixed(0)).join(', ')} ms`);
} finally {
  rmSync(persist, { recursive: true, force: true });
}
