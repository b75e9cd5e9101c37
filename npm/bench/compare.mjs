#!/usr/bin/env node
// Evaluations per second: split-edge (this package, wasm, Node entry) against Split's official
// JavaScript SDK (@splitsoftware/splitio, the pinned devDependency), on the same requests.
//
//   node npm/bench/compare.mjs [CORPUS_DIR] [--warmup N] [--passes N] [--rounds N]
//
// CORPUS_DIR defaults to ../shared/conformance/clean (beside the repository). Each pass evaluates
// every request of the corpus once with `client.getTreatment(key, flag, attributes)`. Both SDKs get
// the same warm-up passes (default 3) and timed passes (default 10), the timed ones interleaved in
// rounds (default 5, the order alternating) so that neither gets a warmer or quieter machine. A
// second line measures this package's `getTreatments` with 10 flags per call (and the official SDK's,
// for reference). Then the browser build (dist/wasm-browser, what `split-edge/web` loads) against
// the full engine on the same calls, and the size of both .wasm files, raw and gzipped.
//
// Both are checked first against the corpus' expected.jsonl (the first 500 rows' treatments); a
// wrong answer aborts the run with exit code 1. Otherwise it exits 0: it is a benchmark, not a test.
//
// No network I/O: split-edge runs with a `fetch` that answers locally (it only posts, at destroy,
// what it recorded), the official SDK with its fetch replaced by one that fails at once (with
// `sync.enabled: false` it still fetches splitChanges/segmentChanges once at start and posts
// impressions, counts and telemetry on timers and at destroy), and any TCP connection either might
// open is refused and reported. Both are destroyed at the end, and the process exits by itself.

import net from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

// ----- network guard -------------------------------------------------------------------------

const connections = [];
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const opts = args[0];
  const where = typeof opts === 'object' && opts !== null ? `${opts.host ?? opts.path ?? ''}:${opts.port ?? ''}` : String(opts);
  connections.push(where);
  process.nextTick(() => this.destroy(new Error(`compare.mjs: network I/O refused (${where})`)));
  return this;
};

// ----- arguments and corpus --------------------------------------------------------------------

function parseArgs(argv) {
  const o = { dir: path.resolve(here, '../../../shared/conformance/clean'), warmup: 3, passes: 10, rounds: 5, check: 500, batch: 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--warmup') o.warmup = num();
    else if (a === '--passes') o.passes = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.dir = path.resolve(a);
  }
  if (o.passes % o.rounds !== 0) o.rounds = 1;
  return o;
}

function readJsonl(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

function loadCorpus(dir) {
  const splitChanges = JSON.parse(readFileSync(path.join(dir, 'splits.json'), 'utf8'));
  const segDir = path.join(dir, 'segments');
  const segmentChanges = readdirSync(segDir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(readFileSync(path.join(segDir, f), 'utf8')));
  const requests = readJsonl(path.join(dir, 'requests.jsonl')).map((r) => ({
    key: Object.prototype.hasOwnProperty.call(r, 'bucketingKey') ? { matchingKey: r.key, bucketingKey: r.bucketingKey } : r.key,
    flag: r.flag,
    attributes: r.attributes,
  }));
  const expected = readJsonl(path.join(dir, 'expected.jsonl'));
  return { splitChanges, segmentChanges, requests, expected };
}

// As the SDK's own sync (and getRolloutPlan) does, archived entities are not part of a rollout plan.
function activeOnly(change) {
  return change && { ...change, d: (change.d || []).filter((e) => e.status !== 'ARCHIVED') };
}

// ----- the two SDKs ----------------------------------------------------------------------------

/** split-edge's settings: the corpus as data, no sync, posts answered locally (and recorded). */
function benchSettings(corpus, posts) {
  return {
    core: { authorizationKey: 'bench' },
    sync: { enabled: false },
    data: { splitChanges: corpus.splitChanges, segmentChanges: corpus.segmentChanges },
    debug: false,
    fetch: async (url) => {
      posts.push(url);
      return { status: 200, text: async () => '' };
    },
  };
}

async function splitEdge(corpus, posts) {
  const { SplitFactory, version } = await import('split-edge');
  const factory = SplitFactory(benchSettings(corpus, posts));
  await factory.client().ready();
  return { name: `split-edge ${version}`, client: factory.client(), destroy: () => factory.destroy() };
}

/**
 * The same SDK (the package's factory, server-side shape) over the browser build's engine
 * (`dist/wasm-browser`, as `split-edge/web` loads it), for its speed against the full engine.
 */
async function browserBuild(corpus, posts) {
  const dist = path.join(here, '..', 'dist');
  const glue = await import(pathToFileURL(path.join(dist, 'wasm-browser', 'split_edge_wasm.js')).href);
  glue.initSync({ module: readFileSync(path.join(dist, 'wasm-browser', 'split_edge_wasm_bg.wasm')) });
  const { createSdk } = await import(pathToFileURL(path.join(dist, 'esm', 'factory.js')).href);
  const { webHost } = await import(pathToFileURL(path.join(dist, 'esm', 'web-host.js')).href);
  const sdk = createSdk({ Engine: glue.Engine }, webHost);
  const factory = sdk.SplitFactory(benchSettings(corpus, posts));
  await factory.client().ready();
  return { name: 'split-edge browser build', client: factory.client(), destroy: () => factory.destroy() };
}

/** The shipped .wasm files' sizes (`make npm` builds them). */
function wasmSizes() {
  const dist = path.join(here, '..', 'dist');
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  return [['full (Node, Workers, bundlers)', 'wasm-node'], ['browser (split-edge/web, `browser` condition)', 'wasm-browser']].map(([what, dir]) => {
    const bytes = readFileSync(path.join(dist, dir, 'split_edge_wasm_bg.wasm'));
    return `.wasm ${what}: dist/${dir}/split_edge_wasm_bg.wasm ${kb(bytes.length)} raw, ${kb(gzipSync(bytes, { level: 9 }).length)} gzipped`;
  });
}

async function official(corpus, fetches) {
  const { SplitFactory } = require('@splitsoftware/splitio');
  const sdkVersion = require('@splitsoftware/splitio/package.json').version;
  // The SDK's Node fetch (node-fetch); `__setFetch` is the hook the SDK exposes for its tests.
  require('@splitsoftware/splitio/cjs/platform/getFetch/node').__setFetch(async (url) => {
    fetches.push(url);
    throw new Error('compare.mjs: no network');
  });
  const factory = SplitFactory({
    core: { authorizationKey: 'bench' },
    sync: { enabled: false },
    streamingEnabled: false,
    initialRolloutPlan: {
      splitChanges: { ff: activeOnly(corpus.splitChanges.ff), rbs: activeOnly(corpus.splitChanges.rbs) },
      segmentChanges: corpus.segmentChanges,
    },
    debug: false,
  });
  const client = factory.client();
  return { name: `@splitsoftware/splitio ${sdkVersion}`, client, destroy: () => client.destroy() };
}

function checkAnswers(sdk, corpus, rows) {
  let wrong = 0;
  for (let i = 0; i < Math.min(rows, corpus.requests.length); i++) {
    const { key, flag, attributes } = corpus.requests[i];
    const got = sdk.client.getTreatment(key, flag, attributes);
    if (got !== corpus.expected[i].treatment) {
      if (wrong < 5) console.error(`${sdk.name}: row ${i}: ${got}, expected ${corpus.expected[i].treatment}`);
      wrong++;
    }
  }
  if (wrong) throw new Error(`${sdk.name} answers ${wrong} of the first ${rows} requests wrongly: the comparison would be meaningless`);
  return Math.min(rows, corpus.requests.length);
}

// ----- measuring -------------------------------------------------------------------------------

let sink = 0;

function singlePass(client, requests) {
  let n = 0;
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i];
    n += client.getTreatment(r.key, r.flag, r.attributes).length;
  }
  sink += n;
  return requests.length;
}

function batchPass(client, batches) {
  let n = 0;
  let evals = 0;
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i];
    const out = client.getTreatments(b.key, b.flags, b.attributes);
    for (const f of b.flags) n += out[f].length;
    evals += b.flags.length;
  }
  sink += n;
  return evals;
}

function bulkPass(client, request) {
  let n = 0;
  const out = client.evaluateBulk(request);
  for (let i = 0; i < out.length; i++) n += out[i].treatments === undefined ? 0 : 1;
  sink += n;
  return request.keys.length * request.flags.length;
}

/** Runs `warmup` passes of each, then `passes` timed passes of each in `rounds` rounds. */
function measure(contenders, { warmup, passes, rounds }) {
  for (const c of contenders) for (let i = 0; i < warmup; i++) c.pass();
  const perRound = passes / rounds;
  for (const c of contenders) Object.assign(c, { ns: 0, evals: 0, best: Infinity });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      for (let p = 0; p < perRound; p++) {
        const t0 = process.hrtime.bigint();
        const evals = c.pass();
        const ns = Number(process.hrtime.bigint() - t0);
        c.ns += ns;
        c.evals += evals;
        c.best = Math.min(c.best, ns / evals);
      }
    }
  }
  for (const c of contenders) {
    c.nsPerEval = c.ns / c.evals;
    c.rate = 1e9 / c.nsPerEval;
  }
}

const fmtRate = (r) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(0)} k`);

// ----- main --------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const corpus = loadCorpus(opts.dir);
  const posts = [];
  const fetches = [];
  const edge = await splitEdge(corpus, posts);
  const js = await official(corpus, fetches);
  const lite = await browserBuild(corpus, posts);
  let failed = false;
  try {
    const checked = [edge, js].map((s) => checkAnswers(s, corpus, opts.check));
    console.log(`corpus ${opts.dir}: ${corpus.requests.length} requests; answers checked against expected.jsonl (first ${checked[0]} rows): both correct`);
    console.log(`node ${process.version}; ${opts.warmup} warm-up and ${opts.passes} timed passes each, interleaved in ${opts.rounds} rounds`);

    const a = { label: `${edge.name} getTreatment`, pass: () => singlePass(edge.client, corpus.requests) };
    const b = { label: `${js.name} getTreatment`, pass: () => singlePass(js.client, corpus.requests) };
    measure([a, b], opts);
    const line = (c) => `${c.label}: ${fmtRate(c.rate)} evaluations/s, ${c.nsPerEval.toFixed(0)} ns per evaluation (best pass ${c.best.toFixed(0)} ns)`;
    console.log(line(a));
    console.log(line(b));
    console.log(`getTreatment: split-edge is ${(a.rate / b.rate).toFixed(2)}x the official SDK's rate (${(b.nsPerEval / a.nsPerEval).toFixed(2)}x less time per evaluation)`);

    // getTreatments: 10 distinct flags per call (the corpus' requested flags, cycled), with the key
    // and attributes of every 10th request: as many evaluations per pass as the getTreatment pass.
    const names = [...new Set(corpus.requests.map((q) => q.flag))];
    const batches = [];
    for (let i = 0, j = 0; i < corpus.requests.length; i += opts.batch) {
      const r = corpus.requests[i];
      const flags = [];
      for (let k = 0; k < Math.min(opts.batch, names.length); k++) flags.push(names[j++ % names.length]);
      batches.push({ key: r.key, attributes: r.attributes, flags });
    }
    const c = { label: `${edge.name} getTreatments (${opts.batch} flags per call)`, pass: () => batchPass(edge.client, batches) };
    const d = { label: `${js.name} getTreatments (${opts.batch} flags per call)`, pass: () => batchPass(js.client, batches) };
    measure([c, d], opts);
    const bline = (x) => `${line(x)}, ${fmtRate(x.rate / opts.batch)} calls/s`;
    console.log(bline(c));
    console.log(bline(d));
    console.log(`getTreatments: split-edge is ${(c.rate / d.rate).toFixed(2)}x the official SDK's rate`);

    // Bulk: the same keys and attributes × one list of flags, in one evaluateBulk call per pass,
    // against getTreatments per key with that list (split-edge's and the official SDK's).
    const flags = names.slice(0, opts.batch);
    const same = batches.map((b) => ({ ...b, flags }));
    const request = { keys: same.map((b) => ({ key: b.key, attributes: b.attributes ?? null })), flags };
    const e = { label: `${edge.name} evaluateBulk (${request.keys.length} keys × ${flags.length} flags per call)`, pass: () => bulkPass(edge.client, request) };
    const f = { label: `${edge.name} getTreatments (the same, one call per key)`, pass: () => batchPass(edge.client, same) };
    const g = { label: `${js.name} getTreatments (the same, one call per key)`, pass: () => batchPass(js.client, same) };
    measure([e, f, g], opts);
    for (const x of [e, f, g]) console.log(line(x));
    console.log(`evaluateBulk: ${(e.rate / f.rate).toFixed(2)}x split-edge's getTreatments rate, ${(e.rate / g.rate).toFixed(2)}x the official SDK's`);

    // The browser build (smaller, built for size) against the full engine, same calls.
    checkAnswers(lite, corpus, opts.check);
    const h = { label: `${lite.name} getTreatment`, pass: () => singlePass(lite.client, corpus.requests) };
    const k = { label: `${edge.name} getTreatment`, pass: () => singlePass(edge.client, corpus.requests) };
    measure([h, k], opts);
    const m = { label: `${lite.name} getTreatments (${opts.batch} flags per call)`, pass: () => batchPass(lite.client, batches) };
    const n = { label: `${edge.name} getTreatments (${opts.batch} flags per call)`, pass: () => batchPass(edge.client, batches) };
    measure([m, n], opts);
    for (const x of [h, k, m, n]) console.log(line(x));
    console.log(`browser build: ${(h.rate / k.rate).toFixed(2)}x the full engine's getTreatment rate (${(h.rate / b.rate).toFixed(2)}x the official SDK's), `
      + `${(m.rate / n.rate).toFixed(2)}x its getTreatments rate (${(m.rate / d.rate).toFixed(2)}x the official SDK's)`);
  } catch (e) {
    console.error(`compare.mjs: ${e && e.message ? e.message : e}`);
    failed = true;
  } finally {
    await edge.destroy();
    await js.destroy();
    await lite.destroy();
  }
  for (const l of wasmSizes()) console.log(l);
  const hosts = (urls) => [...new Set(urls.map((u) => String(u).replace(/\?.*$/, '')))].join(', ') || 'none';
  console.log(`network: ${connections.length} TCP connections attempted${connections.length ? ` (refused: ${connections.join(', ')})` : ''}; `
    + `official SDK fetches intercepted: ${fetches.length} (${hosts(fetches)}); split-edge posts answered locally: ${posts.length} (${hosts(posts)})`);
  if (!failed && sink === 0) console.log('(no answers were measured?)');
  net.Socket.prototype.connect = originalConnect;
  return failed ? 1 : 0;
}

process.exitCode = await main();
// Anything still holding the event loop would keep the process alive: report it (none expected).
setImmediate(() => {
  const left = process.getActiveResourcesInfo().filter((r) => !['TTYWrap', 'PipeWrap', 'Immediate'].includes(r));
  if (left.length) console.log(`still active after destroy: ${left.join(', ')}`);
});
