// The playground page (www/) loading the data a running Worker serves: headless Chromium on the
// page, the built Worker in workerd (Miniflare) on a real port, `GET /admin/snapshot` across
// origins with the environment's token. A wrong token is reported and keeps the data loaded;
// the right one loads the Worker's flags, and the page then answers as the Worker does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, call, root, ADMIN } from './helpers.mjs';
import { startStaticServer } from '../../www/serve.mjs';
import { CHROMIUM, launchChromium } from '../browser/chromium.mjs';

const TOKEN = 'page-token';
const SNAPSHOTS = join(root, '..', 'shared', 'fixtures', 'snapshots');

test('the page fetches and evaluates the snapshot a Worker serves', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(join(root, 'npm', 'dist', 'web.mjs')), 'build the npm package first (make npm)');
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (make setup-chromium)`);
  const site = await startStaticServer({ root, port: 0 });
  // The page's origin may read the Worker's snapshot (SPLIT_EDGE_ADMIN_ORIGINS, as `make run` sets it).
  const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN, SPLIT_EDGE_ADMIN_ORIGINS: new URL(site.url).origin }, false, { host: '127.0.0.1', port: 0 });
  const workerUrl = (await mf.ready).origin;
  const push = async (path, file) => {
    const r = await call(mf, path, { method: 'POST', auth: TOKEN, admin: ADMIN, body: readFileSync(join(SNAPSHOTS, file), 'utf8') });
    assert.equal(r.status, 200, r.text);
  };
  await push('/admin/split-changes', 'python-client-splitChanges.json');
  await push('/admin/segment-changes', 'python-client-segmentEmployeesChanges.json');
  await push('/admin/segment-changes', 'python-client-segmentHumanBeignsChanges.json');
  const names = (await call(mf, '/manager/names', { auth: TOKEN })).json.splits;
  const browser = await launchChromium();
  const { context } = browser;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${site.url}www/`);
    await page.waitForSelector('[data-testid=data-status][data-state=ready]');
    const demoCount = await page.textContent('[data-testid=flag-count]');
    await page.click('#worker-box summary');
    await page.fill('[data-testid=worker-url]', workerUrl);

    // A wrong token: the Worker's 401 is shown, the demo stays.
    await page.fill('[data-testid=worker-token]', 'wrong');
    await page.click('[data-testid=worker-fetch]');
    await page.waitForSelector('[data-testid=load-error]:not([hidden])');
    assert.match(await page.textContent('[data-testid=load-error]'), /401/);
    assert.equal(await page.textContent('[data-testid=flag-count]'), demoCount);

    // The right one: the Worker's flags.
    await page.fill('[data-testid=worker-token]', TOKEN);
    await page.click('[data-testid=worker-fetch]');
    await page.waitForFunction((n) => document.getElementById('flag-count').textContent.startsWith(`${n} flag`), names.length);
    assert.ok(await page.isHidden('[data-testid=load-error]'));
    assert.match(await page.textContent('[data-testid=data-status]'), new RegExp(workerUrl.replace(/[.:/]/g, '\\$&')));

    // Every flag for a few keys: the page's answers are the Worker's.
    await page.selectOption('#eval-flag', '');
    if ((await page.getAttribute('#attr-tab-json', 'aria-selected')) !== 'true') await page.click('#attr-tab-json');
    const attributes = { email: 'someone@split.io', age: 30 };
    await page.fill('#attr-json', JSON.stringify(attributes));
    for (const key of ['user1', 'employee_1', 'human_1', 'nico', 'mauro@split.io']) {
      const runs = await page.getAttribute('#eval-result', 'data-runs');
      await page.fill('#eval-key', key);
      await page.fill('#eval-bucketing', '');
      await page.click('#eval-run');
      await page.waitForFunction((r) => document.getElementById('eval-result').dataset.runs !== r, runs);
      const shown = await page.$$eval('[data-testid=result-all] tbody tr', (rows) => Object.fromEntries(rows.map((tr) => {
        const v = (id) => JSON.parse(tr.querySelector(`[data-testid=${id}]`).dataset.value);
        return [tr.dataset.flag, { treatment: v('all-treatment'), config: v('all-config') }];
      })));
      const query = new URLSearchParams({ key, 'split-names': names.join(','), attributes: JSON.stringify(attributes) });
      const served = await call(mf, `/client/get-treatments-with-config?${query}`, { auth: TOKEN });
      assert.equal(served.status, 200);
      for (const name of names) assert.deepEqual(shown[name], served.json[name], `${key} ${name}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await site.close();
    await mf.dispose();
  }
});
