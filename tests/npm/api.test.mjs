// The client, manager and factory API of the `split-edge` npm package (Node entry), checked against
// the spec (../shared/spec/split-semantics.md §2.11, §5, §6.8) and the official JS SDK's answers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SplitFactory, version } from 'split-edge';
import splitEdgeDefault from 'split-edge';
import {
  DEMO_DIR,
  captureListener,
  captureLogger,
  corpus,
  demoData,
  demoSplits,
  jsTrim,
  offlineFactory,
  requestKey,
  sample,
} from './helpers.mjs';
import { evaluateAll, loadSnapshot } from '../differential/oracle.mjs';

const require = createRequire(import.meta.url);

/** A turn of the event loop, for listeners that may be called asynchronously. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

const DEMO_FLAGS = demoSplits().ff.d.filter((f) => f.status !== 'ARCHIVED');
const DEMO_NAMES = DEMO_FLAGS.map((f) => f.name);
const ALICE_ON_CONFIG = '{"layout":"one-page","button":"green"}';

// ------------------------------------------------------------------------------------------------
describe('module', () => {
  test('CommonJS require and ESM import give the same SplitFactory', () => {
    const cjs = require('split-edge');
    assert.equal(typeof SplitFactory, 'function');
    assert.equal(cjs.SplitFactory, SplitFactory, 'one instance for both module systems');
    assert.equal(cjs.version, version);
    assert.equal(splitEdgeDefault.SplitFactory, SplitFactory);
    assert.equal(version, require('split-edge/package.json').version);
  });

  test('a CJS-created and an ESM-created instance answer alike', () => {
    const cjs = require('split-edge');
    const a = cjs.SplitFactory({ core: { authorizationKey: 'localhost' }, data: demoData() });
    const b = SplitFactory({ core: { authorizationKey: 'localhost' }, data: demoData() });
    for (const key of ['alice', 'user_1', 'user_2', 'carol']) {
      assert.deepEqual(a.client().getTreatments(key, DEMO_NAMES), b.client().getTreatments(key, DEMO_NAMES));
    }
    assert.equal(a.version, `javascript-split-edge-${version}`);
  });

  test('factory shape: client() is one object, manager(), data updates, delivery', () => {
    const f = offlineFactory();
    assert.equal(f.client(), f.client());
    for (const m of ['client', 'manager', 'updateSplitChanges', 'updateSegmentChanges', 'updateLargeSegmentChanges', 'sync', 'flush', 'stats', 'destroy']) {
      assert.equal(typeof f[m], 'function', m);
    }
    const c = f.client();
    for (const m of [
      'getTreatment', 'getTreatmentWithConfig', 'getTreatments', 'getTreatmentsWithConfig', 'getTreatmentsByFlagSet',
      'getTreatmentsByFlagSets', 'getTreatmentsWithConfigByFlagSet', 'getTreatmentsWithConfigByFlagSets', 'track',
      'explain', 'ready', 'flush', 'destroy',
    ]) {
      assert.equal(typeof c[m], 'function', m);
    }
    const stats = f.stats();
    for (const kind of ['impressions', 'impressionCounts', 'uniqueKeys', 'events', 'listener']) {
      assert.equal(typeof stats[kind].queued, 'number', kind);
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('client methods over the demo snapshot', () => {
  test('getTreatment / getTreatmentWithConfig: targeting facts of the demo', () => {
    const c = offlineFactory().client();
    // beta_testers segment (alice, bob, user_7) → new_checkout on, with its config.
    assert.equal(c.getTreatment('alice', 'new_checkout'), 'on');
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'new_checkout'), { treatment: 'on', config: ALICE_ON_CONFIG });
    // segments match on the matching key whatever the bucketing key.
    assert.deepEqual(c.getTreatmentWithConfig({ matchingKey: 'bob', bucketingKey: 'zz-top' }, 'new_checkout'), { treatment: 'on', config: ALICE_ON_CONFIG });
    // killed flag → default treatment.
    assert.equal(c.getTreatment('alice', 'legacy_banner'), 'off');
    assert.equal(c.explain('alice', 'legacy_banner').label, 'killed');
    // WHITELIST on an attribute AND a semver matcher.
    assert.equal(c.getTreatment('user_1', 'dark_mode', { plan: 'pro', app_version: '2.1.0' }), 'on');
    assert.equal(c.explain('user_1', 'dark_mode', { plan: 'pro', app_version: '2.1.0' }).label, 'paid plans on app 2.0+');
    assert.equal(c.explain('user_1', 'dark_mode', { plan: 'pro', app_version: '1.9.9' }).label, 'default rule');
    // EQUAL_TO 0 → stripe with its config.
    assert.deepEqual(c.getTreatmentWithConfig('user_1', 'payment_provider', { age: 0 }), { treatment: 'stripe', config: '{"fee":2.9}' });
    // CONTAINS_ANY_OF_SET.
    assert.equal(c.getTreatment('acct_1', 'account_dashboard', { features: ['billing', 'reports'] }), 'v2');
    assert.equal(c.getTreatment('acct_1', 'account_dashboard', { features: ['billing'] }), 'v1');
    // MATCHES_STRING.
    assert.equal(c.getTreatment('user_1', 'search_ranking', { email: 'ann@harness.io' }), 'ml_v2');
    // Rule-based segment with excluded keys and an excluded segment.
    assert.equal(c.getTreatment('user_1', 'premium_support', { purchases: 5000 }), 'on');
    assert.equal(c.getTreatment('user_1', 'premium_support', { email: 'x@bigcorp.com' }), 'on');
    assert.equal(c.getTreatment('fraud_1', 'premium_support', { purchases: 5000 }), 'off');
    assert.equal(c.getTreatment('carol', 'premium_support', { purchases: 5000 }), 'off', 'internal_staff is excluded');
    // Prerequisite: checkout_upsell needs new_checkout on.
    const offKey = ['user_1', 'user_2', 'user_3', 'user_4', 'user_5', 'user_6', 'user_8'].find((k) => c.getTreatment(k, 'new_checkout') === 'off');
    assert.ok(offKey, 'some key gets new_checkout off');
    assert.equal(c.getTreatment(offKey, 'checkout_upsell'), 'off');
    assert.equal(c.explain(offKey, 'checkout_upsell').label, 'prerequisites not met');
    // Unknown flag.
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'no_such_flag'), { treatment: 'control', config: null });
  });

  test('every method agrees with the others, for string and object keys, with attributes', () => {
    const c = offlineFactory().client();
    const attributeSets = [undefined, { plan: 'pro', app_version: '2.3.0' }, { age: 0, features: ['reports'], email: 'a@split.io', purchases: 2000 }];
    const keys = [];
    for (let i = 0; i < 15; i++) keys.push(`user_${i}`);
    for (let i = 0; i < 10; i++) keys.push({ matchingKey: `user_${i}`, bucketingKey: `bucket_${i * 7}` });
    keys.push('alice', { matchingKey: 'alice', bucketingKey: 'other' });
    const withNames = [...DEMO_NAMES, 'no_such_flag'];
    for (const key of keys) {
      for (const attrs of attributeSets) {
        const many = c.getTreatments(key, withNames, attrs);
        const manyWithConfig = c.getTreatmentsWithConfig(key, withNames, attrs);
        assert.deepEqual(Object.keys(many), withNames);
        assert.deepEqual(Object.keys(manyWithConfig), withNames);
        for (const flag of withNames) {
          const t = c.getTreatment(key, flag, attrs);
          const tc = c.getTreatmentWithConfig(key, flag, attrs);
          assert.equal(tc.treatment, t, `${JSON.stringify(key)} ${flag}`);
          assert.equal(many[flag], t);
          assert.deepEqual(manyWithConfig[flag], tc);
          const def = DEMO_FLAGS.find((f) => f.name === flag);
          const expectedConfig = def && def.configurations && def.configurations[t] ? def.configurations[t] : null;
          assert.equal(tc.config, expectedConfig, `config of ${flag}/${t}`);
          if (def) assert.equal(c.explain(key, flag, attrs).treatment, t);
        }
        // By flag set: the flags of the set, with the same answers.
        for (const set of ['checkout', 'frontend', 'backend']) {
          const inSet = DEMO_FLAGS.filter((f) => (f.sets || []).includes(set)).map((f) => f.name);
          const bySet = c.getTreatmentsByFlagSet(key, set, attrs);
          const bySetWithConfig = c.getTreatmentsWithConfigByFlagSet(key, set, attrs);
          assert.deepEqual(Object.keys(bySet), inSet, set);
          for (const flag of inSet) {
            assert.equal(bySet[flag], many[flag]);
            assert.deepEqual(bySetWithConfig[flag], manyWithConfig[flag]);
          }
        }
      }
    }
  });

  test('by flag sets: union in request-set order, sets lowercased, duplicates and unknown sets ignored', () => {
    const c = offlineFactory().client();
    const setOf = (s) => DEMO_FLAGS.filter((f) => (f.sets || []).includes(s)).map((f) => f.name);
    const union = [...new Set([...setOf('backend'), ...setOf('checkout')])];
    const got = c.getTreatmentsByFlagSets('user_3', ['backend', 'CHECKOUT', 'backend', 'no_such_set']);
    assert.deepEqual(Object.keys(got), union);
    const withConfig = c.getTreatmentsWithConfigByFlagSets('user_3', ['backend', 'checkout']);
    assert.deepEqual(Object.keys(withConfig), union);
    for (const flag of union) assert.deepEqual(withConfig[flag], c.getTreatmentWithConfig('user_3', flag));
    assert.deepEqual(c.getTreatmentsByFlagSets('user_3', ['no_such_set']), {});
    assert.deepEqual(c.getTreatmentsWithConfigByFlagSet('user_3', 'no_such_set'), {});
  });

  test('the bucketing key decides rollouts; the matching key decides targeting', () => {
    const c = offlineFactory().client();
    for (let i = 0; i < 30; i++) {
      const b = `bk_${i}`;
      assert.equal(c.getTreatment({ matchingKey: `m_${i}`, bucketingKey: b }, 'dark_mode'), c.getTreatment(b, 'dark_mode'));
      assert.equal(c.explain({ matchingKey: `m_${i}`, bucketingKey: b }, 'payment_provider').partitionBucket, c.explain(b, 'payment_provider').partitionBucket);
    }
  });

  test('numbers as keys are converted as JS does (12 → "12", 1.5 → "1.5")', () => {
    const c = offlineFactory().client();
    for (const n of [12, 1.5, 1000, 1e21]) {
      assert.deepEqual(c.getTreatments(n, DEMO_NAMES), c.getTreatments(String(n), DEMO_NAMES), String(n));
    }
    assert.deepEqual(c.getTreatments({ matchingKey: 5, bucketingKey: 7 }, DEMO_NAMES), c.getTreatments({ matchingKey: '5', bucketingKey: '7' }, DEMO_NAMES));
  });

  test('keys and flag names are trimmed', () => {
    const c = offlineFactory().client();
    assert.equal(c.getTreatment('  alice\t', 'new_checkout'), 'on');
    assert.equal(c.getTreatment('alice', '  new_checkout \u00a0'), 'on');
    assert.deepEqual(c.getTreatments('alice', [' new_checkout', 'new_checkout ']), { new_checkout: 'on' });
  });

  test('-0 as a key is "-0", as the JS SDK converts it', async () => {
    const c = offlineFactory().client();
    const flag = 'checkout_upsell';
    const [js] = await evaluateAll(loadSnapshot(path.join(DEMO_DIR, 'splits.json'), path.join(DEMO_DIR, 'segments')), [{ id: 0, key: -0, flag }]);
    assert.equal(c.getTreatment('-0', flag), js.treatment, 'sanity: the string "-0"');
    assert.notEqual(c.getTreatment('0', flag), js.treatment, 'sanity: "0" and "-0" differ for this flag');
    assert.equal(c.getTreatment(-0, flag), js.treatment);
    const l = captureListener();
    const f = offlineFactory({ impressionListener: l.listener });
    f.client().getTreatment(-0, flag);
    await tick();
    assert.equal(l.impressions()[0]?.keyName, '-0');
  });

  test('answers equal the official JS SDK on the demo snapshot (oracle)', async () => {
    const attributeSets = [
      undefined,
      { plan: 'pro', app_version: '2.0.0' },
      { plan: 'enterprise', app_version: '2.0.0-rc.1' },
      { age: 0 },
      { age: '0' },
      { features: ['reports'] },
      { features: 'reports' },
      { email: 'x@harness.io' },
      { purchases: 1000 },
      { email: 'boss@bigcorp.com' },
    ];
    const keys = ['alice', 'bob', 'carol', 'dave', 'fraud_1', 'user_7', 12, 3.25];
    for (let i = 0; i < 20; i++) keys.push(`u${i * 37}`);
    const requests = [];
    for (const key of keys) {
      for (const attributes of attributeSets) {
        for (const flag of DEMO_NAMES) {
          const req = { id: requests.length, key, flag };
          if (attributes) req.attributes = attributes;
          if (requests.length % 5 === 0) req.bucketingKey = `b${requests.length % 97}`;
          requests.push(req);
        }
      }
    }
    const expected = await evaluateAll(loadSnapshot(path.join(DEMO_DIR, 'splits.json'), path.join(DEMO_DIR, 'segments')), requests);
    // Impressions are tied to their request by a property, as the oracle does.
    const labels = new Map();
    const c = offlineFactory({
      sync: { impressionsMode: 'DEBUG' },
      impressionListener: { logImpression: (d) => labels.set(JSON.parse(d.impression.properties).req, [...(labels.get(JSON.parse(d.impression.properties).req) ?? []), d.impression.label]) },
    }).client();
    const answers = requests.map((req, i) => c.getTreatmentWithConfig(requestKey(req), req.flag, req.attributes, { properties: { req: i } }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const diffs = [];
    for (const [i, req] of requests.entries()) {
      const got = labels.get(i) ?? [];
      const row = { id: req.id, treatment: answers[i].treatment, config: answers[i].config, label: got.length === 1 ? got[0] : got.length === 0 ? null : got };
      if (JSON.stringify(row) !== JSON.stringify(expected[i])) diffs.push({ req, expected: expected[i], got: row });
    }
    assert.deepEqual(diffs.slice(0, 5), [], `${diffs.length} of ${requests.length} rows differ`);
  });

  test('track: valid events are queued; object keys, values and properties', () => {
    const log = captureLogger();
    const f = offlineFactory({ debug: 'WARN', logger: log.logger });
    const c = f.client();
    assert.equal(c.track('alice', 'user', 'checkout.completed', 12.5, { plan: 'pro', n: 3, ok: true, none: null }), true);
    assert.equal(c.track({ matchingKey: 'bob', bucketingKey: 'b' }, 'user', 'page_view'), true);
    assert.equal(c.track('carol', 'user', 'click', null, null), true);
    assert.equal(c.track(42, 'user', 'click'), true);
    assert.equal(f.stats().events.queued, 4);
    assert.deepEqual(log.errors(), []);
    // Upper-case traffic types are lowercased with a warning; unknown traffic types only warn.
    log.clear();
    assert.equal(c.track('alice', 'USER', 'click'), true);
    assert.ok(log.warnings().some((m) => m.startsWith('track: ') && /lowercase/.test(m)), JSON.stringify(log.logs));
    log.clear();
    assert.equal(c.track('alice', 'no_such_tt', 'click'), true);
    assert.ok(log.warnings().some((m) => m.startsWith('track: ') && m.includes('no_such_tt')), JSON.stringify(log.logs));
    assert.equal(f.stats().events.queued, 6);
  });

  test('track: invalid input → false with the exact message', () => {
    const log = captureLogger();
    const f = offlineFactory({ debug: 'ERROR', logger: log.logger });
    const c = f.client();
    const cases = [
      [[null, 'user', 'click'], 'you passed a null or undefined key, key must be a non-empty string.'],
      [['', 'user', 'click'], 'you passed an empty string, key must be a non-empty string.'],
      [['alice', null, 'click'], 'you passed a null or undefined traffic-type, traffic-type must be a non-empty string.'],
      [['alice', '', 'click'], 'you passed an empty traffic-type, traffic-type must be a non-empty string.'],
      [['alice', 'user', undefined], 'you passed a null or undefined event-type, event-type must be a non-empty string.'],
      [['alice', 'user', ''], 'you passed an empty event-type, event-type must be a non-empty string.'],
      [['alice', 'user', 'bad event'], 'you passed "bad event", event-type must adhere to the regular expression /^[a-zA-Z0-9][-_.:a-zA-Z0-9]{0,79}$/g. This means an event_type must be alphanumeric, cannot be more than 80 characters long, and can only include a dash, underscore, period, or colon as separators of alphanumeric characters.'],
      [['alice', 'user', 'click', 1, 'props'], 'properties must be a plain object.'],
      [['alice', 'user', 'click', 1, { big: 'x'.repeat(20000) }], 'the maximum size allowed for the properties is 32768 bytes, which was exceeded.'],
    ];
    for (const [args, message] of cases) {
      log.clear();
      assert.equal(c.track(...args), false, JSON.stringify(args).slice(0, 80));
      assert.deepEqual(log.logs, [['ERROR', `track: ${message}`]], JSON.stringify(args).slice(0, 80));
    }
    assert.equal(f.stats().events.queued, 0);
  });

  test('track: a value that is not a finite number (NaN, Infinity, "5") is rejected', () => {
    const log = captureLogger();
    const f = offlineFactory({ debug: 'ERROR', logger: log.logger });
    const c = f.client();
    for (const value of [NaN, Infinity, -Infinity, '5', true, {}]) {
      log.clear();
      assert.equal(c.track('alice', 'user', 'click', value), false, String(value));
      assert.equal(log.errors().length, 1, `an error is logged for ${String(value)}`);
      assert.match(log.errors()[0], /^track: value must be/);
    }
    assert.equal(f.stats().events.queued, 0);
  });

  test('explain: answer, conditions and buckets; invalid input throws', () => {
    const c = offlineFactory().client();
    const e = c.explain('alice', 'new_checkout');
    assert.equal(e.flag, 'new_checkout');
    assert.equal(e.treatment, 'on');
    assert.equal(e.label, 'beta testers');
    assert.equal(e.config, ALICE_ON_CONFIG);
    assert.equal(e.changeNumber, DEMO_FLAGS.find((f) => f.name === 'new_checkout').changeNumber);
    assert.equal(e.conditionIndex, 0);
    assert.equal(e.conditions[0].matched, true);
    assert.equal(e.conditions[0].matchers[0].matcherType, 'IN_SEGMENT');
    assert.equal(typeof e.partitionBucket, 'number');
    const d = c.explain({ matchingKey: 'zed', bucketingKey: 'bk' }, 'dark_mode', { plan: 'free' });
    assert.equal(d.label, 'default rule');
    assert.equal(d.conditions.length, 2);
    assert.equal(d.conditions[0].matched, false);
    assert.deepEqual(d.conditions[0].matchers.map((m) => m.attribute), ['plan', 'app_version']);
    const missing = c.explain('alice', 'no_such_flag');
    assert.equal(missing.treatment, 'control');
    assert.equal(missing.label, 'definition not found');
    assert.throws(() => c.explain(null, 'new_checkout'), (err) => err instanceof Error && /null or undefined key/.test(err.message));
    assert.throws(() => c.explain('alice', 5), (err) => err instanceof Error && /feature flag name/.test(err.message));
    assert.throws(() => c.explain('alice', 'new_checkout', 'attrs'), (err) => err instanceof Error && /attributes must be a plain object/.test(err.message));
    assert.equal(c.getTreatment('alice', 'new_checkout'), 'on', 'still works after throwing calls');
  });

  test('ready() resolves at once with data; flush() and destroy() resolve', async () => {
    const f = offlineFactory();
    const c = f.client();
    await c.ready();
    await f.client().ready();
    const empty = await c.flush();
    assert.deepEqual(empty, { posts: [], sent: 0, retrying: 0, dropped: 0, rejected: 0 });
    c.getTreatment('alice', 'new_checkout');
    const report = await c.flush(); // the events URL is a dead port: kept for a retry
    assert.equal(report.sent, 0);
    assert.equal(report.retrying, 1);
    assert.equal(report.posts[0].result.result, 'retrying');
    assert.equal(report.posts[0].result.error.type, 'network');
    await c.destroy();
    await c.destroy();
  });

  test('a localhost instance without data is not ready: control, label "not ready"', async () => {
    const l = captureListener();
    const f = SplitFactory({ core: { authorizationKey: 'localhost' }, impressionListener: l.listener });
    await f.client().ready();
    assert.equal(f.client().getTreatment('alice', 'new_checkout'), 'control');
    assert.equal(f.client().explain('alice', 'new_checkout').label, 'not ready');
    assert.deepEqual(f.client().getTreatmentsByFlagSet('alice', 'checkout'), {});
    f.updateSplitChanges(demoData().splitChanges);
    assert.equal(f.client().getTreatment('carol', 'legacy_banner'), 'off');
  });
});

// ------------------------------------------------------------------------------------------------
describe('getTreatment with string arguments (the fast path) equals the general path', () => {
  const KEYS = [
    'a', 'alice', ' padded ', 'x'.repeat(47) + 'é', 'y'.repeat(48), 'z'.repeat(49), 'w'.repeat(250), 'ñandú', 'ключ', '鍵鍵鍵',
    '😀 emoji 😀', 'mixed-é-' + 'q'.repeat(60) + '-😀', 'tab\tinside', '\u00a0nbsp\ufeff',
  ];
  const ATTRS = [undefined, { plan: 'pro', app_version: '2.0.0' }, { email: 'ñandú@harness.io', features: ['reports', 'é'] }, { blob: 'b'.repeat(5000) + 'é' }];

  test('diverse keys, flags and attributes (ASCII, UTF-8, over 48 characters)', () => {
    const c = offlineFactory().client();
    for (const key of KEYS) {
      for (const attrs of ATTRS) {
        for (const flag of [...DEMO_NAMES, ' dark_mode\u00a0', 'no_such_flag', 'ñ_flag']) {
          const viaGeneral = c.getTreatmentWithConfig(key, flag, attrs).treatment;
          assert.equal(c.getTreatment(key, flag, attrs), viaGeneral, `${JSON.stringify(key)} ${flag}`);
        }
      }
    }
    assert.equal(c.getTreatment('user_1', 'search_ranking', { email: 'ñandú@harness.io' }), 'ml_v2');
  });

  test('still right after wasm memory grows and after a very large input', () => {
    const c = offlineFactory().client();
    const before = KEYS.map((k) => c.getTreatments(k, DEMO_NAMES, ATTRS[1]));
    // Another instance loading a big segment grows the (shared) wasm memory.
    const big = offlineFactory();
    const added = [];
    for (let i = 0; i < 200000; i++) added.push(`member_${i}_with_some_padding`);
    big.updateSegmentChanges({ name: 'beta_testers', added, removed: [], since: 1700000000010, till: 1700000000011 });
    assert.equal(big.client().getTreatment('member_199999_with_some_padding', 'new_checkout'), 'on');
    // A 1 MB attribute value makes the fast path re-allocate its buffer.
    assert.equal(c.getTreatment('user_1', 'dark_mode', { plan: 'pro', app_version: '2.0.0', pad: 'p'.repeat(1 << 20) }), 'on');
    for (const [i, k] of KEYS.entries()) {
      for (const flag of DEMO_NAMES) assert.equal(c.getTreatment(k, flag, ATTRS[1]), before[i][flag], `${k} ${flag}`);
    }
  });

  test('more than 4096 distinct treatments', () => {
    const f = SplitFactory({ core: { authorizationKey: 'localhost' } });
    const flags = [];
    for (let i = 0; i < 4300; i++) {
      flags.push({
        name: `f${i}`, trafficTypeName: 'user', status: 'ACTIVE', killed: false, defaultTreatment: 'off', changeNumber: 1, seed: i, trafficAllocation: 100,
        conditions: [{ conditionType: 'ROLLOUT', label: 'all', matcherGroup: { combiner: 'AND', matchers: [{ keySelector: { trafficType: 'user', attribute: null }, matcherType: 'ALL_KEYS', negate: false }] }, partitions: [{ treatment: `t${i}`, size: 100 }] }],
      });
    }
    f.updateSplitChanges({ ff: { d: flags, s: -1, t: 1 } });
    const c = f.client();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 4300; i += 1) assert.equal(c.getTreatment('k', `f${i}`), `t${i}`);
    }
    assert.equal(c.getTreatment('k', 'f4299'), 't4299');
    assert.equal(c.getTreatment('k', 'f0'), 't0');
  });
});

// ------------------------------------------------------------------------------------------------
describe('conformance corpora (official JS SDK answers)', () => {
  for (const name of ['clean', 'mixed', 'edge']) {
    test(`${name}: 300 rows through every single-flag method, treatment, config and impression label`, async () => {
      const { data, requests, expected } = corpus(name);
      const l = captureListener();
      const f = SplitFactory({ core: { authorizationKey: 'localhost' }, data, impressionListener: l.listener, sync: { impressionsMode: 'DEBUG' } });
      const c = f.client();
      const byId = new Map(expected.map((e) => [e.id, e]));
      const rows = sample(requests, 300);
      const diffs = [];
      for (const [i, req] of rows.entries()) {
        const exp = byId.get(req.id);
        const key = requestKey(req);
        const name = jsTrim(req.flag);
        l.clear();
        let got;
        switch (i % 4) {
          case 0:
            got = { treatment: c.getTreatment(key, req.flag, req.attributes), config: exp.config };
            break;
          case 1:
            got = c.getTreatmentWithConfig(key, req.flag, req.attributes);
            break;
          case 2: {
            const r = c.getTreatments(key, [req.flag], req.attributes);
            assert.deepEqual(Object.keys(r), [name], `row ${req.id}: result keyed by the trimmed name`);
            got = { treatment: r[name], config: exp.config };
            break;
          }
          default: {
            const r = c.getTreatmentsWithConfig(key, [req.flag], req.attributes);
            assert.deepEqual(Object.keys(r), [name], `row ${req.id}: result keyed by the trimmed name`);
            got = r[name];
          }
        }
        await tick();
        const imps = l.impressions();
        const problems = [];
        if (got.treatment !== exp.treatment) problems.push('treatment');
        if (got.config !== exp.config) problems.push('config');
        if (!exp.threw) {
          if (exp.label === null || exp.label === 'definition not found') {
            if (imps.length !== 0) problems.push('an impression was recorded');
          } else if (imps.length !== 1 || imps[0].label !== exp.label || imps[0].treatment !== exp.treatment || imps[0].feature !== name) {
            problems.push(`impression ${JSON.stringify(imps)}`);
          }
        }
        if (problems.length) diffs.push({ id: req.id, method: i % 4, problems, expected: exp, got, req });
      }
      assert.deepEqual(diffs.slice(0, 3), [], `${diffs.length} of ${rows.length} rows differ`);
    });
  }
});

// ------------------------------------------------------------------------------------------------
/** The SplitView the JS SDK's manager builds from a flag (spec §5.4). */
function expectedView(f) {
  const rollout = (f.conditions || []).find((c) => c.conditionType === 'ROLLOUT') || (f.conditions || [])[0];
  return {
    name: f.name,
    trafficType: f.trafficTypeName,
    killed: f.killed,
    changeNumber: f.changeNumber || 0,
    treatments: rollout ? (rollout.partitions || []).map((p) => p.treatment) : [],
    configs: f.configurations || {},
    sets: f.sets || [],
    defaultTreatment: f.defaultTreatment,
    impressionsDisabled: f.impressionsDisabled === true,
    prerequisites: (f.prerequisites || []).map((p) => ({ flagName: p.n, treatments: p.ts })),
  };
}

describe('manager', () => {
  test('demo: names, split and splits equal the snapshot', () => {
    const m = offlineFactory().manager();
    assert.deepEqual(m.names(), DEMO_NAMES);
    for (const f of DEMO_FLAGS) assert.deepEqual(m.split(f.name), expectedView(f), f.name);
    assert.deepEqual(m.splits(), DEMO_FLAGS.map(expectedView));
    assert.equal(m.split('no_such_flag'), null);
    assert.equal(m.split(5), null);
    assert.equal(m.split(undefined), null);
    const upsell = m.split('checkout_upsell');
    assert.deepEqual(upsell.prerequisites, [{ flagName: 'new_checkout', treatments: ['on'] }]);
  });

  for (const name of ['clean', 'mixed', 'edge']) {
    test(`${name} corpus: every active flag's view, archived flags absent`, () => {
      const { data } = corpus(name);
      const flags = JSON.parse(data.splitChanges).ff.d;
      const active = flags.filter((f) => f.status !== 'ARCHIVED');
      const m = SplitFactory({ core: { authorizationKey: 'localhost' }, data }).manager();
      assert.deepEqual([...m.names()].sort(), active.map((f) => f.name).sort());
      for (const f of active) assert.deepEqual(m.split(f.name), expectedView(f), f.name);
      for (const f of flags.filter((f) => f.status === 'ARCHIVED')) assert.equal(m.split(f.name), null);
      assert.equal(m.splits().length, active.length);
    });
  }

  test('updateLargeSegmentChanges: IN_LARGE_SEGMENT matches once the key list is loaded', () => {
    const f = offlineFactory();
    const t = demoSplits().ff.t;
    const base = DEMO_FLAGS.find((x) => x.name === 'checkout_upsell');
    const large = {
      ...base, name: 'large_gate', prerequisites: [], changeNumber: t + 1,
      conditions: [
        { conditionType: 'WHITELIST', label: 'in large segment', matcherGroup: { combiner: 'AND', matchers: [{ keySelector: { trafficType: 'user', attribute: null }, matcherType: 'IN_LARGE_SEGMENT', negate: false, userDefinedLargeSegmentMatcherData: { largeSegmentName: 'big_accounts' } }] }, partitions: [{ treatment: 'vip', size: 100 }] },
        base.conditions[0],
      ],
    };
    f.updateSplitChanges({ ff: { d: [large], s: t, t: t + 1 } });
    const c = f.client();
    assert.notEqual(c.getTreatment('acme', 'large_gate'), 'vip', 'no key list: no match');
    f.updateLargeSegmentChanges({ name: 'big_accounts', added: ['acme', 'globex'], removed: [], since: -1, till: 10 });
    assert.equal(c.getTreatment('acme', 'large_gate'), 'vip');
    assert.equal(c.explain('globex', 'large_gate').label, 'in large segment');
    assert.notEqual(c.getTreatment('initech', 'large_gate'), 'vip');
    f.updateLargeSegmentChanges(JSON.stringify({ name: 'big_accounts', added: [], removed: ['acme'], since: 10, till: 11 }));
    assert.notEqual(c.getTreatment('acme', 'large_gate'), 'vip');
    assert.throws(() => f.updateLargeSegmentChanges('{"name":"big_accounts"}'), Error);
    assert.equal(c.getTreatment('globex', 'large_gate'), 'vip');
  });

  test('updates are reflected: upsert, kill, archive', () => {
    const f = offlineFactory();
    const m = f.manager();
    const base = DEMO_FLAGS.find((x) => x.name === 'dark_mode');
    const cn = demoSplits().ff.t;
    const summary = f.updateSplitChanges({ ff: { d: [{ ...base, killed: true, defaultTreatment: 'on', changeNumber: cn + 1 }, { ...base, name: 'dark_mode_2', changeNumber: cn + 1 }], s: cn, t: cn + 1 } });
    assert.equal(summary.flagsUpserted, 2);
    assert.equal(summary.flagsChangeNumber, cn + 1);
    assert.equal(m.split('dark_mode').killed, true);
    assert.equal(f.client().getTreatment('user_1', 'dark_mode', { plan: 'pro', app_version: '9.0.0' }), 'on');
    assert.ok(m.names().includes('dark_mode_2'));
    const s2 = f.updateSplitChanges({ ff: { d: [{ ...base, name: 'dark_mode_2', status: 'ARCHIVED', changeNumber: cn + 2 }], s: cn + 1, t: cn + 2 } });
    assert.equal(s2.flagsRemoved, 1);
    assert.equal(m.split('dark_mode_2'), null);
    assert.equal(f.client().getTreatment('user_1', 'dark_mode_2'), 'control');
  });
});

// ------------------------------------------------------------------------------------------------
describe('fallback treatments', () => {
  test('global: replaces control for missing flags, with label "fallback - …"', async () => {
    const l = captureListener();
    const f = offlineFactory({ fallbackTreatments: { global: 'fb_global' }, impressionListener: l.listener });
    const c = f.client();
    assert.equal(c.getTreatment('alice', 'no_such_flag'), 'fb_global');
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'no_such_flag'), { treatment: 'fb_global', config: null });
    assert.deepEqual(c.getTreatments('alice', ['new_checkout', 'no_such_flag']), { new_checkout: 'on', no_such_flag: 'fb_global' });
    assert.equal(c.explain('alice', 'no_such_flag').label, 'fallback - definition not found');
    assert.equal(c.getTreatment('alice', 'new_checkout'), 'on', 'real answers are untouched');
    await tick();
    assert.ok(l.impressions().every((i) => i.feature !== 'no_such_flag'), 'no impression for definition not found');
  });

  test('byFlag wins over global; {treatment, config} carries its config', () => {
    const f = offlineFactory({
      fallbackTreatments: { global: 'fb_global', byFlag: { ghost: { treatment: 'fb_ghost', config: '{"why":"fallback"}' }, phantom: 'fb_phantom' } },
    });
    const c = f.client();
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'ghost'), { treatment: 'fb_ghost', config: '{"why":"fallback"}' });
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'phantom'), { treatment: 'fb_phantom', config: null });
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'other'), { treatment: 'fb_global', config: null });
    assert.deepEqual(c.getTreatmentsWithConfig('alice', ['ghost', 'other']), {
      ghost: { treatment: 'fb_ghost', config: '{"why":"fallback"}' },
      other: { treatment: 'fb_global', config: null },
    });
  });

  test('exception and not ready answers fall back too; the impression carries the fallback', async () => {
    const l = captureListener();
    const f = offlineFactory({ fallbackTreatments: { global: { treatment: 'fb', config: '{"g":1}' } }, impressionListener: l.listener });
    const t = demoSplits().ff.t;
    const base = DEMO_FLAGS.find((x) => x.name === 'checkout_upsell');
    f.updateSplitChanges({ ff: { d: [{ ...base, name: 'bad_partitions', prerequisites: [], conditions: [{ ...base.conditions[0], partitions: [{ treatment: 'on', size: 90 }] }] }], s: t, t: t + 1 } });
    assert.deepEqual(f.client().getTreatmentWithConfig('k', 'bad_partitions'), { treatment: 'fb', config: '{"g":1}' });
    await tick();
    assert.deepEqual(l.impressions().map((i) => [i.feature, i.treatment, i.label]), [['bad_partitions', 'fb', 'fallback - exception']]);
    l.clear();
    const notReady = SplitFactory({ core: { authorizationKey: 'localhost' }, fallbackTreatments: { global: 'fb' }, impressionListener: l.listener });
    assert.equal(notReady.client().getTreatment('k', 'new_checkout'), 'fb');
    await tick();
    assert.deepEqual(l.impressions().map((i) => [i.feature, i.treatment, i.label, i.changeNumber]), [['new_checkout', 'fb', 'fallback - not ready', null]]);
  });

  test('invalid input answers the fallback treatment, with no impression', async () => {
    const l = captureListener();
    const f = offlineFactory({ fallbackTreatments: { byFlag: { new_checkout: { treatment: 'fb', config: '{"x":1}' } } }, impressionListener: l.listener });
    const c = f.client();
    assert.equal(c.getTreatment(null, 'new_checkout'), 'fb');
    assert.deepEqual(c.getTreatmentWithConfig('', 'new_checkout'), { treatment: 'fb', config: '{"x":1}' });
    assert.deepEqual(c.getTreatments(null, ['new_checkout', 'other']), { new_checkout: 'fb', other: 'control' });
    await tick();
    assert.equal(l.received.length, 0);
  });

  test('invalid input with a fallback still logs the validation error, once, for that call', () => {
    const log = captureLogger();
    const f = offlineFactory({ fallbackTreatments: { byFlag: { new_checkout: 'fb' } }, debug: 'ERROR', logger: log.logger });
    const c = f.client();
    assert.equal(c.getTreatment(null, 'new_checkout'), 'fb');
    const afterInvalid = log.errors();
    assert.equal(c.getTreatment('alice', 'no_such_flag'), 'control'); // a valid call
    assert.deepEqual(log.errors().slice(afterInvalid.length), [], 'a valid call logs nothing');
    assert.deepEqual(afterInvalid, ['getTreatment: you passed a null or undefined key, key must be a non-empty string.']);
  });

  test('an invalid fallback treatment is a settings error', () => {
    assert.throws(() => offlineFactory({ fallbackTreatments: { global: 'not valid!' } }), /fallbackTreatments/);
    assert.throws(() => offlineFactory({ fallbackTreatments: { byFlag: { f: 'x'.repeat(101) } } }), /fallbackTreatments/);
  });
});

// ------------------------------------------------------------------------------------------------
describe('flag-set filter (sync.splitFilters)', () => {
  test('bySet keeps only the flags of those sets; other sets answer {}', () => {
    const f = offlineFactory({ sync: { splitFilters: [{ type: 'bySet', values: ['checkout', 'Backend'] }] } });
    const keep = DEMO_FLAGS.filter((x) => x.sets.includes('checkout') || x.sets.includes('backend')).map((x) => x.name);
    assert.deepEqual(f.manager().names(), keep);
    const c = f.client();
    assert.deepEqual(c.getTreatmentsByFlagSet('alice', 'frontend'), {});
    assert.deepEqual(Object.keys(c.getTreatmentsByFlagSets('alice', ['frontend', 'backend'])), DEMO_FLAGS.filter((x) => x.sets.includes('backend')).map((x) => x.name));
    assert.equal(c.getTreatment('alice', 'dark_mode'), 'control', 'dark_mode (frontend only) was filtered out');
    assert.equal(c.getTreatment('alice', 'new_checkout'), 'on');
  });
});

// ------------------------------------------------------------------------------------------------
const MSG = {
  keyNull: 'you passed a null or undefined key, key must be a non-empty string.',
  keyEmpty: 'you passed an empty string, key must be a non-empty string.',
  keyInvalid: 'you passed an invalid key, key must be a non-empty string.',
  keyLong: 'key too long, key must be 250 characters or less.',
  keyObject: 'key must be an object with a valid matchingKey and bucketingKey.',
  nameNull: 'you passed a null or undefined feature flag name, feature flag name must be a non-empty string.',
  nameInvalid: 'you passed an invalid feature flag name, feature flag name must be a non-empty string.',
  nameEmpty: 'you passed an empty feature flag name, feature flag name must be a non-empty string.',
  namesEmpty: 'feature flag names must be a non-empty array.',
  setsEmpty: 'you passed an empty flag sets, flag sets must be a non-empty array.',
  attributes: 'attributes must be a plain object.',
};

const BAD_KEYS = [
  [null, MSG.keyNull],
  [undefined, MSG.keyNull],
  ['', MSG.keyEmpty],
  ['   ', MSG.keyEmpty],
  [NaN, MSG.keyInvalid],
  [Infinity, MSG.keyInvalid],
  [true, MSG.keyInvalid],
  [['alice'], MSG.keyInvalid],
  ['k'.repeat(251), MSG.keyLong],
  [{ matchingKey: 'alice' }, MSG.keyObject],
  [{ bucketingKey: 'b' }, MSG.keyObject],
  [{ matchingKey: '', bucketingKey: 'b' }, MSG.keyObject],
  [{ matchingKey: 'alice', bucketingKey: NaN }, MSG.keyObject],
  [{ matchingKey: 'alice', bucketingKey: 'k'.repeat(251) }, MSG.keyObject],
];
const BAD_ATTRIBUTES = ['plan=pro', 5, ['pro'], true];

/** Each method: how it is called with a valid target, its invalid targets, and its "rejected" answer. */
const METHODS = [
  { name: 'getTreatment', target: 'new_checkout', rejected: () => 'control', badTargets: [[null, MSG.nameNull], [undefined, MSG.nameNull], [5, MSG.nameInvalid], [{}, MSG.nameInvalid], ['', MSG.nameEmpty], [' \t ', MSG.nameEmpty]] },
  { name: 'getTreatmentWithConfig', target: 'new_checkout', rejected: () => ({ treatment: 'control', config: null }), badTargets: [[null, MSG.nameNull], [7, MSG.nameInvalid], ['', MSG.nameEmpty]] },
  { name: 'getTreatments', target: ['new_checkout', 'dark_mode'], rejected: (t) => Object.fromEntries(t.map((n) => [n, 'control'])), badTargets: [[[], MSG.namesEmpty], ['new_checkout', MSG.namesEmpty], [null, MSG.namesEmpty], [['', '  ', 5], MSG.namesEmpty]], badTargetAnswer: {} },
  { name: 'getTreatmentsWithConfig', target: ['new_checkout'], rejected: (t) => Object.fromEntries(t.map((n) => [n, { treatment: 'control', config: null }])), badTargets: [[[], MSG.namesEmpty], [undefined, MSG.namesEmpty]], badTargetAnswer: {} },
  { name: 'getTreatmentsByFlagSet', target: 'checkout', rejected: () => ({}), badTargets: [[null, MSG.setsEmpty], ['', MSG.setsEmpty], ['bad-set!', MSG.setsEmpty]], badTargetAnswer: {} },
  { name: 'getTreatmentsByFlagSets', target: ['checkout'], rejected: () => ({}), badTargets: [[[], MSG.setsEmpty], [null, MSG.setsEmpty], [['-x', ''], MSG.setsEmpty]], badTargetAnswer: {} },
  { name: 'getTreatmentsWithConfigByFlagSet', target: 'checkout', rejected: () => ({}), badTargets: [[null, MSG.setsEmpty]], badTargetAnswer: {} },
  { name: 'getTreatmentsWithConfigByFlagSets', target: ['checkout'], rejected: () => ({}), badTargets: [[[], MSG.setsEmpty]], badTargetAnswer: {} },
];

describe('input validation: answers and the exact logged messages', () => {
  for (const m of METHODS) {
    test(`${m.name}: bad keys, bad ${m.name.includes('Set') ? 'flag sets' : 'flag names'}, bad attributes`, async () => {
      const log = captureLogger();
      const l = captureListener();
      const f = offlineFactory({ debug: 'ERROR', logger: log.logger, impressionListener: l.listener });
      const c = f.client();
      const call = (key, target, attrs) => c[m.name](key, target, attrs);
      const check = (args, answer, messages) => {
        log.clear();
        assert.deepEqual(call(...args), answer, `${m.name}(${String(args[0]).slice(0, 20)}, ${JSON.stringify(args[1])})`);
        assert.deepEqual(log.logs, messages.map((msg) => ['ERROR', `${m.name}: ${msg}`]), `${m.name} logs for ${String(args[0]).slice(0, 20)}/${JSON.stringify(args[1])}/${JSON.stringify(args[2])}`);
      };
      for (const [key, msg] of BAD_KEYS) check([key, m.target, undefined], m.rejected(m.target), [msg]);
      for (const [target, msg] of m.badTargets) check(['alice', target, undefined], m.badTargetAnswer ?? m.rejected(target), [msg]);
      for (const attrs of BAD_ATTRIBUTES) check(['alice', m.target, attrs], m.rejected(m.target), [MSG.attributes]);
      // Several problems: every message, in parameter order.
      check([null, m.target, 'x'], m.rejected(m.target), [MSG.keyNull, MSG.attributes]);
      const [badTarget, badTargetMsg] = m.badTargets[0];
      check(['', badTarget, 5], m.badTargetAnswer ?? m.rejected(badTarget), [MSG.keyEmpty, badTargetMsg, MSG.attributes]);
      await tick();
      assert.equal(l.received.length, 0, 'no impression for rejected input');
      // Valid input logs nothing and answers.
      log.clear();
      const ok = call('alice', m.target, { plan: 'pro' });
      assert.deepEqual(log.logs, []);
      assert.notDeepEqual(ok, m.rejected(m.target));
    });
  }

  test('a 250-character key and a 250-unit emoji key are valid', () => {
    const log = captureLogger();
    const c = offlineFactory({ debug: 'ERROR', logger: log.logger }).client();
    assert.notEqual(c.getTreatment('k'.repeat(250), 'dark_mode'), 'control');
    assert.notEqual(c.getTreatment('😀'.repeat(125), 'dark_mode'), 'control');
    assert.equal(c.getTreatment('😀'.repeat(126), 'dark_mode'), 'control');
    assert.deepEqual(log.logs, [['ERROR', `getTreatment: ${MSG.keyLong}`]]);
  });

  test('log levels: debug "ERROR" hides warnings; no debug → the logger is never called', () => {
    const log = captureLogger();
    const c = offlineFactory({ debug: 'ERROR', logger: log.logger }).client();
    c.track('alice', 'USER', 'click'); // a warning only
    assert.deepEqual(log.logs, []);
    const quiet = captureLogger();
    const q = offlineFactory({ logger: quiet.logger }).client();
    q.getTreatment(null, 'new_checkout');
    q.track(null, 'user', 'click');
    assert.deepEqual(quiet.logs, []);
    const warn = captureLogger();
    const w = offlineFactory({ debug: true, logger: warn.logger }).client();
    w.getTreatment(null, 'new_checkout');
    w.track('alice', 'USER', 'click');
    assert.deepEqual(warn.logs.map(([level]) => level), ['ERROR', 'WARN']);
  });

  test('a number key is converted with a warning (spec §5.2)', () => {
    const log = captureLogger();
    const c = offlineFactory({ debug: 'WARN', logger: log.logger }).client();
    c.getTreatment(12, 'dark_mode');
    assert.equal(log.warnings().length, 1);
    assert.match(log.warnings()[0], /^getTreatment: .*convert/i);
  });
});

// ------------------------------------------------------------------------------------------------
describe('malformed snapshots and settings', () => {
  const stillAnswers = (f) => {
    assert.equal(f.client().getTreatment('alice', 'new_checkout'), 'on');
    assert.deepEqual(f.manager().names(), DEMO_NAMES);
  };

  test('updateSplitChanges: a malformed body throws an Error naming the problem; the data is kept', () => {
    const f = offlineFactory();
    const flag = DEMO_FLAGS.find((x) => x.name === 'dark_mode');
    const t = demoSplits().ff.t;
    const cases = [
      ['{not json', /splitChanges body is malformed/],
      ['[]', /splitChanges/],
      ['{}', /ff/],
      [{ ff: { d: [{ ...flag, name: 42 }], s: t, t: t + 1 } }, /feature flag #0.*`name`/],
      [{ ff: { d: [{ ...flag, name: 'new_flag' }, { ...flag, name: 'broken', conditions: [{ ...flag.conditions[0], partitions: 'half' }] }], s: t, t: t + 1 } }, /feature flag #1 "broken".*conditions\[0\]\.partitions/],
      [{ ff: { d: [{ ...flag, name: 'x', killed: 'yes' }], s: t, t: t + 1 } }, /"x".*killed/],
      [{ ff: { d: 'flags', s: t, t: t + 1 } }, /ff/],
    ];
    for (const [input, re] of cases) {
      assert.throws(() => f.updateSplitChanges(input), (e) => e instanceof Error && re.test(e.message), `${JSON.stringify(input).slice(0, 60)} → ${re}`);
      stillAnswers(f);
    }
    assert.equal(f.manager().split('new_flag'), null, 'nothing of a rejected body is applied');
    assert.throws(() => f.updateSplitChanges(null), TypeError);
    assert.throws(() => f.updateSplitChanges(5), TypeError);
    stillAnswers(f);
  });

  test('updateSegmentChanges: a malformed body throws naming the segment; membership is kept', () => {
    const f = offlineFactory();
    assert.throws(() => f.updateSegmentChanges('{"name":"beta_testers","added":["zed"]}'), (e) => e instanceof Error && /beta_testers/.test(e.message) && /till/.test(e.message));
    assert.throws(() => f.updateSegmentChanges('{oops'), Error);
    assert.throws(() => f.updateSegmentChanges({ name: 'beta_testers', added: 'alice', removed: [], till: 5 }), (e) => /added/.test(e.message));
    assert.throws(() => f.updateSegmentChanges(7), TypeError);
    // All or nothing: a good body before a malformed one is not applied either.
    assert.throws(
      () => f.updateSegmentChanges({ name: 'beta_testers', added: ['zed'], removed: [], till: 9 }, '{"name":"internal_staff"}'),
      (e) => /SegmentChange body #1/.test(e.message) && /internal_staff/.test(e.message),
    );
    assert.notEqual(f.client().explain('zed', 'new_checkout').label, 'beta testers');
    stillAnswers(f);
    f.updateSegmentChanges({ name: 'beta_testers', added: ['zed'], removed: ['alice'], since: 1700000000010, till: 1700000000011 });
    assert.equal(f.client().explain('zed', 'new_checkout').label, 'beta testers');
    assert.notEqual(f.client().explain('alice', 'new_checkout').label, 'beta testers');
  });

  test('malformed data in settings makes SplitFactory throw', () => {
    assert.throws(() => SplitFactory({ core: { authorizationKey: 'localhost' }, data: { splitChanges: '{"ff":' } }), /splitChanges/);
    assert.throws(() => SplitFactory({ core: { authorizationKey: 'localhost' }, data: { splitChanges: demoData().splitChanges, segmentChanges: ['{"name":5}'] } }), Error);
  });

  test('settings of the wrong type or out of range throw naming the field', () => {
    const cases = [
      [{ scheduler: { eventsQueueSize: 'x' } }, 'scheduler.eventsQueueSize'],
      [{ scheduler: { eventsQueueSize: 0 } }, 'scheduler.eventsQueueSize'],
      [{ scheduler: { impressionsRefreshRate: -1 } }, 'scheduler.impressionsRefreshRate'],
      [{ scheduler: { eventsPushRate: 'fast' } }, 'scheduler.eventsPushRate'],
      [{ sync: { impressionsMode: 'LOUD' } }, 'sync.impressionsMode'],
      [{ sync: { impressionsMode: 3 } }, 'sync.impressionsMode'],
      [{ urls: { sdk: 'ftp://sdk.example' } }, 'urls.sdk'],
      [{ urls: { events: 5 } }, 'urls.events'],
      [{ core: { authorizationKey: 5 } }, 'core.authorizationKey'],
      [{ core: { labelsEnabled: 'no' } }, 'core.labelsEnabled'],
      [{ delivery: { maxAttempts: 1.5 } }, 'delivery.maxAttempts'],
      [{ fallbackTreatments: { global: 7 } }, 'fallbackTreatments'],
    ];
    for (const [settings, field] of cases) {
      assert.throws(() => SplitFactory({ core: { authorizationKey: 'localhost' }, ...settings }), (e) => e instanceof Error && e.message.includes(field), `${JSON.stringify(settings)} names ${field}`);
    }
    assert.throws(() => SplitFactory({ impressionListener: {} }), /impressionListener/);
    for (const mode of ['debug', 'Optimized', 'NONE']) {
      assert.doesNotThrow(() => offlineFactory({ sync: { impressionsMode: mode } }), mode);
    }
  });

  test('nothing traps: after many throwing calls the instance still answers', () => {
    const log = captureLogger();
    const f = offlineFactory({ debug: 'ERROR', logger: log.logger });
    const c = f.client();
    const throwing = [
      () => f.updateSplitChanges('{'),
      () => f.updateSplitChanges({ ff: { d: [{ name: 1 }], t: 1 } }),
      () => f.updateSegmentChanges('['),
      () => f.updateLargeSegmentChanges('nope'),
      () => c.explain(undefined, 'x'),
      () => c.explain('alice', null),
      () => SplitFactory({ scheduler: { eventsQueueSize: 'x' } }),
    ];
    for (let round = 0; round < 50; round++) {
      for (const fn of throwing) assert.throws(fn, Error);
      c.getTreatment({}, []);
      c.getTreatments(Symbol('k'), [Symbol('f')]);
      c.getTreatment('k', 'new_checkout', { deep: { a: [1, { b: 2 }] }, big: 10n, s: '\u0000\u{1F600}' });
      c.track(() => 1, 'user', 'e');
      c.getTreatmentsByFlagSets('alice', [null, {}, 5, 'ok_set']);
    }
    stillAnswers(f);
    assert.equal(c.getTreatment('k'.repeat(10000), 'new_checkout'), 'control');
    assert.equal(c.getTreatment('alice', 'n'.repeat(100000)), 'control');
    stillAnswers(f);
    assert.equal(c.track('alice', 'user', 'click'), true);
  });

  test('strings with a lone surrogate (keys, attribute values) answer instead of throwing', () => {
    const c = offlineFactory().client();
    const attrs = { email: 'x\ud800@harness.io' };
    assert.doesNotThrow(() => c.getTreatment('user_1', 'search_ranking', attrs), 'getTreatment, attribute');
    assert.doesNotThrow(() => c.getTreatmentWithConfig('a\udc00', 'search_ranking'), 'getTreatmentWithConfig, key');
    assert.doesNotThrow(() => c.getTreatments({ matchingKey: 'm\ud800', bucketingKey: 'b' }, ['search_ranking']), 'getTreatments, object key');
    assert.doesNotThrow(() => c.track('a\ud800', 'user', 'click', 1, { p: '\udfff' }), 'track');
    assert.equal(c.getTreatment('user_1', 'search_ranking', attrs), 'ml_v2', 'the email still ends with @harness.io');
  });

  test('attributes that JSON cannot encode (a cycle) do not make getTreatment throw', () => {
    const c = offlineFactory().client();
    const attrs = { plan: 'pro', app_version: '2.0.0' };
    attrs.self = attrs;
    assert.equal(c.getTreatment('user_1', 'dark_mode', attrs), 'on');
  });
});

// ------------------------------------------------------------------------------------------------
describe('impression listener', () => {
  test('receives {impression, attributes, ip, hostname, sdkLanguageVersion} once per evaluated flag', async () => {
    const l = captureListener();
    const f = offlineFactory({ impressionListener: l.listener });
    const c = f.client();
    const before = Date.now();
    const attrs = { plan: 'pro', app_version: '2.0.0' };
    c.getTreatments({ matchingKey: 'alice', bucketingKey: 'bk_1' }, ['new_checkout', 'dark_mode', 'no_such_flag'], attrs);
    await tick();
    const after = Date.now();
    assert.equal(l.received.length, 2, 'one per evaluated flag, none for a missing flag');
    const [a, b] = l.received;
    assert.deepEqual(Object.keys(a).sort(), ['attributes', 'hostname', 'impression', 'ip', 'sdkLanguageVersion']);
    assert.deepEqual(a.attributes, attrs);
    assert.equal(a.ip, false);
    assert.equal(a.hostname, false);
    assert.equal(a.sdkLanguageVersion, f.version);
    const ia = a.impression;
    assert.equal(ia.feature, 'new_checkout');
    assert.equal(ia.keyName, 'alice');
    assert.equal(ia.bucketingKey, 'bk_1');
    assert.equal(ia.treatment, 'on');
    assert.equal(ia.label, 'beta testers');
    assert.equal(ia.changeNumber, DEMO_FLAGS.find((x) => x.name === 'new_checkout').changeNumber);
    assert.ok(ia.time >= before && ia.time <= after, 'time is Date.now()');
    assert.equal(ia.pt, undefined);
    assert.equal(ia.properties, undefined);
    assert.equal(b.impression.feature, 'dark_mode');
    assert.equal(b.impression.treatment, 'on');
    assert.equal(b.impression.label, 'paid plans on app 2.0+');

    l.clear();
    c.getTreatment('bob', 'dark_mode');
    await tick();
    assert.equal(l.received.length, 1);
    assert.equal(l.received[0].impression.bucketingKey, undefined, 'no bucketingKey for string keys');
    assert.equal(l.received[0].attributes, undefined);
  });

  test('every impression reaches it, de-duplicated or not, with pt and properties', async () => {
    for (const mode of ['OPTIMIZED', 'DEBUG', 'NONE']) {
      const l = captureListener();
      const c = offlineFactory({ impressionListener: l.listener, sync: { impressionsMode: mode } }).client();
      c.getTreatment('alice', 'dark_mode');
      c.getTreatment('alice', 'dark_mode');
      c.getTreatmentWithConfig('alice', 'dark_mode', undefined, { properties: { source: 'test', n: 1 } });
      c.getTreatmentsByFlagSet('alice', 'checkout');
      await tick();
      const imps = l.impressions();
      assert.equal(imps.length, 3 + DEMO_FLAGS.filter((x) => x.sets.includes('checkout')).length, mode);
      if (mode !== 'NONE') assert.equal(imps[1].pt, imps[0].time, `${mode}: the repeat carries pt`);
      assert.equal(imps[2].properties, '{"source":"test","n":1}', mode);
    }
  });

  test('a throwing listener is logged and does not break evaluation', async () => {
    const log = captureLogger();
    const f = offlineFactory({
      debug: 'WARN',
      logger: log.logger,
      impressionListener: {
        logImpression() {
          throw new Error('listener failed');
        },
      },
    });
    assert.equal(f.client().getTreatment('alice', 'new_checkout'), 'on');
    await tick();
    assert.ok(log.warnings().some((m) => m.includes('listener failed')), JSON.stringify(log.logs));
    assert.equal(f.client().getTreatment('alice', 'new_checkout'), 'on');
  });
});

// ------------------------------------------------------------------------------------------------
describe('destroy', () => {
  test('after destroy(), evaluations answer control and record nothing; track returns false (spec §5.2)', async () => {
    const l = captureListener();
    const f = SplitFactory({ core: { authorizationKey: 'localhost' }, data: demoData(), impressionListener: l.listener });
    const c = f.client();
    assert.equal(c.getTreatment('alice', 'new_checkout'), 'on');
    await f.destroy();
    l.clear();
    const queued = f.stats().impressions.queued + f.stats().impressionCounts.queued;
    assert.equal(c.getTreatment('alice', 'new_checkout'), 'control');
    assert.deepEqual(c.getTreatmentWithConfig('alice', 'new_checkout'), { treatment: 'control', config: null });
    assert.equal(c.track('alice', 'user', 'click'), false);
    await tick();
    assert.equal(l.received.length, 0);
    assert.equal(f.stats().impressions.queued + f.stats().impressionCounts.queued, queued);
    assert.equal(f.stats().events.queued, 0);
  });
});

