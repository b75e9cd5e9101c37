// Writes fuzz/regex/corpus.jsonl: patterns with subjects and the answers of Node's RegExp (the
// ECMAScript reference: `new RegExp(pattern).test(subject)`, no flags, as Split's JS SDK runs
// MATCHES_STRING), for the differential test `fuzz/tests/regex_differential.rs`.
//
// Rows: {"p": pattern, "s": [subject, ...], "m": [true|false, ...]} or {"p": pattern, "error":
// "SyntaxError message"}. A subject that is not well-formed UTF-16 (lone surrogates) is written as
// {"u": [code units]}. Patterns: the official vectors (shared/fixtures/regex/regex.txt) and
// patterns generated from a seeded grammar of the whole no-flag syntax, Annex B quirks included,
// plus mutations that are often invalid. Subjects: short strings over the patterns' alphabet
// (short, so that backtracking in Node stays fast and the engine's budget is never reached).
//
//   node fuzz/regex/generate.mjs [--count N] [--seed S]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const COUNT = opt('--count', 4000);
let state = opt('--seed', 20261207) >>> 0 || 1;

function rnd() {
  state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
  return state / 4294967296;
}
const below = (n) => Math.floor(rnd() * n);
const pick = (xs) => xs[below(xs.length)];

const CHARS = ['a', 'b', 'c', 'a', 'b', 'A', '1', '_', ' ', '-', '.', '😀', 'é', '\u2028'];
const ESCAPES = ['\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\b', '\\B', '\\t', '\\n', '\\.', '\\*', '\\\\', '\\/',
  '\\x61', '\\x4', '\\u0062', '\\u{61}', '\\u00', '\\0', '\\00', '\\07', '\\cA', '\\c1', '\\c', '\\a', '\\p',
  '\\-', '\\8', '\\9', '\\k', '\\ud83d\\ude00', '\\uD83D', '\\f', '\\v', '\\r', '\\$', '\\^'];
const CLASS_ITEMS = ['a', 'b', 'c', 'a-c', 'A-Z', '0-9', '\\d', '\\w', '\\s', '\\W', '-', ']', '\\]', '\\b', '.', '^',
  '\\x61', '\\u0063', '😀', '\\cA', '\\c1', '\\0', '\\-', 'b-a', '\\d-z', '$', '[', '\\ud83d'];
const QUANTS = ['*', '+', '?', '{2}', '{0,1}', '{1,}', '{1,2}', '{0}', '{2,1}', '{,2}', '{', '{3', '*?', '+?', '??', '{1,2}?'];

function cls() {
  let s = '[';
  if (rnd() < 0.3) s += '^';
  for (let i = below(4); i > 0; i--) s += pick(CLASS_ITEMS);
  return s + ']';
}

function atom(depth, groups) {
  const r = rnd();
  if (r < 0.35 || depth > 3) return pick(CHARS);
  if (r < 0.45) return '.';
  if (r < 0.55) return cls();
  if (r < 0.65) return pick(ESCAPES);
  if (r < 0.7) return pick(['^', '$']);
  if (r < 0.8) {
    const kind = pick(['(', '(', '(?:', '(?=', '(?!', '(?<=', '(?<!', '(?<n>']);
    if (kind === '(' || kind === '(?<n>') groups.count++;
    if (kind === '(?<n>') groups.named = true;
    return kind + alt(depth + 1, groups) + ')';
  }
  if (r < 0.9 && groups.count > 0) return groups.named && rnd() < 0.4 ? '\\k<n>' : `\\${1 + below(groups.count)}`;
  return pick(CHARS);
}

function seq(depth, groups) {
  let s = '';
  for (let i = below(4) + (depth === 0 ? 1 : 0); i > 0; i--) {
    s += atom(depth, groups);
    if (rnd() < 0.3) s += pick(QUANTS);
  }
  return s;
}

function alt(depth, groups) {
  let s = seq(depth, groups);
  while (rnd() < 0.2) s += '|' + seq(depth, groups);
  return s;
}

function mutate(p) {
  const i = below(p.length + 1);
  switch (below(4)) {
    case 0: return p.slice(0, i) + pick(['(', ')', '[', ']', '{', '}', '\\', '*', '?', '|']) + p.slice(i);
    case 1: return p.slice(0, i) + p.slice(i + 1);
    case 2: return p.slice(0, i);
    default: return p + pick(['\\', '(', '[', '(?', '(?<', '\\k<m>', '\\u{110000}']);
  }
}

function subjects(p) {
  const alphabet = [...new Set([...p.replace(/[\\\[\](){}?*+|^$.]/g, ''), 'a', 'b', ' ', '\n'])];
  const out = ['', pick(alphabet)];
  while (out.length < 8) {
    let s = '';
    for (let i = below(9); i > 0; i--) s += rnd() < 0.1 ? pick(['😀', '\ud83d', '\ude00', 'é', '\u2028', 'Z', '9']) : pick(alphabet);
    out.push(s);
  }
  return out;
}

const wellFormed = (s) => s.isWellFormed();
const encode = (s) => (wellFormed(s) ? s : { u: [...Array(s.length).keys()].map((i) => s.charCodeAt(i)) });

const rows = [];
const seen = new Set();
function add(p, extra = []) {
  if (seen.has(p) || !wellFormed(p)) return;
  seen.add(p);
  let re;
  try {
    re = new RegExp(p);
  } catch (e) {
    rows.push({ p, error: e.message });
    return;
  }
  const s = [...new Set([...extra, ...subjects(p)])];
  rows.push({ p, s: s.map(encode), m: s.map((x) => re.test(x)) });
}

const official = readFileSync(join(here, '..', '..', '..', 'shared', 'fixtures', 'regex', 'regex.txt'), 'utf8');
const byPattern = new Map();
for (const line of official.split('\n')) {
  const m = /^(.*)#(.*)#(true|false)$/.exec(line);
  if (m) byPattern.set(m[1], [...(byPattern.get(m[1]) ?? []), m[2]]);
}
for (const [p, inputs] of byPattern) add(p, inputs);
while (rows.length < COUNT) {
  const groups = { count: 0, named: false };
  const p = alt(0, groups);
  add(rnd() < 0.15 ? mutate(p) : p);
}
writeFileSync(join(here, 'corpus.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const errors = rows.filter((r) => r.error).length;
console.log(`${rows.length} patterns (${errors} SyntaxErrors), ${rows.reduce((n, r) => n + (r.s?.length ?? 0), 0)} subjects, node ${process.version}`);
