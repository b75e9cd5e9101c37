// Issue 16, item 2: the cost of one evaluation is bounded. A flag with 10 conditions, each
// `[MATCHES_STRING s "(a+)+$", IN_SPLIT_TREATMENT <itself> ["never"]]`, evaluated with a
// 10,000-character `s`, answers within 50 ms (the bound), and a request for another
// environment sent meanwhile is not held up behind it. Before the fix that evaluation ran 20,000
// nested evaluations of 10 regex tests each (15 s of CPU with a 2,000-character `s`).
//
// Timed assertions: the issue states the bound. Measured here it is a few ms; the 50 ms holds
// with a wide margin on a loaded 2-core machine (the median of 5 requests is asserted, after a
// warm-up request).
// Run: node worker/scripts/build.mjs && node --test tests/worker/budget.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, call, qs, start } from './helpers.mjs';

const BOUND_MS = 50;
const environments = [
  { API_KEY: 'key-a', AUTH_TOKEN: 'token-a', ID: 'a' },
  { API_KEY: 'key-b', AUTH_TOKEN: 'token-b', ID: 'b' },
];

function matcher(matcherType, attribute, data) {
  return { keySelector: { trafficType: 'user', attribute }, matcherType, negate: false, ...data };
}

/** Issue 16's flag: 10 conditions of a regex on `s`, then a dependency on the flag itself. */
function selfDependent(name) {
  const condition = {
    conditionType: 'ROLLOUT',
    matcherGroup: {
      combiner: 'AND',
      matchers: [
        matcher('MATCHES_STRING', 's', { stringMatcherData: '(a+)+$' }),
        matcher('IN_SPLIT_TREATMENT', null, { dependencyMatcherData: { split: name, treatments: ['never'] } }),
      ],
    },
    partitions: [{ treatment: 'on', size: 100 }],
    label: 'regex and self',
  };
  return {
    name, trafficTypeName: 'user', seed: 1234, trafficAllocation: 100, trafficAllocationSeed: 42,
    status: 'ACTIVE', killed: false, defaultTreatment: 'off', changeNumber: 10, algo: 2,
    conditions: Array.from({ length: 10 }, () => condition),
  };
}

function plain(name) {
  const f = selfDependent(name);
  f.conditions = [{ ...f.conditions[0], matcherGroup: { combiner: 'AND', matchers: [matcher('ALL_KEYS', null, {})] }, label: 'all' }];
  return f;
}

let mf;
before(async () => {
  mf = await start({ SPLIT_EVALUATOR_ENVIRONMENTS: JSON.stringify(environments) });
  const push = (auth, flags) => call(mf, '/admin/split-changes', {
    method: 'POST', auth, admin: ADMIN, body: JSON.stringify({ ff: { d: flags, s: -1, t: 10 }, rbs: { d: [], s: -1, t: 1 } }),
  });
  for (const [auth, flags] of [['token-a', [selfDependent('loop')]], ['token-b', [plain('simple')]]]) {
    const r = await push(auth, flags);
    assert.equal(r.status, 200, r.text);
  }
});
after(async () => mf?.dispose());

const attributes = { s: 'a'.repeat(10_000) };
const heavy = () => call(mf, `/client/get-treatment?${qs({ key: 'k', 'split-name': 'loop' })}`, {
  method: 'POST', auth: 'token-a', body: JSON.stringify({ attributes }),
});
const light = () => call(mf, `/client/get-treatment?${qs({ key: 'k', 'split-name': 'simple' })}`, { auth: 'token-b' });

async function timed(request) {
  const started = performance.now();
  const r = await request();
  return { r, ms: performance.now() - started };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('the self-dependent flag with a 10,000-character attribute answers within 50 ms', async () => {
  const warm = await heavy();
  assert.equal(warm.status, 200, warm.text);
  // The cycle ends at its first repetition: no condition matches, the default answers.
  assert.deepEqual(warm.json, { splitName: 'loop', treatment: 'off' });
  const times = [];
  for (let i = 0; i < 5; i++) {
    const { r, ms } = await timed(heavy);
    assert.deepEqual(r.json, { splitName: 'loop', treatment: 'off' });
    times.push(ms);
  }
  console.log(`# heavy get-treatment: ${times.map((t) => t.toFixed(1)).join(', ')} ms (median ${median(times).toFixed(1)})`);
  assert.ok(median(times) < BOUND_MS, `median ${median(times)} ms`);
});

test('a request for another environment sent meanwhile is not delayed', async () => {
  await light();
  const times = [];
  for (let i = 0; i < 5; i++) {
    const [h, l] = await Promise.all([timed(heavy), timed(light)]);
    assert.equal(h.r.json.treatment, 'off');
    assert.deepEqual(l.r.json, { splitName: 'simple', treatment: 'on' });
    times.push(l.ms);
  }
  console.log(`# other environment meanwhile: ${times.map((t) => t.toFixed(1)).join(', ')} ms (median ${median(times).toFixed(1)})`);
  assert.ok(median(times) < BOUND_MS, `median ${median(times)} ms`);
});
