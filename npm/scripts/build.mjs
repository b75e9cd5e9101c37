#!/usr/bin/env node
// Builds the npm package into npm/dist:
//   1. the wasm engine (bindings/wasm) for wasm32-unknown-unknown, profile `wasm` (Cargo.toml);
//   2. wasm-bindgen glue for Node (CommonJS), the web (explicit init) and bundlers;
//   3. wasm-opt -Oz (npm's binaryen) once: the three targets share the same .wasm
//      (`WASM_KEEP_NAMES=1` keeps the name section, for profiles);
//   4. the TypeScript API compiled to ES modules and CommonJS, with declarations;
//   5. the entry points, then prints each .wasm's size raw and gzipped.
// Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli at Cargo.lock's version
// (`make npm` installs both), and `npm ci` at the repository root (binaryen, typescript).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..');
const final = join(pkg, 'dist');
// Built beside, then swapped in, so tests running meanwhile never see a half-built package.
const dist = join(pkg, 'dist.tmp');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
}

function lockedVersion(name) {
  const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
  const m = lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`));
  if (!m) throw new Error(`${name} is not in Cargo.lock`);
  return m[1];
}

// 1. The engine.
run('cargo', ['build', '--quiet', '--profile', 'wasm', '--target', 'wasm32-unknown-unknown', '-p', 'split-edge-wasm']);
const wasm = join(root, 'target', 'wasm32-unknown-unknown', 'wasm', 'split_edge_wasm.wasm');

// 2. Glue: the CLI must equal the crate's version exactly.
const want = lockedVersion('wasm-bindgen');
const have = execFileSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).trim().split(/\s+/)[1];
if (have !== want) {
  throw new Error(`wasm-bindgen ${have} is installed but Cargo.lock has ${want}: run \`cargo install wasm-bindgen-cli --version ${want} --locked\``);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const targets = { 'wasm-node': 'nodejs', 'wasm-web': 'web', 'wasm-bundler': 'bundler' };
for (const [dir, target] of Object.entries(targets)) {
  run('wasm-bindgen', ['--target', target, ...(process.env.WASM_KEEP_NAMES ? ['--keep-debug'] : []), '--out-dir', join(dist, dir), wasm]);
}

// 3. One optimization, shared by the three targets (their .wasm files are identical).
const raw = join(dist, 'wasm-web', 'split_edge_wasm_bg.wasm');
const optimized = join(dist, 'optimized.wasm');
run(bin('wasm-opt'), [
  process.env.WASM_OPT_LEVEL ?? '-Oz', ...(process.env.WASM_KEEP_NAMES ? ['-g'] : ['--strip-debug']), '--strip-producers',
  '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
  raw, '-o', optimized,
]);
for (const dir of Object.keys(targets)) copyFileSync(optimized, join(dist, dir, 'split_edge_wasm_bg.wasm'));
rmSync(optimized);
// The bundler and Node glue are CommonJS/ESM by extension; mark the directories explicitly.
writeFileSync(join(dist, 'wasm-node', 'package.json'), '{ "type": "commonjs" }\n');

// 4. The TypeScript API: ES modules with declarations, and CommonJS.
run(bin('tsc'), ['-p', join(pkg, 'tsconfig.json'), '--module', 'ES2020', '--moduleResolution', 'bundler', '--outDir', join(dist, 'esm')]);
run(bin('tsc'), ['-p', join(pkg, 'tsconfig.json'), '--module', 'CommonJS', '--moduleResolution', 'node10', '--outDir', join(dist, 'cjs')]);
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

// 5. Entries.
for (const f of readdirSync(join(pkg, 'entries'))) cpSync(join(pkg, 'entries', f), join(dist, f));

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const files = Object.keys(targets).map((d) => join(dist, d, 'split_edge_wasm_bg.wasm'));
for (const f of files) {
  const bytes = readFileSync(f);
  console.log(`${f.slice(root.length + 1).replace('dist.tmp', 'dist')}: ${kb(bytes.length)} raw, ${kb(gzipSync(bytes, { level: 9 }).length)} gzipped`);
}
if (!existsSync(join(dist, 'node.cjs')) || statSync(join(dist, 'esm', 'factory.js')).size === 0) {
  throw new Error('build incomplete');
}
rmSync(join(pkg, 'dist.old'), { recursive: true, force: true });
if (existsSync(final)) renameSync(final, join(pkg, 'dist.old'));
renameSync(dist, final);
rmSync(join(pkg, 'dist.old'), { recursive: true, force: true });
console.log('npm/dist is ready: `npm pack ./npm` makes the tarball');
