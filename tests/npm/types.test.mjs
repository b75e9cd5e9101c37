// The package's TypeScript declarations: a consumer compiles (tsc --noEmit, nothing written) and
// the public surface has no `any`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const require = createRequire(import.meta.url);
const TSC = path.join(ROOT, 'node_modules/.bin/tsc');
const TYPES_DIR = path.join(ROOT, 'tests/npm/types');

/** Runs tsc --noEmit on a project; resolves to {code, output}. */
function tsc(project) {
  return new Promise((resolve) => {
    execFile(TSC, ['--noEmit', '--pretty', 'false', '-p', path.join(TYPES_DIR, project)], { cwd: ROOT, timeout: 120000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('TypeScript consumers', () => {
  test('Node ESM consumer (usage.ts): every public method, real types, wrong types rejected', async () => {
    const { code, output } = await tsc('tsconfig.json');
    assert.equal(code, 0, output);
    const usage = readFileSync(path.join(TYPES_DIR, 'usage.ts'), 'utf8');
    assert.ok((usage.match(/@ts-expect-error/g) ?? []).length >= 5, 'usage.ts proves wrong types are rejected');
  });

  test('browser consumer of split-edge/web (DOM lib, no Node types)', async () => {
    const { code, output } = await tsc('tsconfig.web.json');
    assert.equal(code, 0, output);
  });

  test('CommonJS consumer under module node16 (the `require` condition)', async () => {
    const { code, output } = await tsc('tsconfig.cjs.json');
    assert.equal(code, 0, output);
  });
});

describe('declaration files', () => {
  const ts = require('typescript');
  const dist = path.join(ROOT, 'npm/dist');
  const files = [
    ...readdirSync(dist).filter((n) => /\.d\.c?ts$/.test(n)).map((n) => path.join(dist, n)),
    ...readdirSync(path.join(dist, 'esm')).filter((n) => n.endsWith('.d.ts')).map((n) => path.join(dist, 'esm', n)),
    ...readdirSync(path.join(dist, 'cjs')).filter((n) => n.endsWith('.d.ts')).map((n) => path.join(dist, 'cjs', n)),
  ];

  test('the declarations named by package.json exist', () => {
    const rel = files.map((f) => path.relative(dist, f)).sort();
    for (const must of ['index.d.ts', 'web.d.ts', 'esm/types.d.ts', 'esm/index.d.ts']) assert.ok(rel.includes(must), must);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'npm/package.json'), 'utf8'));
    const typePaths = new Set([pkg.types]);
    const walk = (v) => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === 'types' ? typePaths.add(x) : walk(x));
    };
    walk(pkg.exports);
    for (const p of typePaths) assert.ok(rel.includes(path.normalize(p).replace(/^dist\//, '')), `${p} (package.json) exists`);
  });

  /** Lines where the `any` type is used (the keyword as a type, not the word in comments). */
  function anyTypes(name, text) {
    const found = [];
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${name}:${line + 1}: ${text.split('\n')[line].trim()}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  }

  test('no `any` in npm/dist/*.d.ts and npm/dist/esm/*.d.ts', () => {
    // The detector itself: `any` as a type is found, the word in a comment or a name is not.
    assert.equal(anyTypes('probe.d.ts', '/** any */ export declare function f(x: Record<string, any>): any[];\nexport type anyName = string;').length, 2);
    const found = files.flatMap((file) => anyTypes(path.relative(ROOT, file), readFileSync(file, 'utf8')));
    assert.deepEqual(found, []);
    assert.ok(files.length >= 5, `${files.length} declaration files checked`);
  });
});
