// The published artifact: `npm pack ./npm` makes a tarball that installs into a fresh project and
// works there through `require` and `import` (wasm, entries and the js-yaml dependency included).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SplitFactory } from 'split-edge';
import { demoData, LOCALHOST_DIR, ROOT } from './helpers.mjs';

const tmp = mkdtempSync(path.join(tmpdir(), 'split-edge-pack-'));
const project = path.join(tmp, 'consumer');

function run(cmd, args, cwd, timeout = 45000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

let pack; // npm pack --json output for the package
let installed;

before(async () => {
  const r = await run('npm', ['pack', './npm', '--pack-destination', tmp, '--json'], ROOT);
  assert.equal(r.code, 0, r.stderr);
  pack = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'split-edge-consumer', version: '1.0.0', private: true }));
  installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, pack.filename)], project, 50000);
});

after(() => rmSync(tmp, { recursive: true, force: true }));

/** The demo data and what this repository's build answers for it. */
const data = demoData();
const names = SplitFactory({ core: { authorizationKey: 'localhost' }, data }).manager().names();
const KEYS = ['alice', 'bob', 'user_1', 'user_2'];
const expected = Object.fromEntries(KEYS.map((k) => [k, SplitFactory({ core: { authorizationKey: 'localhost' }, data }).client().getTreatmentsWithConfig(k, names)]));

describe('npm pack', () => {
  test('the tarball holds the entries, the wasm and the declarations, and nothing else', () => {
    assert.ok(existsSync(path.join(tmp, pack.filename)), pack.filename);
    assert.equal(pack.name, 'split-edge');
    const files = pack.files.map((f) => f.path);
    for (const must of [
      'package.json', 'dist/node.cjs', 'dist/node.mjs', 'dist/bundler.mjs', 'dist/web.mjs', 'dist/workers.mjs',
      'dist/index.d.ts', 'dist/web.d.ts', 'dist/esm/types.d.ts', 'dist/cjs/factory.js', 'dist/cjs/package.json',
      'dist/wasm-node/split_edge_wasm.js', 'dist/wasm-node/split_edge_wasm_bg.wasm', 'dist/wasm-web/split_edge_wasm_bg.wasm',
      'dist/wasm-browser/split_edge_wasm.js', 'dist/wasm-browser/split_edge_wasm_bg.wasm',
    ]) {
      assert.ok(files.includes(must), `${must} is packed`);
    }
    const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f));
    assert.deepEqual(outside, [], 'no sources, scripts or benches');
    assert.ok(pack.size < 5 * 1024 * 1024, `${pack.size} bytes`);
  });

  test('installs into a fresh project', () => {
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(existsSync(path.join(project, 'node_modules/split-edge/dist/node.cjs')));
    assert.ok(existsSync(path.join(project, 'node_modules/js-yaml')), 'the js-yaml dependency is installed');
  });

  test('require("split-edge") and import("split-edge") evaluate there', async () => {
    assert.equal(installed.code, 0, installed.stderr);
    const input = JSON.stringify({ data, names, keys: KEYS, yaml: path.join(LOCALHOST_DIR, 'features.yaml') });
    writeFileSync(path.join(project, 'input.json'), input);
    const body = (load) => `
      const input = JSON.parse(require('node:fs').readFileSync(__dirname + '/input.json', 'utf8'));
      ${load}
      const f = SplitFactory({ core: { authorizationKey: 'localhost' }, data: input.data });
      const out = {};
      for (const k of input.keys) out[k] = f.client().getTreatmentsWithConfig(k, input.names);
      const y = SplitFactory({ core: { authorizationKey: 'localhost' }, features: input.yaml });
      out.yaml = y.client().getTreatment('key_1', 'my_feature');
      out.resolved = require.resolve('split-edge');
      console.log(JSON.stringify(out));`;
    writeFileSync(path.join(project, 'check.cjs'), body("const { SplitFactory } = require('split-edge');"));
    writeFileSync(path.join(project, 'check-import.cjs'), `(async () => { ${body("const { SplitFactory } = await import('split-edge');")} })();`);
    writeFileSync(
      path.join(project, 'check.mjs'),
      `import { createRequire } from 'node:module'; import { dirname } from 'node:path'; import { fileURLToPath } from 'node:url';
       import { SplitFactory as S2 } from 'split-edge';
       const require = createRequire(import.meta.url); const __dirname = dirname(fileURLToPath(import.meta.url));
       if (require('split-edge').SplitFactory !== S2) throw new Error('CJS and ESM instances differ');
       ${body('const SplitFactory = S2;')}`,
    );
    for (const script of ['check.cjs', 'check-import.cjs', 'check.mjs']) {
      const r = await run(process.execPath, [script], project, 20000);
      assert.equal(r.code, 0, `${script}: ${r.stderr}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.ok(out.resolved.startsWith(path.join(project, 'node_modules', 'split-edge')), `${script} used the installed package (${out.resolved})`);
      for (const k of KEYS) assert.deepEqual(out[k], expected[k], `${script} ${k}`);
      assert.equal(out.yaml, 'on', `${script}: localhost YAML through the installed js-yaml`);
    }
  });
});
