// OFREP on the Worker, through OpenFeature's own packages from npm: the server SDK with the OFREP
// provider (every request of the three corpora, one flag per call), the web SDK with the OFREP
// web provider (bulk evaluation per context, in Node and in headless Chromium), and the
// protocol's details (ETag / 304, errors, CORS) with plain fetch. The answers must be those of
// get-treatment-with-config, i.e. the corpora's expected.jsonl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OpenFeature as ServerOpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature as WebOpenFeature } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { build } from 'esbuild';
import { pushFolder, root, start } from './helpers.mjs';
import { contextOf as anyContextOf, matches } from '../openfeature/corpus.mjs';
import { startStaticServer } from '../../www/serve.mjs';
import { CHROMIUM, launchChromium } from '../browser/chromium.mjs';
import { existsSync } from 'node:fs';

const TOKEN = 'ofrep-token';
const CORPORA = resolve(root, '..', 'shared', 'conformance');
const lines = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
/** How many distinct contexts of each corpus the web provider evaluates (each a bulk call). */
const WEB_CONTEXTS = 150;
/** Flag names go in the URL path: only those that need no encoding. */
const contextOf = (req) => anyContextOf(req, { urlSafe: true });

describe('OFREP through OpenFeature providers', () => {
  const workers = {};
  before(async () => {
    for (const name of ['clean', 'mixed', 'edge']) {
      const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN }, false, { host: '127.0.0.1', port: 0 });
      const url = (await mf.ready).origin;
      await pushFolder(mf, join(CORPORA, name), TOKEN);
      workers[name] = { mf, url };
    }
  });
  after(async () => {
    for (const w of Object.values(workers)) await w.mf.dispose();
  });

  for (const name of ['clean', 'mixed', 'edge']) {
    test(`server provider: ${name} corpus`, { timeout: 300_000 }, async () => {
      const { url } = workers[name];
      const requests = lines(join(CORPORA, name, 'requests.jsonl'));
      const expected = lines(join(CORPORA, name, 'expected.jsonl'));
      await ServerOpenFeature.setProviderAndWait(name, new OFREPProvider({ baseUrl: url, headers: [['Authorization', TOKEN]] }));
      const client = ServerOpenFeature.getClient(name);
      let pass = 0, skipped = 0;
      const diffs = [];
      let next = 0;
      const run = async () => {
        while (next < requests.length) {
          const i = next++;
          const ctx = contextOf(requests[i]);
          if (!ctx) { skipped++; continue; }
          const details = await client.getStringDetails(requests[i].flag, 'default', ctx);
          if (matches(details, expected[i])) pass++;
          else diffs.push({ request: requests[i], expected: expected[i], got: details });
        }
      };
      await Promise.all(Array.from({ length: 16 }, run));
      console.log(`# OFREP server provider, ${name}: ${pass} pass, ${diffs.length} differ, ${skipped} not expressible in OpenFeature, of ${requests.length}`);
      assert.deepEqual(diffs.slice(0, 3), []);
      assert.ok(pass > requests.length * 0.9, `${pass} of ${requests.length}`);
    });
  }

  test('server provider: typed and config values; bad tokens', async () => {
    const { url } = workers.clean;
    const requests = lines(join(CORPORA, 'clean', 'requests.jsonl'));
    const expected = lines(join(CORPORA, 'clean', 'expected.jsonl'));
    await ServerOpenFeature.setProviderAndWait('typed', new OFREPProvider({ baseUrl: url, headers: [['Authorization', TOKEN], ['X-Split-Value', 'typed']] }));
    await ServerOpenFeature.setProviderAndWait('config', new OFREPProvider({ baseUrl: url, headers: [['Authorization', TOKEN], ['X-Split-Value', 'config']] }));
    const typed = ServerOpenFeature.getClient('typed');
    const config = ServerOpenFeature.getClient('config');
    let booleans = 0, objects = 0;
    for (let i = 0; i < 400; i++) {
      const exp = expected[i];
      const ctx = contextOf(requests[i]);
      if (!ctx || exp.treatment === 'control') continue;
      if (exp.treatment === 'on' || exp.treatment === 'off') {
        const d = await typed.getBooleanDetails(requests[i].flag, exp.treatment === 'off', ctx);
        assert.equal(d.value, exp.treatment === 'on', JSON.stringify(d));
        booleans++;
      }
      const d = await config.getObjectDetails(requests[i].flag, { fallback: true }, ctx);
      assert.deepEqual(d.value, exp.config === null ? null : JSON.parse(exp.config), JSON.stringify(d));
      objects++;
    }
    assert.ok(booleans > 20 && objects > 100, `${booleans} booleans, ${objects} objects`);
    // A string flag read as a boolean in treatment mode: OpenFeature's TYPE_MISMATCH.
    const plain = ServerOpenFeature.getClient('clean');
    const i = expected.findIndex((e) => e.treatment === 'on');
    const mismatch = await plain.getBooleanDetails(requests[i].flag, false, contextOf(requests[i]));
    assert.equal(mismatch.errorCode, 'TYPE_MISMATCH');
    await ServerOpenFeature.setProviderAndWait('wrong', new OFREPProvider({ baseUrl: url, headers: [['Authorization', 'nope']] }));
    const wrong = await ServerOpenFeature.getClient('wrong').getStringDetails(requests[i].flag, 'default', contextOf(requests[i]));
    assert.equal(wrong.value, 'default');
    assert.equal(wrong.reason, 'ERROR');
  });

  test('web provider in Node: bulk evaluation per context', { timeout: 300_000 }, async () => {
    for (const name of ['clean', 'mixed', 'edge']) {
      const { url } = workers[name];
      const requests = lines(join(CORPORA, name, 'requests.jsonl'));
      const expected = lines(join(CORPORA, name, 'expected.jsonl'));
      const provider = new OFREPWebProvider({ baseUrl: url, headers: [['Authorization', TOKEN]], pollInterval: 0, cacheMode: 'disabled' });
      const rows = requests.map((r, i) => ({ ctx: contextOf(r), req: r, exp: expected[i] }))
        .filter((r) => r.ctx && typeof r.ctx.targetingKey === 'string' && r.exp.label !== null).slice(0, WEB_CONTEXTS);
      await WebOpenFeature.setProviderAndWait(`web-${name}`, provider, rows[0].ctx);
      const client = WebOpenFeature.getClient(`web-${name}`);
      let pass = 0;
      for (const row of rows) {
        await WebOpenFeature.setContext(`web-${name}`, row.ctx);
        const details = client.getStringDetails(row.req.flag, 'default');
        assert.ok(matches(details, row.exp), JSON.stringify({ row, details }));
        pass++;
      }
      console.log(`# OFREP web provider (Node), ${name}: ${pass} contexts, every flag evaluated per context, ${pass} answers checked`);
      await WebOpenFeature.clearProviders?.();
    }
  });

  test('bulk route: ETag and 304, errors, CORS', async () => {
    const { url } = workers.clean;
    const post = (path, body, headers = {}) => fetch(`${url}${path}`, {
      method: 'POST', body, headers: { authorization: TOKEN, 'content-type': 'application/json', ...headers },
    });
    const ctx = JSON.stringify({ context: { targetingKey: 'user-1', plan: 'pro' } });
    const first = await post('/ofrep/v1/evaluate/flags', ctx);
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    const flags = (await first.json()).flags;
    assert.ok(flags.length > 10 && flags.every((f) => typeof f.key === 'string' && ('value' in f || 'errorCode' in f)));
    const again = await post('/ofrep/v1/evaluate/flags', ctx, { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const other = await post('/ofrep/v1/evaluate/flags', JSON.stringify({ context: { targetingKey: 'user-2' } }), { 'if-none-match': etag });
    assert.equal(other.status, 200);
    assert.notEqual(other.headers.get('etag'), etag);
    const noKey = await post('/ofrep/v1/evaluate/flags', '{"context":{}}');
    assert.equal(noKey.status, 400);
    assert.equal((await noKey.json()).errorCode, 'TARGETING_KEY_MISSING');
    const missing = await post('/ofrep/v1/evaluate/flags/no_such_flag', ctx);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { key: 'no_such_flag', errorCode: 'FLAG_NOT_FOUND', errorDetails: 'no feature flag named "no_such_flag"' });
    const bad = await post('/ofrep/v1/evaluate/flags/no_such_flag', '{oops');
    assert.equal((await bad.json()).errorCode, 'PARSE_ERROR');
    const unauthorized = await fetch(`${url}/ofrep/v1/evaluate/flags`, { method: 'POST', body: ctx });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('access-control-allow-origin'), '*');
    const preflight = await fetch(`${url}/ofrep/v1/evaluate/flags`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers'), /authorization/);
    assert.match(preflight.headers.get('access-control-expose-headers'), /etag/);
  });

  test('web provider in headless Chromium', { timeout: 180_000 }, async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make setup-chromium)`);
    const dir = mkdtempSync(join(tmpdir(), 'split-edge-ofrep-'));
    const { url } = workers.mixed;
    const requests = lines(join(CORPORA, 'mixed', 'requests.jsonl'));
    const expected = lines(join(CORPORA, 'mixed', 'expected.jsonl'));
    const rows = requests.map((r, i) => ({ ctx: contextOf(r), flag: r.flag, exp: expected[i] }))
      .filter((r) => r.ctx && typeof r.ctx.targetingKey === 'string' && r.exp.label !== null).slice(0, 60);
    writeFileSync(join(dir, 'entry.mjs'), `
      import { OpenFeature } from '@openfeature/web-sdk';
      import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
      window.evaluate = async (url, token, rows) => {
        const provider = new OFREPWebProvider({ baseUrl: url, headers: [['Authorization', token]], pollInterval: 0, cacheMode: 'disabled' });
        await OpenFeature.setProviderAndWait(provider, rows[0].ctx);
        const client = OpenFeature.getClient();
        const out = [];
        for (const row of rows) {
          await OpenFeature.setContext(row.ctx);
          const d = client.getStringDetails(row.flag, 'default');
          out.push({ value: d.value, variant: d.variant, errorCode: d.errorCode, flagMetadata: d.flagMetadata });
        }
        return out;
      };`);
    await build({ entryPoints: [join(dir, 'entry.mjs')], bundle: true, format: 'iife', outfile: join(dir, 'bundle.js'), nodePaths: [join(root, 'node_modules')], logLevel: 'silent' });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script src="bundle.js"></script>');
    const site = await startStaticServer({ root: dir, port: 0 });
    const browser = await launchChromium();
    try {
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      await page.goto(`${site.url}index.html`);
      const results = await page.evaluate(([u, t, r]) => window.evaluate(u, t, r), [url, TOKEN, rows.map(({ ctx, flag }) => ({ ctx, flag }))]);
      results.forEach((d, i) => assert.ok(matches(d, rows[i].exp), JSON.stringify({ row: rows[i], d })));
      console.log(`# OFREP web provider (Chromium), mixed: ${results.length} contexts checked`);
    } finally {
      await browser.close();
      await site.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
