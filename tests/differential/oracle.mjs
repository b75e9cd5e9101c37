#!/usr/bin/env node
// Oracle of the differential test: the answers of Split's official JavaScript SDK.
//
//   node tests/differential/oracle.mjs SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL
//       prints one JSON line per request: {"id","treatment","config","label"} (+ "error","threw" where
//       the SDK throws), in the format of the conformance corpora's expected.jsonl.
//   node tests/differential/oracle.mjs --check [CORPUS_DIR...]
//       runs the oracle on corpora (default: ../shared/conformance/{clean,mixed,edge}) and compares every
//       row with their expected.jsonl; exits non-zero on any difference.
//
// How the SDK is driven: the server-side SDK factory of @splitsoftware/splitio-commons 2.12.1 (the code
// @splitsoftware/splitio 11.11.2 runs) is assembled with its in-memory storage, client, manager and
// impressions tracker, but without a sync manager (no network). The snapshot is handed over as the SDK's
// `initialRolloutPlan`, so the SDK is "ready from cache" but never "ready". Archived flags and rule-based
// segments are dropped before, as the SDK's sync does. Each request goes through the public
// `client.getTreatmentWithConfig(key, flag, attributes, options)`, so the SDK's input validation applies;
// the label is read from the impression the SDK hands to the configured impression listener. Each call
// carries the evaluation option `properties: {__oracle_request: i}`, which the SDK copies into the
// impression and does not use for evaluating: it ties every impression to its request, so all requests
// are evaluated in one synchronous pass and the (asynchronously delivered) impressions are collected after.

import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const require = createRequire(import.meta.url);
const commons = (p) => require(`@splitsoftware/splitio-commons/cjs/${p}`);

const { sdkFactory } = commons('sdkFactory');
const { InMemoryStorageFactory } = commons('storages/inMemory/InMemoryStorage');
const { sdkManagerFactory } = commons('sdkManager');
const { sdkClientMethodFactory } = commons('sdkClient/sdkClientMethod');
const { impressionObserverSSFactory } = commons('trackers/impressionObserver/impressionObserverSS');
const { settingsValidation } = commons('utils/settingsValidation');
const { validateLogger } = commons('utils/settingsValidation/logger/builtinLogger');

const TAG = '__oracle_request';

/** Reads a snapshot: splits.json ({ff:{d,s,t}, rbs:{d,s,t}}) and segments/*.json (SegmentChange each). */
export function loadSnapshot(splitsPath, segmentsDir) {
  const splitChanges = JSON.parse(readFileSync(splitsPath, 'utf8'));
  const segmentChanges = [];
  if (segmentsDir && existsSync(segmentsDir)) {
    for (const file of readdirSync(segmentsDir).filter((f) => f.endsWith('.json')).sort()) {
      const seg = JSON.parse(readFileSync(path.join(segmentsDir, file), 'utf8'));
      segmentChanges.push({
        name: typeof seg.name === 'string' ? seg.name : file.slice(0, -5),
        added: seg.added || [],
        removed: seg.removed || [],
        since: seg.since ?? -1,
        till: seg.till ?? -1,
      });
    }
  }
  return { splitChanges, segmentChanges };
}

export function readJsonl(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

// As the SDK's sync (computeMutation in splitChangesUpdater): only non-ARCHIVED entities are stored.
function activeOnly(change) {
  if (!change || typeof change !== 'object') return change;
  return { ...change, d: (change.d || []).filter((e) => e.status !== 'ARCHIVED') };
}

function createSdk({ splitChanges, segmentChanges }, onImpression) {
  const settings = settingsValidation({
    core: { authorizationKey: 'differential-oracle' },
    debug: false,
    streamingEnabled: false,
    impressionListener: { logImpression: onImpression },
    initialRolloutPlan: {
      splitChanges: { ff: activeOnly(splitChanges.ff), rbs: activeOnly(splitChanges.rbs) },
      segmentChanges,
    },
  }, {
    defaults: {
      version: 'nodejs-11.11.2',
      core: { IPAddressesEnabled: false },
      // readyTimeout 0: no timer; the SDK stays "ready from cache" (there is no sync to make it "ready").
      startup: { requestTimeoutBeforeReady: 0, retriesOnFailureBeforeReady: 0, readyTimeout: 0, eventsFirstPushWindow: 0 },
    },
    runtime: () => ({ ip: false, hostname: false }),
    storage: () => ({ type: 'MEMORY' }),
    logger: validateLogger,
  });

  return sdkFactory({
    settings,
    platform: { EventEmitter, now: () => performance.now() },
    storageFactory: InMemoryStorageFactory,
    sdkManagerFactory,
    sdkClientMethodFactory,
    impressionsObserverFactory: impressionObserverSSFactory,
  });
}

/** Evaluates every request with the SDK; resolves to the rows, in request order. */
export async function evaluateAll(snapshot, requests) {
  const labels = new Map(); // request index -> impression label
  const sdk = createSdk(snapshot, (data) => {
    const props = data.impression.properties;
    if (props === undefined) throw new Error('impression without the oracle tag');
    labels.set(JSON.parse(props)[TAG], data.impression.label);
  });
  const client = sdk.client();
  if (!sdk.settings.initialRolloutPlan) throw new Error('the SDK rejected the snapshot as a rollout plan');

  const rows = requests.map((req, i) => {
    const key = Object.prototype.hasOwnProperty.call(req, 'bucketingKey')
      ? { matchingKey: req.key, bucketingKey: req.bucketingKey }
      : req.key;
    try {
      const r = client.getTreatmentWithConfig(key, req.flag, req.attributes, { properties: { [TAG]: i } });
      return { id: req.id, treatment: r.treatment, config: r.config, label: null };
    } catch (e) {
      return {
        id: req.id, treatment: 'control', config: null, label: 'exception',
        error: e && e.message !== undefined ? String(e.message) : String(e), threw: true,
      };
    }
  });

  // The impressions tracker hands impressions to the listener from 0 ms timers, which fire in creation
  // order: one more timer created now fires after all of them.
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (const [i, label] of labels) {
    if (!rows[i].threw) rows[i].label = label;
  }
  await sdk.destroy();
  return rows;
}

export async function runOracle(splitsPath, segmentsDir, requestsPath) {
  return evaluateAll(loadSnapshot(splitsPath, segmentsDir), readJsonl(requestsPath));
}

async function check(dirs) {
  let failed = 0;
  for (const dir of dirs) {
    const t0 = performance.now();
    const rows = await runOracle(path.join(dir, 'splits.json'), path.join(dir, 'segments'), path.join(dir, 'requests.jsonl'));
    const expected = readJsonl(path.join(dir, 'expected.jsonl'));
    let diffs = 0;
    if (rows.length !== expected.length) {
      console.log(`${dir}: ${rows.length} rows, expected.jsonl has ${expected.length}`);
      diffs++;
    }
    for (let i = 0; i < Math.min(rows.length, expected.length); i++) {
      if (!isDeepStrictEqual(rows[i], expected[i])) {
        if (diffs < 10) console.log(`${dir} row ${i}:\n  oracle   ${JSON.stringify(rows[i])}\n  expected ${JSON.stringify(expected[i])}`);
        diffs++;
      }
    }
    console.log(`${dir}: ${rows.length} rows, ${diffs} differences (${Math.round(performance.now() - t0)} ms)`);
    failed += diffs;
  }
  console.log(failed ? `oracle check: FAILED (${failed} differences)` : 'oracle check: all rows equal');
  return failed ? 1 : 0;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  if (args[0] === '--check') {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const shared = path.resolve(here, '../../../shared/conformance');
    const dirs = args.length > 1 ? args.slice(1) : ['clean', 'mixed', 'edge'].map((d) => path.join(shared, d));
    process.exitCode = await check(dirs);
  } else if (args.length === 3) {
    const rows = await runOracle(args[0], args[1], args[2]);
    process.stdout.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
  } else {
    console.error('usage: oracle.mjs SPLITS_JSON SEGMENTS_DIR REQUESTS_JSONL\n       oracle.mjs --check [CORPUS_DIR...]');
    process.exitCode = 2;
  }
}
