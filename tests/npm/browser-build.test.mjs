// The browser build (dist/wasm-browser: `--no-default-features --features sync,small-tables`, what
// `split-edge/web` and `split-edge/wasm` ship): it leaves the localhost parsers out, and says so
// with an Error when they are asked for; it synchronizes; everything else answers as the full
// engine does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SplitFactory as FullFactory } from 'split-edge';
import { demoData, ROOT, SDK_KEY } from './helpers.mjs';

const require = createRequire(import.meta.url);
const DIST = path.join(ROOT, 'npm', 'dist');
const glue = await import(pathToFileURL(path.join(DIST, 'wasm-browser', 'split_edge_wasm.js')).href);
glue.initSync({ module: readFileSync(require.resolve('split-edge/wasm')) });
const { createSdk } = await import(pathToFileURL(path.join(DIST, 'esm', 'factory.js')).href);
const { webHost } = await import(pathToFileURL(path.join(DIST, 'esm', 'web-host.js')).href);
const browser = createSdk({ Engine: glue.Engine }, webHost);

test('split-edge/wasm is the browser build, smaller than the full engine', () => {
  const lite = readFileSync(require.resolve('split-edge/wasm'));
  const full = readFileSync(require.resolve('split-edge/wasm/full'));
  assert.ok(lite.length < full.length, `${lite.length} < ${full.length}`);
  assert.equal(require.resolve('split-edge/wasm'), path.join(DIST, 'wasm-browser', 'split_edge_wasm_bg.wasm'));
});

test('the localhost loaders throw "not in this build"; startSync asks for splitChanges', () => {
  const engine = new glue.Engine(JSON.stringify({ core: { authorizationKey: SDK_KEY } }));
  assert.match(JSON.parse(engine.startSync(Date.now()))[0].url, /\/splitChanges\?/);
  assert.throws(() => engine.loadLocalhostYaml('{}', Date.now()), /localhost mode's YAML files is not in this build/);
  assert.throws(() => engine.loadLocalhostSplitFile('a on', Date.now()), /localhost mode's .split files is not in this build/);
});

test('a real SDK key without data: the first synchronization goes to Split (here: fails at fetch)', async () => {
  const factory = browser.SplitFactory({ core: { authorizationKey: SDK_KEY }, startup: { readyTimeout: 0 }, debug: false, fetch: async () => { throw new Error('offline'); } });
  await assert.rejects(factory.client().ready(), /the first synchronization failed/);
  await factory.destroy();
});

test('with settings.data it answers as the full engine: treatments, configs, manager, explain, bulk, track', async () => {
  const lite = browser.SplitFactory({ core: { authorizationKey: 'localhost' }, data: demoData() });
  const full = FullFactory({ core: { authorizationKey: 'localhost' }, data: demoData() });
  await lite.client().ready();
  const names = full.manager().names();
  assert.deepEqual(lite.manager().names(), names);
  assert.deepEqual(lite.manager().splits(), full.manager().splits());
  for (const key of ['alice', 'bob', 'user_1', { matchingKey: 'u', bucketingKey: 'b' }]) {
    for (const attrs of [undefined, { plan: 'pro', app_version: '2.3.1', purchases: 1500 }]) {
      assert.deepEqual(lite.client().getTreatmentsWithConfig(key, names, attrs), full.client().getTreatmentsWithConfig(key, names, attrs));
    }
  }
  const request = { keys: [{ key: 'alice' }, { key: 'bob', attributes: { plan: 'free' } }], flags: names };
  assert.deepEqual(lite.client().evaluateBulk(request), full.client().evaluateBulk(request));
  assert.deepEqual(lite.client().explain('alice', names[0], { plan: 'pro' }), full.client().explain('alice', names[0], { plan: 'pro' }));
  assert.equal(lite.client().track('alice', 'user', 'checkout', 1), full.client().track('alice', 'user', 'checkout', 1));
  await lite.destroy();
  await full.destroy();
});
