// The browser SDK's shape in headless Chromium, through the browser build (`dist/web.mjs`):
// every request of the three corpora with a string key answered by `factory.client(key)`
// (attributes passed, or bound with setAttributes), equal to the official SDK's answers; then
// readiness, SDK_UPDATE and the ready timeout in the page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startStaticServer } from '../../www/serve.mjs';
import { CHROMIUM, launchChromium } from '../browser/chromium.mjs';
import { ROOT, SHARED } from './helpers.mjs';

const PARENT = path.resolve(ROOT, '..');
const here = (p) => `/${path.relative(PARENT, p).split(path.sep).join('/')}`;
let server, browser, page;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM} (make setup-chromium)`);
  server = await startStaticServer({ root: PARENT, port: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(server.url + here(path.join(ROOT, 'npm/README.md')).slice(1));
  await page.evaluate(async (web) => {
    const m = await import(web);
    await m.init();
    window.sdk = m;
  }, here(path.join(ROOT, 'npm/dist/web.mjs')));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

for (const name of ['clean', 'mixed', 'edge']) {
  test(`${name} corpus through factory.client(key) in Chromium`, { timeout: 120_000 }, async () => {
    const dir = path.join(SHARED, 'conformance', name);
    const segments = readdirSync(path.join(dir, 'segments')).filter((f) => f.endsWith('.json')).map((f) => here(path.join(dir, 'segments', f)));
    const r = await page.evaluate(async ({ base, segments }) => {
      const text = async (u) => (await fetch(u)).text();
      const lines = (t) => t.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
      const data = { splitChanges: await text(`${base}/splits.json`), segmentChanges: await Promise.all(segments.map(text)) };
      const requests = lines(await text(`${base}/requests.jsonl`));
      const expected = lines(await text(`${base}/expected.jsonl`));
      const factory = window.sdk.SplitFactory({ core: { key: 'page-user' }, data, sync: { impressionsMode: 'NONE' } });
      await factory.client().whenReady();
      const plain = (a) => a === undefined || a === null || (typeof a === 'object' && !Array.isArray(a));
      const bindable = (a) => a && Object.entries(a).every(([k, v]) => k !== '' && (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || Array.isArray(v)));
      let pass = 0, bound = 0, skipped = 0;
      const diffs = [];
      for (let i = 0; i < requests.length; i++) {
        const q = requests[i];
        if (typeof q.key !== 'string' || q.key === '' || typeof q.flag !== 'string' || !plain(q.attributes) || 'bucketingKey' in q) { skipped++; continue; }
        const client = factory.client(q.key);
        let got;
        if (i % 2 === 0 && bindable(q.attributes)) {
          client.clearAttributes();
          client.setAttributes(q.attributes);
          got = client.getTreatmentWithConfig(q.flag);
          client.clearAttributes();
          bound++;
        } else {
          got = client.getTreatmentWithConfig(q.flag, q.attributes ?? undefined);
        }
        if (got.treatment === expected[i].treatment && got.config === expected[i].config) pass++;
        else diffs.push({ q, got, want: expected[i] });
      }
      await factory.destroy();
      return { pass, bound, skipped, total: requests.length, diffs: diffs.slice(0, 3) };
    }, { base: here(dir), segments });
    console.log(`# browser shape in Chromium, ${name}: ${r.pass} pass (${r.bound} with bound attributes), ${r.diffs.length ? 'DIFFERENCES' : '0 differ'}, ${r.skipped} skipped (no string key, or a bucketing key), of ${r.total}`);
    assert.deepEqual(r.diffs, []);
    assert.ok(r.pass > r.total * 0.7 && r.bound > r.total * 0.2, JSON.stringify(r));
  });
}

test('readiness, SDK_UPDATE and the ready timeout in Chromium', async () => {
  const r = await page.evaluate(async (demo) => {
    const splitChanges = JSON.parse(await (await fetch(`${demo}/splits.json`)).text());
    const factory = window.sdk.SplitFactory({ core: { key: 'alice' }, data: { splitChanges } });
    const client = factory.client();
    const events = [];
    client.on(client.Event.SDK_READY, () => events.push('ready'));
    client.on(client.Event.SDK_UPDATE, () => events.push('update'));
    await client.whenReady();
    await new Promise((r) => setTimeout(r, 0));
    factory.updateSplitChanges({ ...splitChanges, ff: { ...splitChanges.ff, s: splitChanges.ff.t, t: splitChanges.ff.t + 1 } });
    const status = client.getStatus();
    // A real SDK key whose first sync cannot succeed: SDK_READY_TIMED_OUT, whenReady rejects.
    const offline = window.sdk.SplitFactory({ core: { authorizationKey: 'browser-test-key', key: 'alice' }, urls: { sdk: 'http://127.0.0.1:9/api', events: 'http://127.0.0.1:9/api', telemetry: 'http://127.0.0.1:9/api' }, startup: { readyTimeout: 0.3 }, scheduler: { featuresRefreshRate: 3600 } });
    const timedOut = await offline.client().whenReady().then(() => 'ready', (e) => e.message);
    const offlineStatus = offline.client().getStatus();
    await factory.destroy();
    await offline.destroy();
    return { events, status, timedOut, offlineStatus };
  }, here(path.join(ROOT, 'demo')));
  assert.deepEqual(r.events, ['ready', 'update']);
  assert.equal(r.status.isReady, true);
  assert.match(r.timedOut, /SDK_READY_TIMED_OUT/);
  assert.deepEqual([r.offlineStatus.isReady, r.offlineStatus.hasTimedout], [false, true]);
});
