#!/usr/bin/env node
// Differential test: random corpora, answered by the official JS SDK (oracle.mjs) and by our runner.
//
//   node tests/differential/run.mjs [--seeds 1,2,3] [--runner PATH] [--flags F] [--requests R]
//                                   [--out DIR] [--keep]
//
// For each seed: generate a corpus (generate.mjs) into a temporary directory, answer it with the oracle,
// run the runner on it (`RUNNER SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL`, one JSON answer line per request;
// a .mjs/.js runner is run with node), and compare row by row: treatment, config and label must be equal
// (parsed JSON; `threw`/`error` are not compared). Prints up to 20 mismatches with their request and flag
// definition, then `differential: N passed, N failed`. Exits non-zero on any failure or if nothing was
// compared. The corpus of a failing seed is kept (with the oracle's answers as expected.jsonl, the format of
// ../shared/conformance), so the runner can be re-run on it directly; --keep keeps every corpus, --out DIR
// writes them to DIR/seed-N instead of a temporary directory.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { generateCorpus, writeCorpus } from './generate.mjs';
import { evaluateAll, loadSnapshot, readJsonl } from './oracle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const MAX_SHOWN = 20;

function parseArgs(argv) {
  const opt = { seeds: [1, 2, 3], runner: path.join(root, 'target/release/examples/conformance'), keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seeds') opt.seeds = val().split(',').filter(Boolean).map((s) => {
      if (!/^-?\d+$/.test(s.trim())) throw new Error(`bad seed: ${s}`);
      return BigInt(s.trim());
    });
    else if (a === '--runner') opt.runner = path.resolve(val());
    else if (a === '--flags') opt.flags = Number(val());
    else if (a === '--requests') opt.requests = Number(val());
    else if (a === '--out') { opt.out = path.resolve(val()); opt.keep = true; }
    else if (a === '--keep') opt.keep = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  return opt;
}

function runRunner(runner, dir) {
  const args = [path.join(dir, 'splits.json'), path.join(dir, 'segments'), path.join(dir, 'requests.jsonl')];
  const isJs = /\.(mjs|cjs|js)$/.test(runner);
  const t0 = performance.now();
  const res = spawnSync(isJs ? process.execPath : runner, isJs ? [runner, ...args] : args, {
    encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Math.round(performance.now() - t0);
  if (res.error) return { error: res.error.code === 'ENOENT' ? `runner not found: ${runner}` : String(res.error), rows: [], ms };
  const rows = res.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    try { return JSON.parse(l); } catch { return { unparsable: l }; }
  });
  const error = res.status === 0 ? null : `runner exited with ${res.status ?? res.signal}${res.stderr ? `: ${res.stderr.trim().split('\n').slice(-5).join('\n    ')}` : ''}`;
  return { error, rows, ms };
}

const same = (a, b) => a && b && isDeepStrictEqual(
  [a.treatment, a.config, a.label], [b.treatment, b.config, b.label]);

function describeMismatch(seed, i, req, oracle, ours, flagsByName, rbsNames, segmentNames) {
  const name = typeof req.flag === 'string' ? req.flag.trim() : req.flag;
  const flag = flagsByName.get(name);
  const refs = flag ? [...new Set([...JSON.stringify(flag).matchAll(/"(?:split|segmentName|n)":"([^"]*)"/g)].map((m) => m[1]))] : [];
  const lines = [
    `--- seed ${seed}, row ${i}`,
    `request: ${JSON.stringify(req)}`,
    `oracle:  ${JSON.stringify(oracle)}`,
    `ours:    ${ours === undefined ? '(no row)' : JSON.stringify(ours)}`,
    `flag:    ${flag ? JSON.stringify(flag) : '(not in the snapshot)'}`,
  ];
  const kind = (r) => (flagsByName.has(r) ? `flag ${r}` : rbsNames.has(r) ? `rule-based segment ${r}`
    : segmentNames.has(r) ? `segment ${r}` : `${r} (missing)`);
  if (refs.length) lines.push(`refers:  ${refs.map(kind).join(', ')}`);
  return lines.join('\n');
}

async function main() {
  let opt;
  try { opt = parseArgs(process.argv.slice(2)); } catch (e) {
    console.error(`${e.message}\nusage: run.mjs [--seeds 1,2,3] [--runner PATH] [--flags F] [--requests R] [--out DIR] [--keep]`);
    return 2;
  }
  if (!existsSync(opt.runner)) {
    console.error(`runner not found: ${opt.runner}\n(build it with: cargo build --release --example conformance, or pass --runner PATH)`);
    console.log('differential: 0 passed, 0 failed');
    return 1;
  }

  let passed = 0, failed = 0, shown = 0;
  for (const seed of opt.seeds) {
    const t0 = performance.now();
    let dir;
    if (opt.out) { dir = path.join(opt.out, `seed-${seed}`); mkdirSync(dir, { recursive: true }); }
    else dir = mkdtempSync(path.join(os.tmpdir(), `split-edge-differential-${seed}-`));

    const corpus = generateCorpus(seed, { flags: opt.flags, requests: opt.requests });
    writeCorpus(dir, corpus);
    const tGen = performance.now();

    // The oracle reads the files back, as the runner does.
    const requests = readJsonl(path.join(dir, 'requests.jsonl'));
    const expected = await evaluateAll(loadSnapshot(path.join(dir, 'splits.json'), path.join(dir, 'segments')), requests);
    writeFileSync(path.join(dir, 'expected.jsonl'), expected.map((r) => JSON.stringify(r) + '\n').join(''));
    const tOracle = performance.now();

    const ours = runRunner(opt.runner, dir);
    if (ours.error) console.log(`seed ${seed}: ${ours.error}`);
    if (ours.rows.length !== expected.length) console.log(`seed ${seed}: the runner printed ${ours.rows.length} rows for ${expected.length} requests`);

    const flagsByName = new Map(corpus.splits.ff.d.map((f) => [f.name, f]));
    const rbsNames = new Set(corpus.splits.rbs.d.map((r) => r.name));
    const segmentNames = new Set(corpus.segments.map((s) => s.name));
    let p = 0, f = 0;
    const mismatches = [];
    for (let i = 0; i < expected.length; i++) {
      const mine = ours.rows[i];
      if (mine && mine.id === expected[i].id && same(mine, expected[i])) { p++; continue; }
      f++;
      const text = describeMismatch(seed, i, requests[i], expected[i], mine, flagsByName, rbsNames, segmentNames);
      mismatches.push(text);
      if (shown < MAX_SHOWN) { console.log(text); shown++; }
    }
    passed += p;
    failed += f;
    const keep = opt.keep || f > 0 || ours.error;
    if (mismatches.length) writeFileSync(path.join(dir, 'mismatches.txt'), mismatches.join('\n') + '\n');
    console.log(`seed ${seed}: ${expected.length} rows, ${p} passed, ${f} failed ` +
      `(generate ${Math.round(tGen - t0)} ms, oracle ${Math.round(tOracle - tGen)} ms, runner ${ours.ms} ms)` +
      (keep ? ` corpus: ${dir}` : ''));
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  if (failed > shown) console.log(`(${failed - shown} more mismatches not shown; see mismatches.txt in the kept corpora)`);
  console.log(`differential: ${passed} passed, ${failed} failed`);
  return failed > 0 || passed + failed === 0 ? 1 : 0;
}

process.exitCode = await main();
