#!/usr/bin/env node
// Builds the Worker by hand (see ../shared/toolchain.md: worker-build would download tools):
//   cargo build (profile release: opt-level z, wasm32) → wasm-bindgen --target module → `import source` made a
//   plain import (workerd's CompiledWasm) → wasm-opt -Oz (npm binaryen) → worker/build/, with
//   the entry module worker/js/entry.mjs copied beside the glue.
// Usage: node worker/scripts/build.mjs [--skip-cargo] [--no-opt] [--small]
//   By default the `wasm` profile: split-edge's and the Worker's own code at opt-level 3,
//   dependencies at z (as the npm package). In-isolate, a get-treatment costs ≈ 1.4× less than at
//   opt-level z; the module is ≈ 25% bigger (≈ 430 KB gzipped, far below Workers' script limits).
//   --small: the `release` profile (everything at opt-level z), for the smallest upload.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const workerDir = resolve(here, '..');
const root = resolve(workerDir, '..');
const out = join(workerDir, 'build');
const args = new Set(process.argv.slice(2));
const bin = join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
const profile = args.has('--small') ? 'release' : 'wasm';

function run(cmd, argv) {
  console.error(`$ ${cmd} ${argv.join(' ')}`);
  execFileSync(cmd, argv, { cwd: root, stdio: 'inherit', env });
}

if (!args.has('--skip-cargo')) {
  run('cargo', ['build', '--profile', profile, '--target', 'wasm32-unknown-unknown', '-p', 'split-edge-worker']);
}
const wasm = join(root, 'target', 'wasm32-unknown-unknown', profile, 'split_edge_worker.wasm');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
run('wasm-bindgen', ['--target', 'module', '--out-dir', out, '--out-name', 'index', '--no-typescript', wasm]);

// workerd loads .wasm modules as compiled modules through a plain import.
const glue = join(out, 'index.js');
const text = readFileSync(glue, 'utf8');
const fixed = text.replace(/import source (\w+) from (['"][^'"]+\.wasm['"]);/g, 'import $1 from $2;');
if (fixed === text && text.includes('import source')) throw new Error('could not rewrite the `import source` in index.js');
writeFileSync(glue, fixed);

const bg = join(out, 'index_bg.wasm');
if (!args.has('--no-opt')) {
  run(join(bin, 'wasm-opt'), ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
    '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
    bg, '-o', bg]);
}
copyFileSync(join(workerDir, 'js', 'entry.mjs'), join(out, 'entry.mjs'));

const raw = statSync(bg).size;
const gz = gzipSync(readFileSync(bg), { level: 9 }).length;
console.log(`worker/build/index_bg.wasm: ${raw} bytes raw, ${gz} bytes gzipped`);
