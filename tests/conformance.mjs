#!/usr/bin/env node
// Conformance runner of the split-edge npm package (Node), through its public API.
//
//   node tests/conformance.mjs SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL
//       prints one JSON line per request, `{"id","treatment","config","label"}`, byte for byte as
//       `cargo run --release --example conformance -- SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL` does.
//   node tests/conformance.mjs --check [CORPUS_DIR...]
//       runs corpora (default: ../shared/conformance/{clean,mixed,edge}) and compares every row with
//       their expected.jsonl; prints mismatches and a summary; exits 1 on any difference.
//
// The package is imported as `split-edge` (node_modules/split-edge -> npm/, its `dist/` build). How
// requests are answered and labels obtained: tests/conformance-core.mjs.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SplitFactory } from 'split-edge';
import { answerAll, checkCorpus, formatRow, parseJsonl, segmentFileNames } from './conformance-core.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_CORPORA = ['clean', 'mixed', 'edge'].map((d) => path.resolve(here, '../../shared/conformance', d));

function read(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
}

/** The splits.json text and every segment file's text, as the native runner reads them. */
export function readSnapshot(splitsPath, segmentsDir) {
  let names;
  try {
    names = readdirSync(segmentsDir);
  } catch (e) {
    throw new Error(`${segmentsDir}: ${e.message}`);
  }
  return { splitChanges: read(splitsPath), segmentChanges: segmentFileNames(names).map((f) => read(path.join(segmentsDir, f))) };
}

/** A corpus directory's files, as text. */
export function readCorpus(dir) {
  const { splitChanges, segmentChanges } = readSnapshot(path.join(dir, 'splits.json'), path.join(dir, 'segments'));
  return {
    splits: splitChanges,
    segments: segmentChanges,
    requests: read(path.join(dir, 'requests.jsonl')),
    expected: read(path.join(dir, 'expected.jsonl')),
  };
}

async function check(dirs) {
  let failed = 0;
  let total = 0;
  for (const dir of dirs) {
    const t0 = performance.now();
    const name = path.basename(path.resolve(dir));
    const { result, report } = await checkCorpus(SplitFactory, name, readCorpus(dir));
    console.log(`${report} (${Math.round(performance.now() - t0)} ms)`);
    failed += result.failed;
    total += result.passed + result.failed;
  }
  console.log(failed ? `conformance check (node): FAILED (${failed} of ${total} rows differ)` : `conformance check (node): all ${total} rows equal`);
  return failed ? 1 : 0;
}

async function main(args) {
  if (args[0] === '--check') {
    return check(args.length > 1 ? args.slice(1) : DEFAULT_CORPORA);
  }
  if (args.length !== 3) {
    console.error('usage: conformance.mjs SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL\n       conformance.mjs --check [CORPUS_DIR...]');
    return 2;
  }
  const [splits, segments, requestsPath] = args;
  const rows = await answerAll(SplitFactory, readSnapshot(splits, segments), parseJsonl(read(requestsPath), requestsPath));
  const out = rows.map((r) => formatRow(r) + '\n').join('');
  await new Promise((resolve, reject) => process.stdout.write(out, (e) => (e ? reject(e) : resolve())));
  return 0;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    console.error(`conformance: ${e && e.message ? e.message : e}`);
    process.exitCode = 2;
  }
}
