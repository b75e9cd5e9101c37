// The browser entry's SDK shape (JS SDK `IBrowserSDK`), in Node through `split-edge/web`: a
// client bound to settings.core.key, shared clients for other keys, attribute binding,
// readiness (whenReady, getStatus, SDK_READY / SDK_READY_FROM_CACHE / SDK_READY_TIMED_OUT),
// SDK_UPDATE after an update, track with and without a bound traffic type.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, SplitFactory } from 'split-edge/web';
import { SplitFactory as ServerFactory } from 'split-edge';
import { captureLogger, demoData, demoSplits, startServer, SDK_KEY, waitFor } from './helpers.mjs';

const require = createRequire(import.meta.url);

before(() => {
  initSync(readFileSync(require.resolve('split-edge/wasm')));
});

const reference = ServerFactory({ data: demoData() }).client();

test('factory.client() is bound to core.key; client(otherKey) to another; answers equal the server shape', async () => {
  const factory = SplitFactory({ core: { authorizationKey: 'localhost', key: 'alice' }, data: demoData() });
  const alice = factory.client();
  await alice.whenReady();
  assert.equal(factory.client(), alice);
  const bob = factory.client('bob');
  assert.equal(factory.client('bob'), bob, 'one client per key');
  for (const flag of factory.manager().names()) {
    assert.equal(alice.getTreatment(flag), reference.getTreatment('alice', flag));
    assert.deepEqual(bob.getTreatmentWithConfig(flag, { plan: 'pro' }), reference.getTreatmentWithConfig('bob', flag, { plan: 'pro' }));
  }
  const names = factory.manager().names().slice(0, 5);
  assert.deepEqual(alice.getTreatments(names), reference.getTreatments('alice', names));
  assert.deepEqual(bob.getTreatmentsWithConfig(names), reference.getTreatmentsWithConfig('bob', names));
  assert.deepEqual(alice.getTreatmentsByFlagSet('checkout'), reference.getTreatmentsByFlagSet('alice', 'checkout'));
  assert.deepEqual(alice.getTreatmentsWithConfigByFlagSets(['checkout']), reference.getTreatmentsWithConfigByFlagSets('alice', ['checkout']));
  const keyed = factory.client({ matchingKey: 'carol', bucketingKey: 'b1' });
  assert.equal(keyed.getTreatment('checkout_upsell'), reference.getTreatment({ matchingKey: 'carol', bucketingKey: 'b1' }, 'checkout_upsell'));
  await factory.destroy();
  assert.equal(alice.getTreatment('new_checkout'), 'control', 'destroyed');
});

test('attribute binding: merged under the call\'s attributes, validated as the SDK validates', () => {
  const log = captureLogger();
  const factory = SplitFactory({ core: { key: 'alice' }, data: demoData(), debug: 'WARN', logger: log.logger });
  const client = factory.client();
  assert.equal(client.setAttribute('features', ['reports']), true);
  assert.equal(client.getTreatment('account_dashboard'), reference.getTreatment('alice', 'account_dashboard', { features: ['reports'] }));
  assert.deepEqual(client.getAttributes(), { features: ['reports'] });
  assert.deepEqual(client.getAttribute('features'), ['reports']);
  // The call's attributes win over the bound ones.
  assert.equal(client.getTreatment('account_dashboard', { features: [] }), reference.getTreatment('alice', 'account_dashboard', { features: [] }));
  assert.equal(client.setAttributes({ plan: 'pro', n: 3 }), true);
  assert.deepEqual(client.getAttributes(), { features: ['reports'], plan: 'pro', n: 3 });
  assert.equal(client.setAttribute('bad', { nested: true }), false);
  assert.equal(client.setAttribute('', 'x'), false);
  assert.equal(client.setAttributes({ ok: 1, bad: NaN }), false);
  assert.equal(client.setAttributes('nope'), false);
  assert.equal(client.getAttribute('ok'), undefined, 'nothing bound from a rejected setAttributes');
  assert.ok(log.warnings().some((m) => /setAttribute: you passed an invalid attribute value for bad/.test(m)), log.warnings().join('\n'));
  assert.ok(log.warnings().some((m) => /attribute name must be a non-empty string/.test(m)));
  assert.ok(log.errors().some((m) => /setAttributes: attributes must be a plain object/.test(m)));
  assert.equal(client.removeAttribute('plan'), true);
  assert.equal(client.removeAttribute('plan'), false);
  assert.equal(client.clearAttributes(), true);
  assert.deepEqual(client.getAttributes(), {});
  assert.equal(client.getTreatment('account_dashboard'), reference.getTreatment('alice', 'account_dashboard'));
  // Each client has its own attributes.
  factory.client('bob').setAttribute('plan', 'pro');
  assert.deepEqual(client.getAttributes(), {});
});

test('readiness: events, whenReady, getStatus; SDK_UPDATE after an update', async () => {
  const factory = SplitFactory({ core: { key: 'alice' }, data: demoData() });
  const client = factory.client();
  const seen = [];
  for (const e of ['SDK_READY', 'SDK_READY_FROM_CACHE', 'SDK_UPDATE']) client.on(client.Event[e], (m) => seen.push([e, m]));
  let once = 0;
  client.once(client.Event.SDK_UPDATE, () => once++);
  assert.deepEqual(await client.whenReady(), { initialCacheLoad: true });
  await waitFor(() => seen.length >= 2, 1000, 'ready events');
  assert.deepEqual(seen.map(([e]) => e), ['SDK_READY_FROM_CACHE', 'SDK_READY']);
  assert.deepEqual(Object.entries(client.getStatus()).filter(([k]) => k !== 'lastUpdate'), Object.entries({ isReady: true, isReadyFromCache: true, isTimedout: false, hasTimedout: false, isDestroyed: false, isOperational: true }));
  const splits = demoSplits();
  factory.updateSplitChanges({ ...splits, ff: { ...splits.ff, s: splits.ff.t, t: splits.ff.t + 1 } });
  factory.updateSplitChanges({ ...splits, ff: { ...splits.ff, s: splits.ff.t + 1, t: splits.ff.t + 2 } });
  assert.deepEqual(seen.filter(([e]) => e === 'SDK_UPDATE').length, 2);
  assert.equal(once, 1);
  await factory.destroy();
  assert.equal(client.getStatus().isDestroyed, true);
});

test('startup.readyTimeout: SDK_READY_TIMED_OUT and a rejected whenReady, then ready after a good sync', async () => {
  let answer = { status: 500, body: 'down' };
  const server = await startServer((req) => (typeof answer === 'function' ? answer(req) : answer));
  const factory = SplitFactory({
    core: { authorizationKey: SDK_KEY, key: 'alice' },
    urls: { sdk: server.base, events: server.base, telemetry: server.base },
    startup: { readyTimeout: 0.2 },
    sync: { enabled: true },
    scheduler: { featuresRefreshRate: 3600 },
  });
  const client = factory.client();
  const events = [];
  client.on(client.Event.SDK_READY_TIMED_OUT, () => events.push('timeout'));
  client.on(client.Event.SDK_READY, () => events.push('ready'));
  await assert.rejects(client.whenReady(), /SDK_READY_TIMED_OUT/);
  assert.deepEqual(events, ['timeout']);
  assert.equal(client.getStatus().isTimedout, true);
  assert.equal(client.getTreatment('new_checkout'), 'control');
  const splits = demoSplits();
  answer = (req) => (req.path.endsWith('/splitChanges')
    ? { status: 200, body: { ...splits, ff: { ...splits.ff, s: -1 } } }
    : { status: 200, body: { name: req.path.split('/').pop(), added: ['alice'], removed: [], since: -1, till: 5 } });
  server.setHandler(answer);
  assert.equal((await factory.sync()).ok, true);
  await waitFor(() => events.includes('ready'), 2000, 'ready after the timeout');
  assert.deepEqual(await client.whenReady(), { initialCacheLoad: true });
  assert.deepEqual([client.getStatus().isReady, client.getStatus().hasTimedout, client.getStatus().isTimedout], [true, true, false]);
  assert.notEqual(client.getTreatment('new_checkout'), 'control');
  await factory.destroy();
  await server.close();
});

test('track: trafficType first, or bound through core.trafficType / client(key, trafficType)', () => {
  const factory = SplitFactory({ core: { key: 'alice', trafficType: 'user' }, data: demoData(), sync: { enabled: false } });
  assert.equal(factory.client().track('checkout', 9.5, { plan: 'pro' }), true);
  assert.equal(factory.client('bob').track('user', 'visit'), true);
  assert.equal(factory.client('carol', 'user').track('visit', null), true);
  assert.equal(factory.stats().events.queued, 3);
  assert.equal(factory.client('dave').track('user'), false, 'no event type: refused as the SDK refuses it');
});

test('without core.key the web entry keeps the server-side shape; shared clients can be destroyed alone', async () => {
  const server = SplitFactory({ data: demoData() });
  assert.equal(server.client().getTreatment('alice', 'new_checkout'), reference.getTreatment('alice', 'new_checkout'));
  const factory = SplitFactory({ core: { key: 'alice' }, data: demoData() });
  const bob = factory.client('bob');
  await bob.destroy();
  assert.equal(bob.getTreatment('new_checkout'), 'control');
  assert.notEqual(factory.client().getTreatment('new_checkout'), 'control');
  assert.notEqual(factory.client('bob'), bob, 'a destroyed shared client is replaced by a new one');
});
