// The package's bulk evaluation (`client.evaluateBulk`): keys × flags (names or sets) in one
// call into the engine equals the single calls, on the three corpora; impressions as
// getTreatments records them; bad requests and the limits throw naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitFactory } from 'split-edge';
import { captureListener, corpus, demoData, requestKey, sample } from './helpers.mjs';

const isAttributes = (a) => a === undefined || a === null || (typeof a === 'object' && !Array.isArray(a));

for (const name of ['clean', 'mixed', 'edge']) {
  test(`${name} corpus: evaluateBulk equals getTreatmentsWithConfig per key, by names and by sets`, () => {
    const c = corpus(name);
    const client = SplitFactory({ data: c.data, sync: { impressionsMode: 'DEBUG' } }).client();
    const rows = sample(c.requests.filter((r) => isAttributes(r.attributes) && r.key !== undefined), 1500);
    const flags = [...new Set(sample(c.requests, 200).map((r) => r.flag).filter((f) => typeof f === 'string'))].slice(0, 40);
    const keys = rows.map((r) => ({ key: requestKey(r), attributes: r.attributes ?? null }));
    const out = client.evaluateBulk({ keys, flags, withConfig: true });
    assert.equal(out.length, rows.length);
    let errors = 0;
    for (let i = 0; i < rows.length; i++) {
      const single = client.getTreatmentsWithConfig(requestKey(rows[i]), flags, rows[i].attributes ?? undefined);
      if (out[i].error !== undefined) {
        errors++;
        assert.ok(Object.values(single).every((t) => t.treatment === 'control'), JSON.stringify({ row: rows[i], line: out[i] }));
        continue;
      }
      assert.deepEqual(out[i].treatments, single, JSON.stringify(rows[i]));
    }
    // By flag sets, without config.
    const sets = [];
    const manager = SplitFactory({ data: c.data }).manager();
    for (const v of manager.splits()) for (const s of v.sets) sets.push(s);
    const some = [...new Set(sets)].slice(0, 3);
    if (some.length > 0) {
      const bySets = client.evaluateBulk({ keys: keys.slice(0, 300), flagSets: some });
      for (let i = 0; i < bySets.length; i++) {
        if (bySets[i].error !== undefined) continue;
        const single = client.getTreatmentsByFlagSets(requestKey(rows[i]), some, rows[i].attributes ?? undefined);
        assert.deepEqual(Object.fromEntries(Object.entries(bySets[i].treatments).map(([f, t]) => [f, t.treatment])), single);
      }
    }
    console.log(`# evaluateBulk, ${name}: ${rows.length} keys × ${flags.length} flags equal the single calls (${errors} keys Split rejects); by ${some.length} sets too`);
  });
}

test('impressions as getTreatments records them (and none with impressions: false); the listener sees them', () => {
  const capture = captureListener();
  const factory = SplitFactory({ data: demoData(), sync: { impressionsMode: 'DEBUG' }, impressionListener: capture.listener });
  const client = factory.client();
  const out = client.evaluateBulk({ keys: ['alice', 'bob', { key: 'carol', attributes: { plan: 'pro' } }], flags: ['new_checkout', 'account_dashboard', 'no_such_flag'] });
  assert.deepEqual(out.map((l) => l.key), ['alice', 'bob', 'carol']);
  assert.equal(out[0].treatments.no_such_flag.treatment, 'control');
  assert.equal(out[2].treatments.new_checkout.treatment, client.getTreatment('carol', 'new_checkout', { plan: 'pro' }));
  assert.equal(factory.stats().impressions.queued, 7, '3 keys × 2 existing flags, and the single call');
  assert.equal(capture.impressions().length, 7);
  client.evaluateBulk({ keys: ['dave'], flags: ['new_checkout'], impressions: false });
  assert.equal(factory.stats().impressions.queued, 7);
});

test('bad requests and limits throw, naming the field or the limit', () => {
  const client = SplitFactory({ data: demoData() }).client();
  const throws = (req, re) => assert.throws(() => client.evaluateBulk(req), re);
  throws({ keys: ['a'] }, /exactly one of flags and flagSets/);
  throws({ keys: ['a'], flags: ['f'], flagSets: ['s'] }, /exactly one of flags and flagSets/);
  throws({ keys: [{ key: 'a', attributes: 7 }], flags: ['f'] }, /keys\[0\]\.attributes/);
  throws({ keys: 'a', flags: ['f'] }, /keys/);
  throws({ flags: ['f'] }, /keys/);
  throws('{nope', /JSON/);
  throws(null, /must be an object/);
  throws({ keys: Array.from({ length: 10_001 }, (_, i) => `k${i}`), flags: ['f'] }, /10000 keys/);
  throws({ keys: Array.from({ length: 1000 }, (_, i) => `k${i}`), flags: Array.from({ length: 201 }, (_, i) => `f${i}`) }, /200000 evaluations/);
  // A key Split rejects answers on its own line only.
  const out = client.evaluateBulk({ keys: ['ok', '', { matchingKey: 'm' }], flags: ['new_checkout'] });
  assert.equal(out[0].error, undefined);
  assert.match(out[1].error, /key/);
  assert.match(out[2].error, /bucketing/i);
});
