#!/usr/bin/env node
// The conformance corpora through the split-edge npm package in headless Chromium.
//
//   node tests/browser/conformance.mjs [--check] [CORPUS_DIR...] [--out DIR]
//       serves npm/dist, tests/conformance-core.mjs and the corpora from a node:http server on
//       127.0.0.1 (random port), opens a page that imports /dist/web.mjs, calls `await init()` and
//       answers every request of each corpus (default: ../shared/conformance/{clean,mixed,edge}) with
//       the logic Node uses (tests/conformance-core.mjs), then compares with expected.jsonl. Prints
//       mismatches and a summary per corpus; exits 1 on any difference or error. `--out DIR` also
//       writes each corpus' answers to DIR/NAME.jsonl (the native runner's output format, to diff).
//
// Chromium: Debian's (`apt-get install -y chromium`, ~30 s), driven by playwright-core (a
// devDependency; it downloads no browser). Another binary: SPLIT_EDGE_CHROMIUM=/path. When Chromium
// is not installed the run fails, unless SPLIT_EDGE_ALLOW_NO_BROWSER=1 is set: then it prints that it
// skipped and exits 0.

import { createServer } from 'node:http';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launchChromium } from './chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const DIST = path.join(repo, 'npm/dist');
const CORE = path.join(repo, 'tests/conformance-core.mjs');
const DEFAULT_CORPORA = ['clean', 'mixed', 'edge'].map((d) => path.resolve(repo, '../shared/conformance', d));
const TIMEOUT_MS = 120_000;

const TYPES = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.jsonl': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>split-edge conformance</title>
<script type="module">
import { init, SplitFactory, version } from '/dist/web.mjs';
import { checkCorpus, segmentFileNames } from '/tests/conformance-core.mjs';

async function text(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
  return res.text();
}

// Runs corpus number i of the server's list: its files are under /corpus/i/.
window.runCorpus = async (i) => {
  const base = '/corpus/' + i + '/';
  const manifest = JSON.parse(await text(base + 'manifest.json'));
  const segmentNames = segmentFileNames(manifest.segments);
  const [splits, requests, expected, ...segments] = await Promise.all([
    text(base + 'splits.json'),
    text(base + 'requests.jsonl'),
    text(base + 'expected.jsonl'),
    ...segmentNames.map((f) => text(base + 'segments/' + encodeURIComponent(f))),
  ]);
  const t0 = performance.now();
  const r = await checkCorpus(SplitFactory, manifest.name, { splits, segments, requests, expected });
  return { name: manifest.name, ms: performance.now() - t0, lines: r.lines, failed: r.result.failed, passed: r.result.passed, report: r.report };
};

try {
  const t0 = performance.now();
  await init();
  window.initMs = performance.now() - t0;
  window.packageVersion = version;
  window.conformanceReady = true;
} catch (e) {
  window.conformanceError = String(e && e.stack || e);
}
</script>
`;

function parseArgs(argv) {
  const dirs = [];
  let out;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') continue;
    if (a === '--out') {
      out = argv[++i];
      if (!out) throw new Error('--out needs a directory');
    } else if (a.startsWith('--')) {
      throw new Error(`unknown option ${a}`);
    } else {
      dirs.push(path.resolve(a));
    }
  }
  return { dirs: dirs.length ? dirs : DEFAULT_CORPORA, out };
}

/** A file under `root` for a URL path below it, or undefined if it escapes `root`. */
function inside(root, rel) {
  const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  return file === root || file.startsWith(root + path.sep) ? file : undefined;
}

function startServer(dirs) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const p = decodeURIComponent(url.pathname);
      let file;
      let body;
      if (p === '/' || p === '/index.html') {
        body = PAGE;
        file = 'index.html';
      } else if (p === '/tests/conformance-core.mjs') {
        file = CORE;
      } else if (p.startsWith('/dist/')) {
        file = inside(DIST, p.slice('/dist/'.length));
      } else {
        const m = /^\/corpus\/(\d+)\/(.*)$/.exec(p);
        const dir = m ? dirs[Number(m[1])] : undefined;
        if (dir !== undefined && m[2] === 'manifest.json') {
          const segments = existsSync(path.join(dir, 'segments')) ? readdirSync(path.join(dir, 'segments')) : [];
          body = JSON.stringify({ name: path.basename(dir), segments });
          file = 'manifest.json';
        } else if (dir !== undefined) {
          file = inside(dir, m[2]);
        }
      }
      if (body === undefined) {
        if (file === undefined) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
        body = await readFile(file);
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch (e) {
      res.writeHead(e && (e.code === 'ENOENT' || e.code === 'EISDIR') ? 404 : 500, { 'content-type': 'text/plain' });
      res.end(String(e && e.message));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const { dirs, out } = parseArgs(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) {
    if (process.env.SPLIT_EDGE_ALLOW_NO_BROWSER === '1') {
      console.log(`browser conformance: SKIPPED: no Chromium at ${CHROMIUM} (SPLIT_EDGE_ALLOW_NO_BROWSER=1)`);
      return 0;
    }
    console.error(`browser conformance: no Chromium at ${CHROMIUM}; install it with \`apt-get install -y chromium\`, `
      + 'point SPLIT_EDGE_CHROMIUM at one, or set SPLIT_EDGE_ALLOW_NO_BROWSER=1 to skip');
    return 1;
  }
  for (const dir of dirs) {
    for (const f of ['splits.json', 'requests.jsonl', 'expected.jsonl']) {
      if (!existsSync(path.join(dir, f))) throw new Error(`${dir}: no ${f}`);
    }
  }
  if (!existsSync(path.join(DIST, 'web.mjs'))) throw new Error(`${DIST}/web.mjs is missing: build the npm package first`);

  const t0 = performance.now();
  const server = await startServer(dirs);
  const origin = `http://127.0.0.1:${server.address().port}`;
  let browser;
  const logs = [];
  let failed = 0;
  let total = 0;
  try {
    browser = await launchChromium();
    const context = browser.context;
    // Nothing leaves the machine: only the local server answers.
    await context.route('**/*', (route) => (route.request().url().startsWith(origin + '/') ? route.continue() : route.abort()));
    const page = await context.newPage();
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    page.on('requestfailed', (r) => logs.push(`[requestfailed] ${r.url()} ${r.failure() && r.failure().errorText}`));
    await page.goto(origin + '/', { timeout: 30_000 });
    await page.waitForFunction(() => window.conformanceReady || window.conformanceError, null, { timeout: 30_000 });
    const boot = await page.evaluate(() => ({ error: window.conformanceError, initMs: window.initMs, version: window.packageVersion, ua: navigator.userAgent }));
    if (boot.error) throw new Error(`the page failed to load split-edge: ${boot.error}`);
    console.log(`${boot.ua.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? boot.ua}; split-edge ${boot.version}, init() ${boot.initMs.toFixed(0)} ms`);
    if (out) mkdirSync(out, { recursive: true });
    for (let i = 0; i < dirs.length; i++) {
      const r = await withTimeout(page.evaluate((n) => window.runCorpus(n), i), TIMEOUT_MS, path.basename(dirs[i]));
      console.log(`${r.report} (${Math.round(r.ms)} ms in the page)`);
      if (out) writeFileSync(path.join(out, `${r.name}.jsonl`), r.lines.map((l) => l + '\n').join(''));
      failed += r.failed;
      total += r.passed + r.failed;
    }
  } catch (e) {
    for (const l of logs) console.error(l);
    throw e;
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    await new Promise((resolve) => server.close(resolve));
  }
  const errors = logs.filter((l) => !l.startsWith('[console.log]') && !l.startsWith('[console.info]') && !l.startsWith('[console.debug]'));
  for (const l of errors) console.log(l);
  const ms = Math.round(performance.now() - t0);
  if (failed) {
    console.log(`conformance check (chromium): FAILED (${failed} of ${total} rows differ) (${ms} ms)`);
    return 1;
  }
  if (errors.length) {
    console.log(`conformance check (chromium): FAILED (all ${total} rows equal, but the page logged errors) (${ms} ms)`);
    return 1;
  }
  console.log(`conformance check (chromium): all ${total} rows equal (${ms} ms)`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`browser conformance: ${e && e.stack ? e.stack : e}`);
  process.exitCode = 1;
}
