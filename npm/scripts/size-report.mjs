#!/usr/bin/env node
// What each part of a .wasm costs: function body bytes of the code section summed by crate and
// module, from the name section's function names (Rust legacy-mangled symbols, demangled here).
//
//   node npm/scripts/size-report.mjs FILE.wasm [--top N] [--depth N] [--json]
//
// The .wasm must have its name section: `WASM_KEEP_NAMES=1 node npm/scripts/build.mjs` keeps it
// through wasm-opt, and target/wasm32-unknown-unknown/wasm/split_edge_wasm.wasm has it before
// wasm-bindgen and wasm-opt. Generic code is counted where its path says (serde's
// `MapAccess::next_value` instantiated for a split-edge type is serde_core's), except drop glue
// (`drop_in_place<T>`) and trait impls (`<T as Trait>::f`), counted as T's. The data section
// (string constants, tables) is one line of its own.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

// ----- wasm reading ----------------------------------------------------------------------------

function reader(bytes, at = 0) {
  const r = {
    at,
    u8() { return bytes[r.at++]; },
    u32() {
      let result = 0;
      let shift = 0;
      for (;;) {
        const b = bytes[r.at++];
        result += (b & 0x7f) * 2 ** shift;
        if ((b & 0x80) === 0) return result;
        shift += 7;
      }
    },
    name() {
      const len = r.u32();
      const s = new TextDecoder().decode(bytes.subarray(r.at, r.at + len));
      r.at += len;
      return s;
    },
    skipLimits() {
      const flags = r.u8();
      r.u32();
      if (flags & 1) r.u32();
    },
  };
  return r;
}

/** Sections of a module: `{id, name?, start, end}` (content bounds) in order. */
export function sections(bytes) {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a wasm module');
  const r = reader(bytes, 8);
  const out = [];
  while (r.at < bytes.length) {
    const id = r.u8();
    const size = r.u32();
    const start = r.at;
    const section = { id, start, end: start + size, headerStart: start - 1 };
    if (id === 0) section.name = r.name();
    section.contentStart = r.at;
    out.push(section);
    r.at = start + size;
  }
  return out;
}

/** The module without its custom sections (names, producers, debug info). */
export function stripCustomSections(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let at = 8;
  for (const s of sections(bytes)) {
    // A section's bytes run from its id byte to its end; the next section starts there.
    const begin = at;
    at = s.end;
    if (s.id !== 0) parts.push(bytes.subarray(begin, s.end));
  }
  return Buffer.concat(parts);
}

export function functionSizes(bytes) {
  let imported = 0;
  const bodies = [];
  const names = new Map();
  let data = 0;
  const other = {};
  for (const s of sections(bytes)) {
    const r = reader(bytes, s.contentStart);
    if (s.id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.name();
        r.name();
        const kind = r.u8();
        if (kind === 0) { r.u32(); imported++; }
        else if (kind === 1) { r.u8(); r.skipLimits(); }
        else if (kind === 2) r.skipLimits();
        else if (kind === 3) { r.u8(); r.u8(); }
        else if (kind === 4) { r.u8(); r.u32(); }
      }
    } else if (s.id === 10) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const size = r.u32();
        bodies.push(size);
        r.at += size;
      }
    } else if (s.id === 11) {
      data += s.end - s.start;
    } else if (s.id === 0 && s.name === 'name') {
      while (r.at < s.end) {
        const sub = r.u8();
        const size = r.u32();
        const end = r.at + size;
        if (sub === 1) {
          const count = r.u32();
          for (let i = 0; i < count; i++) {
            const index = r.u32();
            names.set(index, r.name());
          }
        }
        r.at = end;
      }
    } else if (s.id !== 0) {
      other[s.id] = (other[s.id] ?? 0) + (s.end - s.start);
    }
  }
  return {
    functions: bodies.map((size, i) => ({ name: names.get(imported + i), size })),
    data,
    other: Object.values(other).reduce((a, b) => a + b, 0),
    named: names.size > 0,
  };
}

// ----- Rust legacy demangling --------------------------------------------------------------------

const ESCAPES = { SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',' };

function unescapeSegment(seg) {
  let s = seg.startsWith('_$') ? seg.slice(1) : seg;
  s = s.replace(/\$([A-Za-z0-9]+)\$/g, (m, code) => {
    if (ESCAPES[code]) return ESCAPES[code];
    if (code.startsWith('u')) return String.fromCodePoint(parseInt(code.slice(1), 16));
    return m;
  });
  return s.replace(/\.\./g, '::');
}

/**
 * A v0 symbol's (`_R...`, the precompiled standard library's) crate and the identifiers after
 * it, enough to group it: `core::num::flt2dec` (generic arguments and impl paths are not decoded).
 */
function demangleV0(symbol) {
  const m = symbol.match(/C(?:s[0-9A-Za-z]*_)?(\d+)_?/);
  if (!m) return symbol;
  const parts = [];
  let i = m.index + m[0].length;
  let len = Number(m[1]);
  for (;;) {
    parts.push(symbol.slice(i, i + len));
    i += len;
    const next = symbol.slice(i).match(/^(?:s[0-9A-Za-z]*_)?(\d+)_?/);
    if (!next) break;
    i += next[0].length;
    len = Number(next[1]);
  }
  return parts.join('::');
}

/** `_ZN...E` as `a::b::c` (without the hash), anything else as it is. */
export function demangle(symbol) {
  if (symbol?.startsWith('_R')) return demangleV0(symbol);
  if (!symbol?.startsWith('_ZN')) return symbol ?? '';
  const segments = [];
  let i = 3;
  while (i < symbol.length && symbol[i] !== 'E') {
    let j = i;
    while (symbol[j] >= '0' && symbol[j] <= '9') j++;
    const len = Number(symbol.slice(i, j));
    if (!len) break;
    segments.push(symbol.slice(j, j + len));
    i = j + len;
  }
  if (segments.length && /^h[0-9a-f]{16}$/.test(segments.at(-1))) segments.pop();
  return segments.map(unescapeSegment).join('::');
}

/** The path a function is counted under: T's for `<T as Trait>::f` and `drop_in_place<T>`. */
function ownerPath(path) {
  let p = path;
  for (let guard = 0; guard < 8; guard++) {
    const drop = p.match(/^core::ptr::drop_in_place<(.*)>$/);
    if (drop) { p = drop[1]; continue; }
    if (p.startsWith('<')) {
      // The first type of `<T as Trait>` or `<T>`, bracket-matched.
      let depth = 0;
      let end = -1;
      for (let k = 0; k < p.length; k++) {
        if (p[k] === '<') depth++;
        else if (p[k] === '>') { depth--; if (depth === 0) { end = k; break; } }
        else if (depth === 1 && p.startsWith(' as ', k)) { end = k; break; }
      }
      const self = p.slice(1, end < 0 ? undefined : end);
      // A type parameter, primitive or PhantomData<T> (serde's seeds) says nothing: the trait does.
      if (p.startsWith(' as ', end) && (!self.includes('::') || self.startsWith('core::marker::PhantomData'))) {
        const trait = p.slice(end + 4);
        p = trait.slice(0, trait.lastIndexOf('>'));
      } else {
        p = self;
      }
      continue;
    }
    if (/^(&|\*)(mut |const )?/.test(p)) { p = p.replace(/^(&|\*)(mut |const )?/, ''); continue; }
    if (p.startsWith('[')) { p = p.slice(1); continue; }
    if (p.startsWith('(')) { p = p.slice(1); continue; }
    if (p.startsWith('dyn ')) { p = p.slice(4); continue; }
    break;
  }
  return p;
}

const WBG = /^(__wbg|__wbindgen|__externref|__wbgtest)/;

/** The group a function's bytes go to: `crate` or `crate::module` (for split-edge's crates). */
export function group(name, depth = 2) {
  if (name === undefined) return '(unnamed)';
  // wasm-bindgen writes names demangled, with crate disambiguators (`core[0123abcd]`) and hashes.
  const path = demangle(name).replace(/\[[0-9a-f]{16}\]/g, '').replace(/::h[0-9a-f]{16}$/, '');
  const mangled = name.startsWith('_ZN') || name.startsWith('_R') || path.includes('::');
  if (!mangled) {
    if (/^engine_/.test(name)) return 'split_edge_wasm::Engine (exports, callees inlined)';
    if (WBG.test(name) || /^interner_/.test(name)) return 'wasm-bindgen glue';
    if (/^(dlmalloc|__rdl|__rust_|__rg_|rust_)/.test(name)) return 'alloc (allocator)';
    if (/^(memcpy|memmove|memset|memcmp|bcmp|__)/.test(name)) return 'compiler builtins';
    return name.replace(/\.\d+$/, '').replace(/^(.{40}).*$/, '$1…');
  }
  const owner = ownerPath(path);
  const segments = owner.split('::').map((s) => s.replace(/<.*$/, ''));
  const crate = segments[0];
  if (/^split_edge/.test(crate) || crate === 'core' || crate === 'alloc' || crate === 'std') {
    const parts = [crate];
    for (const seg of segments.slice(1, depth)) {
      // Stop at a type or function: modules are snake_case and not `_`/`{{closure}}`.
      if (!/^[a-z][a-z0-9_]*$/.test(seg)) break;
      parts.push(seg);
    }
    return parts.join('::');
  }
  return crate;
}

// ----- report ----------------------------------------------------------------------------------

export function report(bytes, { depth = 2 } = {}) {
  const { functions, data, other, named } = functionSizes(bytes);
  const groups = new Map();
  let code = 0;
  for (const f of functions) {
    code += f.size;
    const g = group(f.name, depth);
    const entry = groups.get(g) ?? { group: g, bytes: 0, functions: 0 };
    entry.bytes += f.size;
    entry.functions++;
    groups.set(g, entry);
  }
  const stripped = stripCustomSections(bytes);
  return {
    named,
    total: stripped.length,
    gzipped: gzipSync(stripped, { level: 9 }).length,
    code,
    data,
    other,
    groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes),
  };
}

function crateOf(g) {
  return g.split('::')[0];
}

export function format(r, { top = 25, title = '' } = {}) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const pct = (n) => `${((100 * n) / r.total).toFixed(1)}%`;
  const lines = [];
  lines.push(`${title}${kb(r.total)} raw (without custom sections), ${kb(r.gzipped)} gzipped; code ${kb(r.code)}, data ${kb(r.data)}, other sections ${kb(r.other)}`);
  if (!r.named) {
    lines.push('  (no name section: build with WASM_KEEP_NAMES=1 for the breakdown)');
    return lines.join('\n');
  }
  const crates = new Map();
  for (const g of r.groups) crates.set(crateOf(g.group), (crates.get(crateOf(g.group)) ?? 0) + g.bytes);
  const row = (label, bytes) => `  ${label.padEnd(44)} ${kb(bytes).padStart(10)} ${pct(bytes).padStart(6)}`;
  lines.push('  by crate (function bodies):');
  for (const [c, b] of [...crates].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(row(c, b));
  lines.push(row('(data section)', r.data));
  lines.push(`  by module (top ${top}):`);
  for (const g of r.groups.slice(0, top)) lines.push(row(`${g.group} (${g.functions})`, g.bytes));
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = Number(args[i + 1]);
    args.splice(i, 2);
    return v;
  };
  const top = opt('--top', 25);
  const depth = opt('--depth', 2);
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  if (files.length === 0) {
    console.error('usage: node npm/scripts/size-report.mjs FILE.wasm [--top N] [--depth N] [--json]');
    process.exit(2);
  }
  for (const f of files) {
    const r = report(readFileSync(f), { depth });
    console.log(json ? JSON.stringify(r, null, 2) : format(r, { top, title: `${f}: ` }));
  }
}
