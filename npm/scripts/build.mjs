#!/usr/bin/env node
// Builds the npm package into npm/dist:
//   1. the wasm engine (bindings/wasm) for wasm32-unknown-unknown, twice: the full engine
//      (profile `wasm`) and the browser build (`--no-default-features`, profile `wasm-web`);
//   2. wasm-bindgen glue: for Node (CommonJS), the web (explicit init) and bundlers from the full
//      engine, for the web from the browser build;
//   3. wasm-opt -Oz --converge (npm's binaryen) once per build: a build's targets share the same .wasm
//      (`WASM_KEEP_NAMES=1` keeps the name section in the shipped files, for profiles);
//   4. the TypeScript API compiled to ES modules and CommonJS, with declarations;
//   5. the entry points, then prints what each part of the two .wasm costs (size-report.mjs)
//      and each .wasm's size raw and gzipped.
// Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli at Cargo.lock's version
// (`make npm` installs both), and `npm ci` at the repository root (binaryen, typescript).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { format, report, stripCustomSections } from './size-report.mjs';

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

// 1–3, for each build: the engine, glue, one wasm-opt run shared by its glue targets.
//   full:    every feature (`default`), for Node, Workers and bundlers (wasm-node, wasm-web,
//            wasm-bundler: identical .wasm files);
//   browser: `--no-default-features --features sync` (the synchronizer stays: a page with a real
//            SDK key synchronizes; no localhost parsers: the localhost loaders throw "not in this
//            build"), for the `browser` condition and `split-edge/web` (wasm-browser). Profile
//            `wasm-web` by default (Cargo.toml); WASM_WEB_PROFILE=wasm builds it at the full
//            build's speed-oriented profile instead; WASM_WEB_FEATURES sets the features
//            (default `sync,small-tables`: `small-tables` computes ryu-js's powers of five instead
//            of storing them, the same output in ≈ 10 KB less; `WASM_WEB_FEATURES=small-tables`:
//            no synchronizer either, ≈ -18 KB raw, -8 KB gzipped).
// Both share the cargo target directory; each .wasm is copied out as soon as it is linked (the two
// builds of one crate would overwrite each other's output when they share a profile).
const want = lockedVersion('wasm-bindgen');
const have = execFileSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).trim().split(/\s+/)[1];
if (have !== want) {
  throw new Error(`wasm-bindgen ${have} is installed but Cargo.lock has ${want}: run \`cargo install wasm-bindgen-cli --version ${want} --locked\``);
}
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const webProfile = process.env.WASM_WEB_PROFILE ?? 'wasm-web';
const WEB_FEATURES = 'sync,small-tables';
const builds = [
  {
    name: 'full', profile: 'wasm', features: [],
    targets: { 'wasm-node': 'nodejs', 'wasm-web': 'web', 'wasm-bundler': 'bundler' },
  },
  {
    name: 'browser', profile: webProfile,
    features: ['--no-default-features', ...((process.env.WASM_WEB_FEATURES ?? WEB_FEATURES) ? ['--features', process.env.WASM_WEB_FEATURES ?? WEB_FEATURES] : [])],
    targets: { 'wasm-browser': 'web' },
  },
];
const keepNames = Boolean(process.env.WASM_KEEP_NAMES);
for (const b of builds) {
  // 1. The engine.
  run('cargo', ['build', '--quiet', '--profile', b.profile, '--target', 'wasm32-unknown-unknown', '-p', 'split-edge-wasm', ...b.features]);
  const linked = join(root, 'target', 'wasm32-unknown-unknown', b.profile, 'split_edge_wasm.wasm');
  // (wasm-bindgen names its output after its input: keep the name.)
  mkdirSync(join(dist, `${b.name}.input`));
  const input = join(dist, `${b.name}.input`, 'split_edge_wasm.wasm');
  copyFileSync(linked, input);

  // 2. Glue: the CLI must equal the crate's version exactly. The name section is always kept
  // here, for the size report; the shipped .wasm is stripped after it (unless WASM_KEEP_NAMES).
  for (const [dir, target] of Object.entries(b.targets)) {
    run('wasm-bindgen', ['--target', target, '--keep-debug', '--out-dir', join(dist, dir), input]);
  }
  rmSync(dirname(input), { recursive: true });

  // 3. One optimization, shared by the build's targets (their .wasm files are identical).
  const first = Object.keys(b.targets)[0];
  const bg = (dir) => join(dist, dir, 'split_edge_wasm_bg.wasm');
  const optimized = join(dist, `${b.name}.wasm`);
  run(bin('wasm-opt'), [
    // --converge: the passes again until the module stops shrinking (≈ -0.5 KB raw, -1 KB gzipped).
    process.env.WASM_OPT_LEVEL ?? '-Oz', '--converge', '-g', '--strip-dwarf', '--strip-producers',
    '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
    '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
    bg(first), '-o', optimized,
  ]);
  const named = readFileSync(optimized);
  b.report = report(named);
  const shipped = keepNames ? named : stripCustomSections(named);
  for (const dir of Object.keys(b.targets)) writeFileSync(bg(dir), shipped);
  rmSync(optimized);
}
// The bundler and Node glue are CommonJS/ESM by extension; mark the directories explicitly.
writeFileSync(join(dist, 'wasm-node', 'package.json'), '{ "type": "commonjs" }\n');

// 4. The TypeScript API: ES modules with declarations, and CommonJS.
run(bin('tsc'), ['-p', join(pkg, 'tsconfig.json'), '--module', 'ES2020', '--moduleResolution', 'bundler', '--outDir', join(dist, 'esm')]);
run(bin('tsc'), ['-p', join(pkg, 'tsconfig.json'), '--module', 'CommonJS', '--moduleResolution', 'node10', '--outDir', join(dist, 'cjs')]);
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');

// 5. Entries.
for (const f of readdirSync(join(pkg, 'entries'))) cpSync(join(pkg, 'entries', f), join(dist, f));

// What each part costs (function bodies by crate and module, from the name section), then the
// sizes of every shipped .wasm, raw and gzipped.
for (const b of builds) {
  console.log(format(b.report, { top: 12, title: `${b.name} build (${b.profile} profile): ` }));
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const b of builds) {
  for (const dir of Object.keys(b.targets)) {
    const bytes = readFileSync(join(dist, dir, 'split_edge_wasm_bg.wasm'));
    console.log(`npm/dist/${dir}/split_edge_wasm_bg.wasm (${b.name}): ${kb(bytes.length)} raw, ${kb(gzipSync(bytes, { level: 9 }).length)} gzipped`);
  }
}
if (!existsSync(join(dist, 'node.cjs')) || statSync(join(dist, 'esm', 'factory.js')).size === 0) {
  throw new Error('build incomplete');
}
rmSync(join(pkg, 'dist.old'), { recursive: true, force: true });
if (existsSync(final)) renameSync(final, join(pkg, 'dist.old'));
renameSync(dist, final);
rmSync(join(pkg, 'dist.old'), { recursive: true, force: true });
console.log('npm/dist is ready: `npm pack ./npm` makes the tarball');
