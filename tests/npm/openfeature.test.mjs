// The package's OpenFeature providers (`split-edge/openfeature`, `split-edge/openfeature/web`)
// under OpenFeature's own SDKs: every request of the three corpora resolves to the official
// SDK's get-treatment-with-config answer; booleans, numbers and objects; TYPE_MISMATCH and the
// other error codes; provider events; track; hooks see the flag metadata.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { OpenFeature as ServerOpenFeature } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature } from '@openfeature/web-sdk';
import { SplitFactory } from 'split-edge';
import { SplitEdgeProvider } from 'split-edge/openfeature';
import { SplitEdgeWebProvider } from 'split-edge/openfeature/web';
import { contextOf, matches } from '../openfeature/corpus.mjs';
import { corpus, demoData, demoSplits, offlineFactory, sample, startServer, SDK_KEY, waitFor } from './helpers.mjs';

const CORPORA = ['clean', 'mixed', 'edge'];
/** Contexts of each corpus the web provider evaluates (each a `setContext`). */
const WEB_CONTEXTS = 400;

/** A numeric treatment, as the providers read one. */
const isNumber = (t) => /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t) && Number.isFinite(Number(t));

function localFactory(data) {
  return SplitFactory({ data, sync: { impressionsMode: 'DEBUG' } });
}

describe('server provider (@openfeature/server-sdk)', () => {
  for (const name of CORPORA) {
    test(`${name} corpus: every request equals get-treatment-with-config`, { timeout: 300_000 }, async () => {
      const c = corpus(name);
      await ServerOpenFeature.setProviderAndWait(`server-${name}`, new SplitEdgeProvider(localFactory(c.data)));
      const client = ServerOpenFeature.getClient(`server-${name}`);
      let pass = 0, skipped = 0, booleans = 0, numbers = 0, objects = 0, mismatches = 0;
      const diffs = [];
      for (let i = 0; i < c.requests.length; i++) {
        const req = c.requests[i], exp = c.expected[i];
        const ctx = contextOf(req);
        if (!ctx) { skipped++; continue; }
        const details = await client.getStringDetails(req.flag, 'default', ctx);
        if (matches(details, exp)) pass++;
        else diffs.push({ request: req, expected: exp, got: details });
        if (exp.treatment === 'control') continue;
        if (['on', 'off', 'true', 'false'].includes(exp.treatment)) {
          const b = await client.getBooleanDetails(req.flag, exp.treatment === 'off' || exp.treatment === 'false', ctx);
          assert.equal(b.value, exp.treatment === 'on' || exp.treatment === 'true', JSON.stringify({ req, b }));
          assert.equal(b.variant, exp.treatment);
          booleans++;
        } else if (i % 7 === 0) {
          const b = await client.getBooleanDetails(req.flag, true, ctx);
          assert.deepEqual([b.value, b.errorCode], [true, 'TYPE_MISMATCH'], JSON.stringify({ req, b }));
          mismatches++;
        }
        if (isNumber(exp.treatment)) {
          const n = await client.getNumberDetails(req.flag, -1, ctx);
          assert.equal(n.value, Number(exp.treatment));
          numbers++;
        }
        if (i % 3 === 0) {
          const o = await client.getObjectDetails(req.flag, { fallback: true }, ctx);
          if (exp.config === null) assert.deepEqual([o.value, o.errorCode], [{ fallback: true }, 'TYPE_MISMATCH'], JSON.stringify({ req, o }));
          else assert.deepEqual(o.value, JSON.parse(exp.config), JSON.stringify({ req, o }));
          objects++;
        }
      }
      console.log(`# split-edge server provider, ${name}: ${pass} pass, ${diffs.length} differ, ${skipped} not expressible in OpenFeature, of ${c.requests.length}; ${booleans} booleans, ${numbers} numbers, ${objects} objects, ${mismatches} type mismatches checked`);
      assert.deepEqual(diffs.slice(0, 3), []);
      assert.ok(pass > c.requests.length * 0.9, `${pass} of ${c.requests.length}`);
      assert.ok(booleans > 50 && objects > 100 && mismatches > 10, 'each value kind was exercised');
      await ServerOpenFeature.clearProviders();
    });
  }

  test('errors: missing flag, missing targeting key, invalid context, numbers from non-numbers', async () => {
    await ServerOpenFeature.setProviderAndWait('errors', new SplitEdgeProvider(localFactory(demoData())));
    const client = ServerOpenFeature.getClient('errors');
    const nope = await client.getStringDetails('no_such_flag', 'dflt', { targetingKey: 'a' });
    assert.deepEqual([nope.value, nope.reason, nope.errorCode], ['dflt', 'ERROR', 'FLAG_NOT_FOUND']);
    const noKey = await client.getStringDetails('new_checkout', 'dflt', { plan: 'pro' });
    assert.deepEqual([noKey.value, noKey.errorCode], ['dflt', 'TARGETING_KEY_MISSING']);
    const badKey = await client.getStringDetails('new_checkout', 'dflt', { targetingKey: '   ' });
    assert.equal(badKey.errorCode, 'INVALID_CONTEXT');
    assert.match(badKey.errorMessage, /key/);
    const cyclic = { targetingKey: 'a' };
    cyclic.self = cyclic;
    assert.equal((await client.getStringDetails('new_checkout', 'dflt', cyclic)).errorCode, 'INVALID_CONTEXT');
    const num = await client.getNumberDetails('new_checkout', 5, { targetingKey: 'a' });
    assert.deepEqual([num.value, num.errorCode], [5, 'TYPE_MISMATCH']);
    await ServerOpenFeature.clearProviders();
  });

  test('numbers from numeric treatments', async () => {
    // The corpora have no numeric treatments: a flag that splits 42 / 2.5 / -1e3.
    const splits = demoSplits();
    const numeric = {
      name: 'max_items', trafficTypeName: 'user', seed: 7, trafficAllocation: 100, trafficAllocationSeed: 0, status: 'ACTIVE',
      killed: false, defaultTreatment: '0', changeNumber: splits.ff.t + 1, algo: 2, configurations: {}, sets: [],
      conditions: [{
        conditionType: 'ROLLOUT', label: 'default rule',
        matcherGroup: { combiner: 'AND', matchers: [{ keySelector: { trafficType: 'user', attribute: null }, matcherType: 'ALL_KEYS', negate: false }] },
        partitions: [{ treatment: '42', size: 40 }, { treatment: '2.5', size: 30 }, { treatment: '-1e3', size: 30 }],
      }],
    };
    const factory = localFactory(demoData());
    factory.updateSplitChanges({ ff: { d: [numeric], s: splits.ff.t, t: splits.ff.t + 1 } });
    await ServerOpenFeature.setProviderAndWait('numbers', new SplitEdgeProvider(factory));
    const client = ServerOpenFeature.getClient('numbers');
    const seen = new Set();
    for (let i = 0; i < 60; i++) {
      const key = `user_${i}`;
      const d = await client.getNumberDetails('max_items', 7, { targetingKey: key });
      assert.equal(d.value, Number(factory.client().getTreatment(key, 'max_items')));
      assert.equal(d.reason, 'SPLIT');
      seen.add(d.value);
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [-1000, 2.5, 42]);
    const b = await client.getBooleanDetails('max_items', false, { targetingKey: 'user_1' });
    assert.equal(b.errorCode, 'TYPE_MISMATCH');
    await ServerOpenFeature.clearProviders();
  });

  test('reasons and metadata; hooks see the metadata', async () => {
    const factory = localFactory(demoData());
    await ServerOpenFeature.setProviderAndWait('reasons', new SplitEdgeProvider(factory));
    const client = ServerOpenFeature.getClient('reasons');
    const seen = [];
    client.addHooks({ after: (_ctx, details) => seen.push(details.flagMetadata) });
    const killed = await client.getStringDetails('legacy_banner', 'x', { targetingKey: 'alice' });
    assert.deepEqual([killed.reason, killed.flagMetadata.label], ['DISABLED', 'killed']);
    const split = await client.getStringDetails('checkout_upsell', 'x', { targetingKey: 'alice' });
    assert.equal(split.reason, 'SPLIT');
    const match = await client.getStringDetails('account_dashboard', 'x', { targetingKey: 'alice', features: ['reports'] });
    assert.deepEqual([match.value, match.reason, match.flagMetadata.label], ['v2', 'TARGETING_MATCH', 'uses analytics']);
    const dflt = await client.getStringDetails('account_dashboard', 'x', { targetingKey: 'alice' });
    assert.equal(dflt.reason, 'DEFAULT');
    const expected = factory.client().getTreatmentWithConfig('bob', 'new_checkout');
    const withConfig = await client.getStringDetails('new_checkout', 'x', { targetingKey: 'bob' });
    assert.equal(withConfig.flagMetadata.config ?? null, expected.config);
    assert.equal(typeof withConfig.flagMetadata.changeNumber, 'number');
    assert.equal(seen.length, 5);
    assert.ok(seen.every((m) => typeof m.label === 'string'));
    // Dates are Split datetimes: milliseconds since the epoch.
    const at = new Date('2024-06-01T00:00:00Z');
    assert.deepEqual(
      (await client.getStringDetails('new_checkout', 'x', { targetingKey: 'bob', since: at })).value,
      factory.client().getTreatment('bob', 'new_checkout', { since: at.getTime() }),
    );
    await ServerOpenFeature.clearProviders();
  });

  test('events: ready, configuration changed after an update or a sync, error and recovery', async () => {
    let answer = { status: 500, body: 'down' };
    const server = await startServer(() => answer);
    const factory = SplitFactory({
      core: { authorizationKey: SDK_KEY },
      data: demoData(),
      urls: { sdk: server.base, events: server.base, telemetry: server.base },
      sync: { enabled: false },
    });
    const provider = new SplitEdgeProvider(factory, { destroyOnClose: false });
    const events = [];
    for (const e of ['PROVIDER_READY', 'PROVIDER_CONFIGURATION_CHANGED', 'PROVIDER_ERROR']) {
      ServerOpenFeature.addHandler(e, (d) => events.push([e, d?.message ?? d?.errorCode ?? null]));
    }
    await ServerOpenFeature.setProviderAndWait(provider);
    await waitFor(() => events.some(([e]) => e === 'PROVIDER_READY'), 2000, 'ready');
    // An update that changes the data: configuration changed; one that does not: nothing.
    const splits = demoSplits();
    const next = { ...splits, ff: { ...splits.ff, s: splits.ff.t, t: splits.ff.t + 1 } };
    factory.updateSplitChanges(next);
    factory.updateSplitChanges(next);
    await waitFor(() => events.some(([e]) => e === 'PROVIDER_CONFIGURATION_CHANGED'), 2000, 'configuration changed');
    assert.equal(events.filter(([e]) => e === 'PROVIDER_CONFIGURATION_CHANGED').length, 1);
    // A failed synchronization: an error event; the next good one: ready again.
    assert.equal((await factory.sync()).ok, false);
    await waitFor(() => events.some(([e]) => e === 'PROVIDER_ERROR'), 2000, 'error');
    assert.match(events.find(([e]) => e === 'PROVIDER_ERROR')[1], /synchronization with Split failed/);
    answer = (req) => {
      if (req.path.endsWith('/splitChanges')) return { status: 200, body: { ff: { d: [], s: next.ff.t, t: next.ff.t }, rbs: { d: [], s: splits.rbs?.t ?? -1, t: splits.rbs?.t ?? -1 } } };
      const name = req.path.split('/').pop();
      return { status: 200, body: { name, added: [], removed: [], since: -1, till: -1 } };
    };
    server.setHandler(answer);
    const readyBefore = events.filter(([e]) => e === 'PROVIDER_READY').length;
    assert.equal((await factory.sync()).ok, true);
    await waitFor(() => events.filter(([e]) => e === 'PROVIDER_READY').length > readyBefore, 2000, 'ready again');
    assert.equal(ServerOpenFeature.getClient().providerStatus, 'READY');
    await ServerOpenFeature.close();
    assert.equal(factory.client().getTreatment('alice', 'new_checkout') !== 'control', true, 'destroyOnClose: false keeps the factory');
    await factory.destroy();
    await server.close();
  });

  test('track is Split track; closing the provider destroys the factory', async () => {
    const server = await startServer(() => ({ status: 200, body: '' }));
    const factory = offlineFactory({ urls: { sdk: server.base, events: server.base, telemetry: server.base } });
    await ServerOpenFeature.setProviderAndWait('track', new SplitEdgeProvider(factory, { trafficType: 'account' }));
    const client = ServerOpenFeature.getClient('track');
    client.track('checkout', { targetingKey: 'alice' }, { value: 9.5, plan: 'pro', at: new Date(5000) });
    client.track('visit', { targetingKey: 'bob', trafficType: 'user' });
    client.track('nobody', { plan: 'pro' }); // no targeting key: refused (OpenFeature logs it)
    assert.equal(factory.stats().events.queued, 2);
    await factory.flush();
    const posted = server.requests.filter((r) => r.path.endsWith('/events/bulk')).flatMap((r) => r.json);
    assert.deepEqual(
      posted.map((e) => [e.key, e.trafficTypeName, e.eventTypeId, e.value, e.properties]),
      [['alice', 'account', 'checkout', 9.5, { plan: 'pro', at: 5000 }], ['bob', 'user', 'visit', null, null]],
    );
    await ServerOpenFeature.clearProviders();
    assert.equal(factory.client().getTreatment('alice', 'new_checkout'), 'control', 'closed: destroyed');
    await server.close();
  });

  test('CommonJS: require("split-edge/openfeature")', () => {
    const require = createRequire(import.meta.url);
    const { SplitEdgeProvider: Cjs } = require('split-edge/openfeature');
    const { SplitFactory: CjsFactory } = require('split-edge');
    const p = new Cjs(CjsFactory({ data: demoData() }));
    assert.equal(p.metadata.name, 'split-edge');
    assert.equal(p.runsOn, 'server');
    assert.throws(() => new Cjs({}), /factory made by split-edge/);
  });
});

describe('web provider (@openfeature/web-sdk)', () => {
  for (const name of CORPORA) {
    test(`${name} corpus: sampled contexts equal get-treatment-with-config`, { timeout: 300_000 }, async () => {
      const c = corpus(name);
      const rows = sample(c.requests.map((req, i) => ({ req, exp: c.expected[i], ctx: contextOf(req) })).filter((r) => r.ctx), WEB_CONTEXTS);
      const domain = `web-${name}`;
      await WebOpenFeature.setProviderAndWait(domain, new SplitEdgeWebProvider(localFactory(c.data)), rows[0].ctx);
      const client = WebOpenFeature.getClient(domain);
      let pass = 0;
      const diffs = [];
      for (const row of rows) {
        await WebOpenFeature.setContext(domain, row.ctx);
        const details = client.getStringDetails(row.req.flag, 'default');
        if (matches(details, row.exp)) pass++;
        else diffs.push({ row, details });
        if (row.exp.treatment === 'on' || row.exp.treatment === 'off') {
          assert.equal(client.getBooleanValue(row.req.flag, row.exp.treatment === 'off'), row.exp.treatment === 'on');
        }
        if (row.exp.config !== null && row.exp.treatment !== 'control') {
          assert.deepEqual(client.getObjectValue(row.req.flag, {}), JSON.parse(row.exp.config));
        }
      }
      console.log(`# split-edge web provider, ${name}: ${pass} pass, ${diffs.length} differ, of ${rows.length} sampled contexts`);
      assert.deepEqual(diffs.slice(0, 3), []);
      await WebOpenFeature.clearProviders();
    });
  }

  test('events and track in the web SDK', async () => {
    const factory = offlineFactory();
    const events = [];
    const provider = new SplitEdgeWebProvider(factory, { destroyOnClose: false });
    await WebOpenFeature.setProviderAndWait('web-events', provider, { targetingKey: 'alice' });
    const client = WebOpenFeature.getClient('web-events');
    client.addHandler('PROVIDER_CONFIGURATION_CHANGED', () => events.push('changed'));
    const splits = demoSplits();
    factory.updateSplitChanges({ ...splits, ff: { ...splits.ff, s: splits.ff.t, t: splits.ff.t + 5 } });
    await waitFor(() => events.length === 1, 2000, 'configuration changed');
    client.track('signup', { value: 1 });
    assert.equal(factory.stats().events.queued, 1);
    assert.equal(client.getStringValue('account_dashboard', 'x'), factory.client().getTreatment('alice', 'account_dashboard'));
    await WebOpenFeature.clearProviders();
    await factory.destroy();
  });
});
