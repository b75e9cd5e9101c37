// End-to-end test of the demo page (www/) in a real browser: Debian's chromium driven by
// playwright-core, the page served by www/serve.mjs. It loads the demo and uploaded snapshots
// (current and legacy shapes), evaluates keys and checks every shown treatment, label and config
// against the native Rust core (examples/conformance.rs), checks that malformed uploads are
// reported and change nothing, runs distributions, and saves a screenshot:
// target/www-e2e/screenshot.png always, docs/www-demo.png (the README's) with UPDATE_SCREENSHOT=1.
//
//   node --test tests/www/          (after `make npm`; `make test-www` does both)
//
// SPLIT_EDGE_CHROMIUM=/path picks another Chromium; SPLIT_EDGE_ALLOW_NO_BROWSER=1 skips when there is none.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startStaticServer } from '../../www/serve.mjs';
import { CHROMIUM, launchChromium } from '../browser/chromium.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SNAPSHOTS = path.resolve(repo, '../shared/fixtures/snapshots');
const SCREENSHOT = path.join(repo, 'target/www-e2e/screenshot.png');
const README_SCREENSHOT = path.join(repo, 'docs/www-demo.png');
const noBrowser = !existsSync(CHROMIUM);
if (noBrowser && process.env.SPLIT_EDGE_ALLOW_NO_BROWSER !== '1') {
  throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium, or make setup-chromium), `
    + 'point SPLIT_EDGE_CHROMIUM at one, or set SPLIT_EDGE_ALLOW_NO_BROWSER=1 to skip');
}
if (!existsSync(path.join(repo, 'npm/dist/web.mjs'))) throw new Error('npm/dist/web.mjs is missing: build the package first (make npm)');

// ----- the native core's answers --------------------------------------------------------------

/** Builds the native conformance runner (a no-op when it is up to date). */
function buildNative() {
  execFileSync('cargo', ['build', '--quiet', '--release', '--example', 'conformance'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * The native core's answers (`{treatment, config, label}`) to requests
 * `{key, bucketingKey?, flag, attributes?}`, for a SplitChange file and a segments directory.
 */
function nativeAnswers(work, splitsFile, segmentsDir, requests) {
  const file = path.join(work, `requests-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, requests.map((r, id) => JSON.stringify({ id, ...r })).join('\n') + '\n');
  const out = execFileSync('cargo', ['run', '--quiet', '--release', '--example', 'conformance', '--', splitsFile, segmentsDir, file], { cwd: repo, encoding: 'utf8' });
  const answers = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(answers.length, requests.length);
  return answers.map(({ treatment, config, label }) => ({ treatment, config, label }));
}

// ----- driving the page -----------------------------------------------------------------------

const value = (page, selector) => page.$eval(selector, (el) => JSON.parse(el.dataset.value));

/** Fills the Evaluate form (attributes as JSON) and runs it; `flag` '' means all flags. */
async function runEvaluate(page, { key, bucketingKey = '', flag, attributes }) {
  await page.fill('#eval-key', key);
  await page.fill('#eval-bucketing', bucketingKey);
  await page.selectOption('#eval-flag', flag);
  if ((await page.getAttribute('#attr-tab-json', 'aria-selected')) !== 'true') await page.click('#attr-tab-json');
  await page.fill('#attr-json', attributes === undefined ? '' : JSON.stringify(attributes));
  await clickEvaluate(page);
}

async function clickEvaluate(page) {
  const runs = await page.getAttribute('#eval-result', 'data-runs');
  await page.click('#eval-run');
  await page.waitForFunction((r) => document.getElementById('eval-result').dataset.runs !== r, runs);
}

/** What the page shows for one flag. */
async function shownOne(page) {
  return {
    treatment: await value(page, '[data-testid=result-treatment]'),
    config: await value(page, '[data-testid=result-config]'),
    label: await value(page, '[data-testid=result-label]'),
  };
}

/** What the page shows for every flag: `{flag: {treatment, config, label}}`. */
async function shownAll(page) {
  return page.$$eval('[data-testid=result-all] tbody tr', (rows) => Object.fromEntries(rows.map((tr) => {
    const v = (id) => JSON.parse(tr.querySelector(`[data-testid=${id}]`).dataset.value);
    return [tr.dataset.flag, { treatment: v('all-treatment'), config: v('all-config'), label: v('all-label') }];
  })));
}

const flagNames = (page) => page.$$eval('#flag-rows tr', (rows) => rows.map((tr) => tr.dataset.flag));
const statusText = (page) => page.textContent('[data-testid=data-status]');

/** Evaluates each case for one flag, then every flag, and compares with the native core. */
async function checkAgainstNative(page, work, splitsFile, segmentsDir, cases) {
  const names = await flagNames(page);
  const single = cases.filter((c) => c.flag !== '');
  const all = cases.filter((c) => c.flag === '');
  const requests = [
    ...single.map(({ key, bucketingKey, flag, attributes }) => ({ key, ...(bucketingKey ? { bucketingKey } : {}), flag, ...(attributes ? { attributes } : {}) })),
    ...all.flatMap(({ key, bucketingKey, attributes }) => names.map((flag) => ({ key, ...(bucketingKey ? { bucketingKey } : {}), flag, ...(attributes ? { attributes } : {}) }))),
  ];
  const native = nativeAnswers(work, splitsFile, segmentsDir, requests);
  let i = 0;
  for (const c of single) {
    await runEvaluate(page, c);
    assert.deepEqual(await shownOne(page), native[i], `${c.flag} for ${JSON.stringify(c)}`);
    i += 1;
  }
  for (const c of all) {
    await runEvaluate(page, c);
    const shown = await shownAll(page);
    assert.deepEqual(Object.keys(shown), names);
    for (const flag of names) {
      assert.deepEqual(shown[flag], native[i], `${flag} (all flags) for ${JSON.stringify(c)}`);
      i += 1;
    }
  }
  return native;
}

async function upload(page, files) {
  await page.setInputFiles('#upload-files', files);
}

/** Waits until the last load finished (successfully or not). */
async function settled(page) {
  await page.waitForSelector('[data-testid=data-status]:not([data-state=loading])');
}

// ----- the test -------------------------------------------------------------------------------

// Built before any test timeout runs: a cold release build takes minutes on 2 cores.
if (!noBrowser) buildNative();

describe('the demo page (www/) in Chromium', { skip: noBrowser && 'no Chromium (SPLIT_EDGE_ALLOW_NO_BROWSER=1)', timeout: 300_000 }, () => {
  let server;
  let context;
  let page;
  let work;
  let browser;
  let demoSegments;
  const problems = []; // console errors, page errors, failed requests

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'split-edge-www-'));
    server = await startStaticServer({ port: 0 });
    const origin = server.url.replace(/\/$/, '');
    browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
    context = browser.context;
    // Nothing leaves the machine: only the local server answers.
    await context.route('**/*', (route) => (route.request().url().startsWith(`${origin}/`) ? route.continue() : route.abort()));
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`[console.${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`[pageerror] ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
    demoSegments = path.join(repo, 'demo/segments');
  });

  after(async () => {
    if (page) {
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => undefined);
      if (process.env.UPDATE_SCREENSHOT === '1') {
        mkdirSync(path.dirname(README_SCREENSHOT), { recursive: true });
        copyFileSync(SCREENSHOT, README_SCREENSHOT);
      }
    }
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loads the page and the demo snapshot', async () => {
    await page.goto(`${server.url}www/`);
    await page.waitForSelector('[data-testid=data-status][data-state=ready]');
    assert.match(await statusText(page), /the demo snapshot: 8 flags, 1 rule-based segment, 2 segments/);
    assert.equal(await page.isVisible('[data-testid=boot]'), false);
    assert.equal(await page.isVisible('[data-testid=load-error]'), false);
  });

  it('lists the flags from the manager and searches them', async () => {
    const names = await flagNames(page);
    assert.deepEqual(names, ['new_checkout', 'dark_mode', 'payment_provider', 'legacy_banner', 'checkout_upsell', 'premium_support', 'search_ranking', 'account_dashboard']);
    assert.equal(await page.textContent('[data-testid=flag-count]'), '8 flags');
    const row = await page.$$eval('#flag-rows tr[data-flag=legacy_banner] td', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(row, ['user', 'frontend', 'killed', 'on', '1700000000400']);

    await page.fill('[data-testid=flag-search]', 'checkout');
    const visible = () => page.$$eval('#flag-rows tr:not([hidden])', (rows) => rows.map((tr) => tr.dataset.flag));
    assert.deepEqual(await visible(), ['new_checkout', 'payment_provider', 'checkout_upsell']); // by name or set
    assert.equal(await page.textContent('[data-testid=flag-count]'), '3 of 8 flags');
    await page.fill('[data-testid=flag-search]', 'account');
    assert.deepEqual(await visible(), ['account_dashboard']); // by traffic type too
    await page.fill('[data-testid=flag-search]', '');
    assert.equal((await visible()).length, 8);
  });

  it('shows a flag\'s rules readably', async () => {
    await page.click('#flag-rows tr[data-flag=premium_support]');
    assert.equal(await page.textContent('[data-testid=rules-flag]'), 'premium_support');
    const rules = await page.textContent('[data-testid=rules]');
    assert.match(rules, /#1 ROLLOUT “high value users”/);
    assert.match(rules, /key is in rule-based segment high_value_users/);
    assert.match(rules, /Excluded keys: fraud_1/);
    assert.match(rules, /attribute purchases ≥ 1000/);
    await page.click('#flag-rows tr[data-flag=new_checkout]');
    assert.match(await page.textContent('[data-testid=rules]'), /80%.*20% of keys skip the ROLLOUT conditions/s);
    assert.equal(await page.inputValue('#eval-flag'), 'new_checkout'); // selecting a flag makes it the one evaluated
  });

  it('evaluates the demo as the native core does, one flag and all flags', async () => {
    const pro = { plan: 'pro', app_version: '2.3.1', email: 'alice@split.io', purchases: 1500 };
    await checkAgainstNative(page, work, path.join(repo, 'demo/splits.json'), demoSegments, [
      { key: 'alice', flag: 'new_checkout', attributes: pro },
      ...['user-0', 'user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'user-7'].map((key) => ({ key, flag: 'new_checkout' })),
      { key: 'bob', flag: 'checkout_upsell' },
      { key: 'user-1', flag: 'checkout_upsell' },
      { key: 'user-2', flag: 'checkout_upsell' },
      { key: 'carol', flag: 'premium_support', attributes: { purchases: 2000 } },
      { key: 'fraud_1', flag: 'premium_support', attributes: { purchases: 2000 } },
      { key: 'erin', flag: 'premium_support', attributes: { email: 'erin@bigcorp.com' } },
      { key: 'erin', flag: 'dark_mode', attributes: { plan: 'free', app_version: '3.0.0' } },
      { key: 'erin', flag: 'dark_mode', attributes: { plan: 'enterprise', app_version: '2.0.0' } },
      { key: 'erin', flag: 'search_ranking', attributes: { plan: 'pro', app_version: '2.1.0' } },
      { key: 'erin', flag: 'search_ranking', attributes: { email: 'erin@harness.io' } },
      { key: 'acme', flag: 'account_dashboard', attributes: { features: ['reports', 'billing'] } },
      { key: 'u', flag: 'legacy_banner' },
      { key: 'u', flag: 'payment_provider', attributes: { age: 0 } },
      { key: 'alice', bucketingKey: 'bucket-9', flag: 'payment_provider' },
      { key: 'alice', flag: '', attributes: pro },
      { key: 'zed', bucketingKey: 'z', flag: '', attributes: { plan: 'free', features: ['analytics'] } },
    ]);
  });

  it('explains decisions: the matching condition, buckets and why earlier ones did not match', async () => {
    await runEvaluate(page, { key: 'carol', flag: 'premium_support', attributes: { purchases: 2000 } });
    let text = await page.textContent('[data-testid=explanation]');
    assert.match(text, /#1 ROLLOUT “high value users” did not match: ✗ key is in rule-based segment high_value_users/);
    assert.match(text, /#2 ROLLOUT “default rule” matched: ✓ all keys/);
    assert.match(text, /Partition bucket \d+ .* picks off/);

    // A key outside new_checkout's 80% traffic allocation (found by the core, not assumed).
    let outside;
    for (let i = 0; i < 40 && !outside; i++) {
      await runEvaluate(page, { key: `user-${i}`, flag: 'new_checkout' });
      if ((await value(page, '[data-testid=result-label]')) === 'not in split') outside = `user-${i}`;
    }
    assert.ok(outside, 'some key among user-0..39 is outside the allocation');
    text = await page.textContent('[data-testid=explanation]');
    assert.match(text, /#1 WHITELIST “beta testers” did not match: ✗ key is in segment beta_testers/);
    assert.match(text, /traffic bucket is (\d+), above the traffic allocation of 80%/);

    await runEvaluate(page, { key: 'user-2', flag: 'checkout_upsell' });
    if ((await value(page, '[data-testid=result-label]')) === 'prerequisites not met') {
      assert.match(await page.textContent('[data-testid=explanation]'), /✗ flag new_checkout gives off .* needs one of on/);
    }
    await runEvaluate(page, { key: 'u', flag: 'legacy_banner' });
    assert.match(await page.textContent('[data-testid=explanation]'), /The flag is killed/);

    // From the all-flags table, "Why?" explains one row.
    await runEvaluate(page, { key: 'erin', flag: '', attributes: { email: 'erin@harness.io' } });
    await page.click('[data-testid=result-all] tr[data-flag=search_ranking] button');
    assert.equal(await value(page, '#all-detail [data-testid=result-treatment]'), 'ml_v2');
    assert.match(await page.textContent('#all-detail [data-testid=explanation]'), /#1 ROLLOUT “employees” matched: ✓ attribute email matches the regular expression .* \(email = "erin@harness.io"\)/);
  });

  it('edits attributes as typed fields', async () => {
    await runEvaluate(page, { key: 'erin', flag: 'dark_mode', attributes: { plan: 'pro', app_version: '2.5.0' } });
    const asJson = await shownOne(page);
    await page.click('[data-testid=attr-tab-fields]');
    assert.deepEqual(await page.$$eval('#attr-fields .attr-name', (els) => els.map((e) => e.value)), ['plan', 'app_version']);
    await clickEvaluate(page);
    assert.deepEqual(await shownOne(page), asJson);
    assert.equal(asJson.label, 'paid plans on app 2.0+');
    // Change a field: an older app version no longer matches.
    await page.fill('#attr-fields .attr-row:nth-child(2) .attr-value', '1.9.0');
    await clickEvaluate(page);
    assert.equal((await shownOne(page)).label, 'default rule');
    // A typed number, and back to JSON.
    await page.click('[data-testid=attr-add]');
    await page.fill('#attr-fields .attr-row:nth-child(3) .attr-name', 'purchases');
    await page.selectOption('#attr-fields .attr-row:nth-child(3) .attr-type', 'number');
    await page.fill('#attr-fields .attr-row:nth-child(3) .attr-value', '1200');
    await page.click('[data-testid=attr-tab-json]');
    assert.deepEqual(JSON.parse(await page.inputValue('#attr-json')), { plan: 'pro', app_version: '1.9.0', purchases: 1200 });
    // Invalid JSON is reported in the page, not evaluated.
    await page.fill('#attr-json', '{"plan": ');
    await page.click('#eval-run');
    assert.match(await page.textContent('[data-testid=attr-error]'), /not valid JSON/);
  });

  it('loads an uploaded snapshot (ff/rbs shape with its segments) and evaluates it as the native core does', async () => {
    const files = ['python-client-splitChanges.json', 'python-client-segmentEmployeesChanges.json', 'python-client-segmentHumanBeignsChanges.json']
      .map((f) => path.join(SNAPSHOTS, f));
    await upload(page, files);
    await page.waitForFunction(() => /python-client-splitChanges\.json/.test(document.getElementById('data-status').textContent));
    await settled(page);
    assert.match(await statusText(page), /9 flags, 1 rule-based segment, 2 segments \(employees, human_beigns\)/);
    assert.equal(await page.isVisible('[data-testid=load-error]'), false);
    const segs = path.join(work, 'python-segments');
    mkdirSync(segs);
    for (const f of files.slice(1)) copyFileSync(f, path.join(segs, path.basename(f)));
    await checkAgainstNative(page, work, files[0], segs, [
      { key: 'employee_1', flag: 'sample_feature' },
      { key: 'user1', flag: 'sample_feature' },
      { key: 'whitelisted_user', flag: 'whitelist_feature' },
      { key: 'abc1', flag: 'prereq_feature' },
      { key: 'gaston@split.io', flag: 'rbs_feature_flag', attributes: { email: 'gaston@split.io' } },
      { key: 'user3', flag: '', attributes: { email: 'user3@split.io' } },
      { key: 'abc7', flag: '' },
    ]);
  });

  it('loads a legacy {splits, since, till} snapshot, keeping the loaded segments', async () => {
    const file = path.join(SNAPSHOTS, 'java-client-split_old_spec.json');
    await upload(page, [file]);
    await page.waitForFunction(() => /java-client-split_old_spec\.json/.test(document.getElementById('data-status').textContent));
    await settled(page);
    assert.match(await statusText(page), /7 flags, 0 rule-based segments, 2 segments/);
    assert.equal((await flagNames(page)).length, 7);
    await checkAgainstNative(page, work, file, path.join(work, 'python-segments'), [
      { key: 'user-1', flag: 'split_1' },
      { key: 'user-2', flag: 'split_4' },
      { key: 'k', flag: '' },
      { key: 'employee_1', bucketingKey: 'b', flag: '' },
    ]);
  });

  it('reports a malformed upload in the page and keeps the previous data serving', async () => {
    const before = await statusText(page);
    const names = await flagNames(page);
    await runEvaluate(page, { key: 'user-1', flag: 'split_1' });
    const answer = await shownOne(page);

    const badFlag = path.join(work, 'bad-flag.json');
    writeFileSync(badFlag, JSON.stringify({ ff: { d: [{ name: 'broken_flag', trafficTypeName: 'user', conditions: [{ partitions: 'fifty-fifty' }] }], s: -1, t: 5 }, rbs: { d: [], s: -1, t: 5 } }));
    await upload(page, [badFlag]);
    await page.waitForSelector('[data-testid=load-error]:not([hidden])');
    let error = await page.textContent('[data-testid=load-error]');
    assert.match(error, /bad-flag\.json: feature flag #0 "broken_flag" is malformed at `conditions\[0\]\.partitions`/);
    assert.match(error, /Nothing changed: java-client-split_old_spec\.json \(uploaded\) is still loaded/);

    const badJson = path.join(work, 'truncated.json');
    writeFileSync(badJson, '{\n  "ff": {\n    "d": [\n');
    await upload(page, [badJson]);
    await page.waitForFunction(() => /truncated\.json/.test(document.getElementById('load-error').textContent));
    error = await page.textContent('[data-testid=load-error]');
    assert.match(error, /truncated\.json is not valid JSON: .*line/);

    const notABody = path.join(work, 'config.json');
    writeFileSync(notABody, '{"hello": "world"}');
    await upload(page, [notABody]);
    await page.waitForFunction(() => /config\.json/.test(document.getElementById('load-error').textContent));
    assert.match(await page.textContent('[data-testid=load-error]'), /neither a SplitChange .* nor a SegmentChange/);

    await settled(page);
    assert.equal(await statusText(page), before);
    assert.deepEqual(await flagNames(page), names);
    await runEvaluate(page, { key: 'user-1', flag: 'split_1' });
    assert.deepEqual(await shownOne(page), answer);
  });

  it('reloads the demo and applies a pasted SegmentChange on top of it', async () => {
    await page.click('[data-testid=load-demo]');
    await page.waitForFunction(() => /the demo snapshot/.test(document.getElementById('data-status').textContent));
    await settled(page);
    assert.equal(await page.isVisible('[data-testid=load-error]'), false);
    await page.click('#paste-box summary');
    await page.fill('[data-testid=paste-segments]', JSON.stringify({ name: 'beta_testers', added: ['zed'], removed: ['bob'], since: 1700000000010, till: 1700000000011 }));
    await page.click('[data-testid=load-paste]');
    await page.waitForFunction(() => /pasted JSON/.test(document.getElementById('data-status').textContent));
    const segs = path.join(work, 'demo-pasted');
    mkdirSync(segs);
    copyFileSync(path.join(demoSegments, 'internal_staff.json'), path.join(segs, 'internal_staff.json'));
    writeFileSync(path.join(segs, 'beta_testers.json'), JSON.stringify({ name: 'beta_testers', added: ['alice', 'user_7', 'zed'], removed: [], since: -1, till: 1700000000011 }));
    const native = await checkAgainstNative(page, work, path.join(repo, 'demo/splits.json'), segs, [
      { key: 'zed', flag: 'new_checkout' },
      { key: 'bob', flag: 'new_checkout' },
    ]);
    assert.equal(native[0].label, 'beta testers');
    assert.notEqual(native[1].label, 'beta testers');
    await page.fill('[data-testid=paste-segments]', '');
    await page.click('#paste-box summary');
    await page.click('[data-testid=load-demo]');
    await page.waitForFunction(() => /the demo snapshot/.test(document.getElementById('data-status').textContent));
    await settled(page);
  });

  /** Runs a distribution; returns `{treatment: {observed, expected}}`, the rate and the timer ticks seen while it ran. */
  async function distribution(flag, n) {
    await page.selectOption('#dist-flag', flag);
    await page.fill('#dist-n', String(n));
    // Counts timer callbacks during the run: a page that never yields would get none.
    await page.evaluate(() => {
      window.__ticks = 0;
      window.__ticker = setInterval(() => { window.__ticks += 1; }, 10);
    });
    await page.click('[data-testid=dist-run]');
    await page.waitForSelector('[data-testid=dist-result][data-state=done]', { timeout: 60_000 });
    const ticks = await page.evaluate(() => {
      clearInterval(window.__ticker);
      return window.__ticks;
    });
    assert.equal(await page.$eval('#dist-progress', (p) => p.value), n);
    assert.equal(await page.textContent('[data-testid=dist-progress-text]'), `${n.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} keys`);
    const bars = await page.$$eval('[data-testid=dist-chart] g.bar-row', (gs) => Object.fromEntries(gs.map((g) => [g.dataset.treatment, { observed: Number(g.dataset.observed), expected: g.dataset.expected === '' ? null : Number(g.dataset.expected) }])));
    const rate = Number(await page.getAttribute('[data-testid=dist-rate]', 'data-value'));
    return { bars, rate, ticks };
  }

  it('runs distributions: progress, a chart per treatment, shares near the configured ones, evaluations/s', async () => {
    let d = await distribution('new_checkout', 20_000);
    assert.deepEqual(Object.keys(d.bars), ['on', 'off']);
    assert.equal(d.bars.on.expected, 0.4); // 80% allocation × 50%
    assert.equal(d.bars.off.expected, 0.6); // 80% × 50% + the 20% outside the allocation
    for (const t of ['on', 'off']) assert.ok(Math.abs(d.bars[t].observed - d.bars[t].expected) < 0.02, `${t}: ${JSON.stringify(d.bars[t])}`);
    assert.ok(d.rate > 1000, `evaluations/s: ${d.rate}`);
    assert.ok(d.ticks > 0, 'the page handled timers during the run');
    assert.match(await page.textContent('[data-testid=dist-result]'), /traffic allocation of 80%/);

    d = await distribution('payment_provider', 30_000);
    assert.deepEqual(Object.keys(d.bars), ['stripe', 'adyen', 'braintree']);
    for (const t of Object.keys(d.bars)) assert.ok(Math.abs(d.bars[t].observed - d.bars[t].expected) < 0.02, `${t}: ${JSON.stringify(d.bars[t])}`);

    d = await distribution('legacy_banner', 1_000);
    assert.deepEqual(d.bars, { off: { observed: 1, expected: 1 } }); // killed: everyone gets the default
  });

  it('stays responsive during a 100,000-key run and can cancel one', async () => {
    await page.selectOption('#dist-flag', 'new_checkout');
    await page.fill('#dist-n', '100000');
    // Samples the progress bar from a timer: a page that did not yield would show no value in between.
    await page.evaluate(() => {
      window.__seen = new Set();
      window.__sampler = setInterval(() => window.__seen.add(Number(document.getElementById('dist-progress').value)), 5);
    });
    await page.click('[data-testid=dist-run]');
    await page.waitForSelector('[data-testid=dist-result][data-state=done]', { timeout: 60_000 });
    const seen = await page.evaluate(() => {
      clearInterval(window.__sampler);
      return [...window.__seen];
    });
    const between = seen.filter((v) => v > 0 && v < 100_000);
    assert.ok(between.length >= 2, `progress values seen during the run: ${seen.join(', ')}`);
    assert.equal(await page.$eval('#dist-progress', (p) => p.value), 100_000);

    // Cancel from a timer as soon as the run has started (the click is handled between chunks).
    await page.evaluate(() => new Promise((resolve) => {
      document.getElementById('dist-run').click();
      const poll = setInterval(() => {
        if (Number(document.getElementById('dist-progress').value) > 0) {
          document.getElementById('dist-cancel').click();
          clearInterval(poll);
          resolve();
        }
      }, 0);
    }));
    await page.waitForSelector('[data-testid=dist-result][data-state=cancelled]', { timeout: 60_000 });
    assert.match(await page.textContent('[data-testid=dist-result]'), /cancelled after [\d,]+ of 100,000/);
  });

  it('leaves the page in a state worth a screenshot, with no console or page errors', async () => {
    await runEvaluate(page, { key: 'user-5', flag: 'new_checkout', attributes: { plan: 'pro', app_version: '2.3.1' } });
    await page.click('#flag-rows tr[data-flag=new_checkout]');
    await distribution('new_checkout', 20_000);
    await page.evaluate(() => window.scrollTo(0, 0));
    assert.deepEqual(problems, []);
  });
});
