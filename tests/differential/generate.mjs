#!/usr/bin/env node
// Random corpus generator of the differential test.
//
//   node tests/differential/generate.mjs --seed N --out DIR [--flags F] [--requests R]
//
// Writes DIR/splits.json ({"ff":{"d","s","t"},"rbs":{"d","s","t"}}), DIR/segments/*.json (one SegmentChange
// each) and DIR/requests.jsonl (id, key, optional bucketingKey, flag, optional attributes, _gen), the formats
// of ../shared/conformance (see its README). The same seed always gives the same corpus (own PRNG, no clock).
// Defaults: 80 flags, 3000 requests.
//
// Definitions are valid-shaped, with a small rate of deliberately odd ones (unknown matcher type, empty
// matchers, no conditions, partitions not adding up to 100). Dependencies (IN_SPLIT_TREATMENT, prerequisites,
// nested rule-based segments) only point backwards or to missing names, so there are no cycles.

import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ------------------------------------------------------------------------------------------------
// PRNG: the seed is spread with splitmix32 into the state of sfc32.

export function createRng(seed) {
  const lo = Number(BigInt.asUintN(32, BigInt(seed)));
  const hi = Number(BigInt.asUintN(32, BigInt(seed) >> 32n));
  let sm = (lo ^ Math.imul(hi, 0x27d4eb2d)) >>> 0;
  const splitmix = () => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();

  const rng = {
    float: next,
    int: (lo2, hi2) => lo2 + Math.floor(next() * (hi2 - lo2 + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    shuffle(arr) {
      const out = arr.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    sample: (arr, k) => rng.shuffle(arr).slice(0, Math.max(0, Math.min(k, arr.length))),
    // Any int32, with the extremes and small values over-represented.
    int32: () => next() < 0.12
      ? rng.pick([-2147483648, 2147483647, 0, -1, 1, -2147483647, 2147483646])
      : Math.floor(next() * 4294967296) - 2147483648,
    hex: (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join(''),
  };
  return rng;
}

// ------------------------------------------------------------------------------------------------
// Vocabulary

export const MATCHER_TYPES = [
  'ALL_KEYS', 'IN_SEGMENT', 'WHITELIST', 'EQUAL_TO', 'GREATER_THAN_OR_EQUAL_TO', 'LESS_THAN_OR_EQUAL_TO',
  'BETWEEN', 'EQUAL_TO_SET', 'CONTAINS_ANY_OF_SET', 'CONTAINS_ALL_OF_SET', 'PART_OF_SET', 'ENDS_WITH',
  'STARTS_WITH', 'CONTAINS_STRING', 'IN_SPLIT_TREATMENT', 'EQUAL_TO_BOOLEAN', 'MATCHES_STRING',
  'EQUAL_TO_SEMVER', 'GREATER_THAN_OR_EQUAL_TO_SEMVER', 'LESS_THAN_OR_EQUAL_TO_SEMVER', 'BETWEEN_SEMVER',
  'IN_LIST_SEMVER', 'IN_LARGE_SEGMENT', 'IN_RULE_BASED_SEGMENT',
];
const NUMERIC_TYPES = ['EQUAL_TO', 'GREATER_THAN_OR_EQUAL_TO', 'LESS_THAN_OR_EQUAL_TO', 'BETWEEN'];
const SET_TYPES = ['EQUAL_TO_SET', 'CONTAINS_ANY_OF_SET', 'CONTAINS_ALL_OF_SET', 'PART_OF_SET'];
const STRING_TYPES = ['ENDS_WITH', 'STARTS_WITH', 'CONTAINS_STRING'];
const SEMVER_TYPES = ['EQUAL_TO_SEMVER', 'GREATER_THAN_OR_EQUAL_TO_SEMVER', 'LESS_THAN_OR_EQUAL_TO_SEMVER', 'BETWEEN_SEMVER', 'IN_LIST_SEMVER'];

const ATTRS = {
  age: 'number', score: 'number', plan_level: 'number', purchases: 'number',
  signup_ts: 'datetime', last_seen_ts: 'datetime',
  email: 'string', country: 'string', locale: 'string', device: 'string',
  tags: 'set', permissions: 'set',
  beta_tester: 'boolean', opted_in: 'boolean',
  app_version: 'semver', os_version: 'semver',
  account_key: 'keyref',
};
const attrsOf = (kind) => Object.keys(ATTRS).filter((a) => ATTRS[a] === kind);

const FIRST = ['ana', 'bruno', 'carla', 'diego', 'eva', 'fede', 'gala', 'hugo', 'zoe', 'omar', 'lola', 'kai'];
const DOMAINS = ['gmail.com', 'split.io', 'harness.io', 'example.com', 'yahoo.com.ar', 'corp.example.org'];
const COUNTRIES = ['AR', 'US', 'BR', 'MX', 'DE', 'ES', 'ar', 'Ar', 'UY'];
const LOCALES = ['es-AR', 'en-US', 'pt-BR', 'de-DE', 'es', 'en', 'fr-FR', 'ja-JP'];
const DEVICES = ['ios', 'android', 'web', 'tv', 'iOS', 'desktop'];
const SET_VOCAB = {
  tags: ['beta', 'vip', 'new', 'mobile', 'desktop', 'loyal', 'promo', '1', 'true'],
  permissions: ['read', 'write', 'admin', 'share', 'export', 'billing'],
};
const UNICODE_WORDS = ['straße', 'Ærøskøbing', 'пользователь', '用户', '𝌆', '😀smile', 'école', 'e\u0301cole', 'ﬁne', 'İstanbul', 'ǅ', '\u00e9t\u00e9'];
const VALID_SEMVERS = ['1.0.0', '1.2.3', '1.2.4', '1.10.0', '2.0.0', '0.9.12', '10.20.30', '1.2.3-alpha', '1.2.3-alpha.1',
  '1.2.3-alpha.beta', '1.2.3-beta.2', '1.2.3-beta.11', '1.2.3-rc.1', '1.2.3-rc.1+build.5', '1.2.3+meta', '1.0.0+m',
  '01.2.3', '1.02.3', '1.2.3-01', '1.0.0-0.3.7', '1.0.0-x.7.z.92', '3.0.0-x-y', '2.0.0-rc.1+exp.sha.5114f85',
  '999999999999999999999.0.0', '1.2.3-10', '1.2.3-9', '1.2.3--', '4.4.4+meta'];
const INVALID_SEMVERS = ['1.2', '1.2.3.4', '1.2.3-', '1.2.3+', 'v1.2.3', '1.2.3-a..b', ' 1.2.3', '1.2.3 ', '1. 2.3',
  'a.b.c', '1.2.-3', '', '-1.2.3', '1..3', '1.2.3-+', '𝌆.1.2'];
const TREATMENT_SETS = [['on', 'off'], ['v1', 'v2', 'v3'], ['red', 'green', 'blue'], ['a', 'b'],
  ['enabled', 'disabled'], ['on', 'off', 'control'], ['small', 'medium', 'large', 'xl']];
// Patterns the JS SDK accepts (no flags, ECMAScript syntax). None is catastrophic on short inputs.
export const REGEXES = ['^user_\\d+$', '@(gmail|yahoo)\\.com', '\\.io$', '^[a-z]+\\.[a-z]+\\d*@',
  '^(?=.*\\d)(?=.*[a-z]).{6,}$', '^(?!user_)', '(?<=@)split\\.io$', '^.$', '^..$', '.', '^$', '\\bvip\\b',
  '[^\\x00-\\x7F]', '^\\s|\\s$', 'ß|ü|é', '^[A-Z]{2}$', '^[a-z]{2}-[A-Z]{2}$', '\\d{3,}', 'x*', '^(a|b|c)+$',
  '\\uD834\\uDF06', '^[\\w.+-]+@[\\w-]+\\.[\\w.]+$', 'null', '', '^\\d+(\\.\\d+)?$', '[[\\]]', '^.{1,5}$',
  '(\\w)\\1', '^[^@]+$', 'USER', '(?:ana|eva)\\.'];
const DAY = 86400000;
const MIN = 60000;
const DATETIME_BASES = [Date.UTC(2024, 0, 1), Date.UTC(2023, 5, 15, 12, 30), Date.UTC(2024, 1, 29, 23, 59, 59, 999),
  0, -DAY, Date.UTC(1969, 6, 20, 20, 17), 1700000000000, Date.UTC(2030, 11, 31)];
const NUMBER_POOL = [0, 1, 3, 5, 7, 10, 18, 21, 42, 65, 100, 1000, -3, -0.5, 2.5, 0.1, 99.99];
const CONFIG_POOL = ['{"color":"blue","size":10}', '{"color":"red"}', '{"nested":{"x":[1,2,3]},"flag":true}', '',
  'plain text config', '{}', '{"emoji":"😀","unicode":"straße"}', '[1,2,3]', 'null'];

// ------------------------------------------------------------------------------------------------
// Generation

export function generateCorpus(seed, { flags: nFlags = 80, requests: nRequests = 3000 } = {}) {
  const rng = createRng(seed);
  const R = rng;

  // ---- keys ----
  const pad = (n, w) => String(n).padStart(w, '0');
  const email = () => `${R.pick(FIRST)}.${R.pick(FIRST)}${R.int(1, 999)}@${R.pick(DOMAINS)}`;
  const keyPool = [];
  for (let i = 0; i < 60; i++) keyPool.push(`user_${pad(R.int(0, 99999), 5)}`);
  for (let i = 0; i < 20; i++) keyPool.push(email());
  for (let i = 0; i < 12; i++) keyPool.push(`${R.hex(8)}-${R.hex(4)}-${R.hex(4)}-${R.hex(4)}-${R.hex(12)}`);
  const NUMBER_KEYS = [12345, 42, 0, 7, 1.5, 1e21, 0.30000000000000004, 99999, 2147483648, -7, 1e-7, 123456789012];
  for (const n of NUMBER_KEYS) keyPool.push(String(n)); // as the SDK turns number keys into strings
  keyPool.push('1e+21', '-7', '1.5', '0.30000000000000004', '1e-7');
  for (let i = 0; i < 10; i++) keyPool.push(`${R.pick(UNICODE_WORDS)}_${R.int(1, 9999)}`);
  keyPool.push('1.2.3', '2.0.0-beta', '1.0.0+build', 'USER_00001', 'user_00001', 'vip', 'user_1 with space');
  const emails = keyPool.filter((k) => k.includes('@'));
  const pickKey = () => R.pick(keyPool);

  // ---- segments ----
  const SEGMENT_BASES = ['beta_users', 'employees', 'internal', 'qa_team', 'partners', 'blocked', 'early_adopters',
    'region_latam', 'churned', 'vip'];
  const segments = SEGMENT_BASES.map((b, i) => {
    const added = R.sample(keyPool, R.int(8, 40));
    if (R.chance(0.5)) added.push(...R.sample(emails, 3));
    const removed = R.sample(added, R.int(0, 4));
    removed.push(`ghost_${R.int(1, 999)}`);
    return { name: `${b}_${pad(i, 2)}`, added, removed, since: -1, till: 1700000000000 + R.int(0, 1e9) };
  });
  const segmentNames = segments.map((s) => s.name);
  const missingSegments = ['seg_missing_00', 'seg_missing_01'];
  const largeSegments = ['large_users_00', 'large_users_01'];
  const anySegment = () => (R.chance(0.12) ? R.pick(missingSegments) : R.pick(segmentNames));

  // ---- names ----
  const PREFIX = ['ff', 'exp', 'release', 'ops', 'kill', 'new'];
  const TOPIC = ['checkout', 'search', 'banner', 'pricing', 'onboarding', 'recs', 'api', 'cache', 'payments', 'dark_mode'];
  const flagNames = Array.from({ length: nFlags }, (_, i) => `${R.pick(PREFIX)}_${R.pick(TOPIC)}_${pad(i, 3)}`);
  const nRbs = 8;
  const rbsNames = Array.from({ length: nRbs }, (_, i) => `rbs_${R.pick(['power_users', 'qa', 'risky', 'mobile_latam', 'vip'])}_${pad(i, 2)}`);
  const missingRbs = ['rbs_missing_00', 'rbs_missing_01'];
  const missingFlags = ['ff_missing_dep_000', 'ff_missing_dep_001'];
  const nLeaves = Math.min(10, Math.max(1, Math.floor(nFlags / 8))); // flags with no dependency of any kind

  // Matcher (type, keyed by attribute?) combinations that must appear; consumed before random choices.
  const required = [];
  for (const t of MATCHER_TYPES) required.push([t, true], [t, false]);
  required.push(['BETWEEN_DATETIME', true], ['EQUAL_TO_DATETIME', true], ['GREATER_THAN_OR_EQUAL_TO_DATETIME', true]);
  const requiredQueue = R.shuffle(required);

  const flagInfo = []; // per generated flag: { name, treatments (incl. the default) }
  const attrDeps = new Map(); // entity name -> Set(attribute names), for request generation
  const entityRefs = new Map(); // entity name -> Set(entity names it evaluates)

  // ---- values used by rules and requests ----
  const datetimeValue = () => R.pick(DATETIME_BASES) + R.pick([0, 1, -1, MIN - 1, MIN, -MIN, DAY - 1, DAY, -DAY, 37123, R.int(-5 * DAY, 5 * DAY)]);
  const numberValue = () => (R.chance(0.7) ? R.pick(NUMBER_POOL) : R.chance(0.5) ? R.int(-50, 1200) : Math.round(R.float() * 2000 - 500) / 10);
  const stringValueFor = (attr) => {
    switch (attr) {
      case 'email': return R.chance(0.7) ? R.pick(emails) : email();
      case 'country': return R.pick(COUNTRIES);
      case 'locale': return R.pick(LOCALES);
      case 'device': return R.pick(DEVICES);
      default: return pickKey();
    }
  };
  const fragment = (s) => {
    const cps = Array.from(s);
    const n = R.int(1, Math.max(1, Math.min(6, cps.length)));
    return R.pick(['prefix', 'suffix', 'middle']) === 'prefix' ? cps.slice(0, n).join('')
      : R.chance(0.5) ? cps.slice(cps.length - n).join('') : cps.slice(1, 1 + n).join('');
  };

  function baseMatcher(type, attribute) {
    return {
      keySelector: { trafficType: 'user', attribute },
      matcherType: type,
      negate: R.chance(0.2),
      userDefinedSegmentMatcherData: null,
      whitelistMatcherData: null,
      unaryNumericMatcherData: null,
      betweenMatcherData: null,
      dependencyMatcherData: null,
      booleanMatcherData: null,
      stringMatcherData: null,
    };
  }

  // ctx: { owner, flagIndex (flags before it may be referenced), rbsIndex (RBS before it may be referenced),
  //        inRbs, leaf }
  function makeMatcher(ctx, forced) {
    let type, withAttr, datetime = false;
    if (forced) {
      [type, withAttr] = forced;
      if (type.endsWith('_DATETIME')) { type = type.slice(0, -9); datetime = true; }
    } else {
      type = R.pick(MATCHER_TYPES);
      withAttr = undefined;
    }
    // leaves reference nothing; their random matchers fall back to plain ones
    if (ctx.leaf && (type === 'IN_SPLIT_TREATMENT' || type === 'IN_RULE_BASED_SEGMENT')) type = R.pick(['ALL_KEYS', 'WHITELIST', 'IN_SEGMENT', 'EQUAL_TO_BOOLEAN']);

    const keyedProb = {
      ALL_KEYS: 0.9, IN_SEGMENT: 0.6, WHITELIST: 0.6, IN_SPLIT_TREATMENT: 0.85, IN_RULE_BASED_SEGMENT: 0.85,
      IN_LARGE_SEGMENT: 0.7, MATCHES_STRING: 0.4, ENDS_WITH: 0.4, STARTS_WITH: 0.4, CONTAINS_STRING: 0.4,
    }[type] ?? 0.08;
    if (withAttr === undefined) withAttr = !R.chance(keyedProb);

    let kind;
    if (NUMERIC_TYPES.includes(type)) {
      if (!forced) datetime = R.chance(0.4);
      kind = datetime ? 'datetime' : 'number';
    } else if (SET_TYPES.includes(type)) kind = 'set';
    else if (SEMVER_TYPES.includes(type)) kind = 'semver';
    else if (type === 'EQUAL_TO_BOOLEAN') kind = 'boolean';
    else if (type === 'IN_SPLIT_TREATMENT' || type === 'IN_RULE_BASED_SEGMENT') kind = 'keyref';
    else if (type === 'ALL_KEYS') kind = 'any';
    else if (['IN_SEGMENT', 'WHITELIST', 'IN_LARGE_SEGMENT'].includes(type)) kind = 'keylike';
    else kind = 'string';

    let attribute = null;
    if (withAttr) {
      if (kind === 'any') attribute = R.pick(Object.keys(ATTRS));
      else if (kind === 'keylike') attribute = R.pick(['email', 'account_key', 'country']);
      else if (kind === 'string') attribute = R.pick(['email', 'country', 'locale', 'device', 'account_key']);
      else attribute = R.pick(attrsOf(kind));
    }
    const m = baseMatcher(type, attribute);
    if (!withAttr && R.chance(0.05)) m.keySelector = R.pick([null, { trafficType: 'user', attribute: '' }, { trafficType: 'user' }]);
    if (attribute) attrDeps.get(ctx.owner).add(attribute);

    const valueOf = () => (attribute ? stringValueFor(attribute) : pickKey());
    let desc;
    switch (type) {
      case 'ALL_KEYS':
        desc = 'all keys';
        break;
      case 'IN_SEGMENT': {
        const s = anySegment();
        m.userDefinedSegmentMatcherData = { segmentName: s };
        desc = `in segment ${s}`;
        break;
      }
      case 'IN_LARGE_SEGMENT': {
        const s = R.pick(largeSegments);
        m.userDefinedLargeSegmentMatcherData = { largeSegmentName: s };
        desc = `in large segment ${s}`;
        break;
      }
      case 'WHITELIST': {
        const list = Array.from({ length: R.int(1, 6) }, valueOf);
        if (R.chance(0.1)) list.push(R.pick(['', ' ', 'USER_00001', '12345']));
        m.whitelistMatcherData = { whitelist: list };
        desc = 'whitelisted';
        break;
      }
      case 'EQUAL_TO': case 'GREATER_THAN_OR_EQUAL_TO': case 'LESS_THAN_OR_EQUAL_TO': {
        const dataType = datetime ? 'DATETIME' : R.pick(['NUMBER', 'NUMBER', 'NUMBER', null]);
        m.unaryNumericMatcherData = { dataType, value: datetime ? datetimeValue() : numberValue() };
        desc = `${type.toLowerCase()} ${m.unaryNumericMatcherData.value}`;
        break;
      }
      case 'BETWEEN': {
        const a = datetime ? datetimeValue() : numberValue();
        const b = datetime ? a + R.pick([0, MIN, DAY, 30 * DAY, R.int(1, 400 * DAY)]) : a + R.pick([0, 1, 10, 100, R.int(1, 500)]);
        const reversed = R.chance(0.1);
        m.betweenMatcherData = { dataType: datetime ? 'DATETIME' : R.pick(['NUMBER', 'NUMBER', null]), start: reversed ? b : a, end: reversed ? a : b };
        desc = `between ${m.betweenMatcherData.start} and ${m.betweenMatcherData.end}`;
        break;
      }
      case 'EQUAL_TO_SET': case 'CONTAINS_ANY_OF_SET': case 'CONTAINS_ALL_OF_SET': case 'PART_OF_SET': {
        const vocab = SET_VOCAB[attribute] || SET_VOCAB.tags;
        const list = R.sample(vocab, R.int(1, 4));
        if (R.chance(0.1)) list.push(list[0]); // duplicates count in the rule list
        m.whitelistMatcherData = { whitelist: list };
        desc = `${type.toLowerCase()} [${list.join(',')}]`;
        break;
      }
      case 'ENDS_WITH': case 'STARTS_WITH': case 'CONTAINS_STRING': {
        const list = Array.from({ length: R.int(1, 3) }, () => fragment(valueOf()));
        if (R.chance(0.08)) list.push('');
        if (type === 'ENDS_WITH' && R.chance(0.3)) list.push(R.pick(['.io', '.com', 'AR', 'ar', '1']));
        m.whitelistMatcherData = { whitelist: list };
        desc = `${type.toLowerCase()} ${JSON.stringify(list)}`;
        break;
      }
      case 'IN_SPLIT_TREATMENT': {
        let dep, treatments;
        const canRef = ctx.flagIndex > 0;
        if (!canRef || R.chance(0.1)) {
          dep = R.pick(missingFlags);
          treatments = R.chance(0.5) ? ['control'] : ['on'];
        } else {
          // usually a recent flag: builds chains
          const j = R.chance(0.5) ? Math.max(0, ctx.flagIndex - R.int(1, 3)) : R.int(0, ctx.flagIndex - 1);
          const info = flagInfo[j];
          dep = info.name;
          treatments = R.sample(info.treatments, R.int(1, info.treatments.length));
          if (R.chance(0.1)) treatments.push('control');
        }
        m.dependencyMatcherData = { split: dep, treatments };
        entityRefs.get(ctx.owner).add(dep);
        desc = `in split ${dep} treatment ${JSON.stringify(treatments)}`;
        break;
      }
      case 'EQUAL_TO_BOOLEAN':
        m.booleanMatcherData = R.chance(0.5);
        desc = `is ${m.booleanMatcherData}`;
        break;
      case 'MATCHES_STRING':
        m.stringMatcherData = R.pick(REGEXES);
        desc = `matches ${m.stringMatcherData}`;
        break;
      case 'EQUAL_TO_SEMVER': case 'GREATER_THAN_OR_EQUAL_TO_SEMVER': case 'LESS_THAN_OR_EQUAL_TO_SEMVER':
        m.stringMatcherData = R.chance(0.06) ? R.pick(INVALID_SEMVERS) : R.pick(VALID_SEMVERS);
        desc = `${type.toLowerCase()} ${m.stringMatcherData}`;
        break;
      case 'BETWEEN_SEMVER': {
        const [a, b] = [R.pick(VALID_SEMVERS), R.pick(VALID_SEMVERS)];
        m.betweenStringMatcherData = { start: a, end: R.chance(0.05) ? R.pick(INVALID_SEMVERS) : b };
        desc = `between semver ${a} and ${b}`;
        break;
      }
      case 'IN_LIST_SEMVER': {
        const list = R.sample(VALID_SEMVERS, R.int(1, 5));
        if (R.chance(0.06)) list.push(R.pick(INVALID_SEMVERS));
        m.whitelistMatcherData = { whitelist: list };
        desc = `in semver list ${list.join(',')}`;
        break;
      }
      case 'IN_RULE_BASED_SEGMENT': {
        let name;
        if (ctx.inRbs) name = ctx.rbsIndex > 0 && !R.chance(0.15) ? rbsNames[R.int(0, ctx.rbsIndex - 1)] : R.pick(missingRbs);
        else name = R.chance(0.1) ? R.pick(missingRbs) : R.pick(rbsNames);
        m.userDefinedSegmentMatcherData = { segmentName: name };
        entityRefs.get(ctx.owner).add(name);
        desc = `in rule-based segment ${name}`;
        break;
      }
      default: throw new Error(type);
    }
    return { matcher: m, desc: `${attribute || 'key'} ${m.negate ? 'not ' : ''}${desc}` };
  }

  function makeMatchers(ctx, n) {
    const out = [];
    for (let i = 0; i < n; i++) {
      let forced;
      if (requiredQueue.length) {
        const idx = requiredQueue.findIndex(([t]) => !(ctx.leaf && (t === 'IN_SPLIT_TREATMENT' || t === 'IN_RULE_BASED_SEGMENT')));
        if (idx >= 0) forced = requiredQueue.splice(idx, 1)[0];
      }
      out.push(makeMatcher(ctx, forced));
    }
    return out;
  }

  function partitions(treatments) {
    const chosen = R.sample(treatments, R.int(1, treatments.length));
    const sizes = [];
    let left = 100;
    for (let i = 0; i < chosen.length - 1; i++) {
      const s = R.chance(0.15) ? 0 : R.int(0, left);
      sizes.push(s);
      left -= s;
    }
    sizes.push(left);
    const parts = chosen.map((t, i) => ({ treatment: t, size: sizes[i] }));
    if (R.chance(0.12)) parts.splice(R.int(0, parts.length), 0, { treatment: R.pick(treatments), size: 0 });
    return parts;
  }

  // ---- flags and rule-based segments ----
  const ff = [];
  const rbs = [];
  let changeNumber = 1700000000000;
  const nextCn = () => (changeNumber += R.int(1, 100000));

  // Deliberately odd definitions: each kind at least once (on random flags), plus a small random rate.
  const ODD_KINDS = ['unknown_matcher', 'empty_matchers', 'no_conditions', 'bad_partitions', 'empty_partitions', 'no_default_treatment'];
  const oddPlan = new Map();
  if (nFlags >= 2 * ODD_KINDS.length) R.sample([...Array(nFlags).keys()], ODD_KINDS.length).forEach((i, k) => oddPlan.set(i, ODD_KINDS[k]));

  function makeFlag(i) {
    const name = flagNames[i];
    const leaf = i < nLeaves;
    attrDeps.set(name, new Set());
    entityRefs.set(name, new Set());
    const treatments = R.pick(TREATMENT_SETS);
    const ctx = { owner: name, flagIndex: i, leaf };
    const odd = oddPlan.get(i) ?? (R.chance(0.04) ? R.pick(ODD_KINDS) : null);
    const conditions = [];
    if (R.chance(0.3)) { // whitelist condition of keys first
      const { matcher } = makeMatcher(ctx, ['WHITELIST', false]);
      matcher.negate = false;
      conditions.push({ conditionType: 'WHITELIST', matcherGroup: { combiner: 'AND', matchers: [matcher] }, partitions: [{ treatment: R.pick(treatments), size: 100 }], label: 'whitelisted' });
    }
    const nTargeted = R.int(1, 3);
    for (let c = 0; c < nTargeted; c++) {
      const ms = makeMatchers(ctx, R.pick([1, 1, 1, 2, 2, 3]));
      const cond = {
        conditionType: R.chance(0.85) ? 'ROLLOUT' : 'WHITELIST',
        matcherGroup: { combiner: 'AND', matchers: ms.map((x) => x.matcher) },
        partitions: partitions(treatments),
        label: ms.map((x) => x.desc).join(' and '),
      };
      if (R.chance(0.12)) delete cond.label;
      conditions.push(cond);
    }
    if (R.chance(0.7)) {
      const { matcher } = makeMatcher(ctx, ['ALL_KEYS', false]);
      matcher.negate = false;
      const cond = { conditionType: 'ROLLOUT', matcherGroup: { combiner: 'AND', matchers: [matcher] }, partitions: partitions(treatments), label: 'default rule' };
      if (R.chance(0.3)) delete cond.label;
      conditions.push(cond);
    }
    if (odd === 'unknown_matcher') {
      const c = R.pick(conditions);
      c.matcherGroup.matchers.push({ ...baseMatcher('SOME_FUTURE_MATCHER', null), negate: false });
    } else if (odd === 'empty_matchers') R.pick(conditions).matcherGroup.matchers = [];
    else if (odd === 'no_conditions') conditions.length = 0;
    else if (odd === 'bad_partitions') {
      const c = R.pick(conditions);
      c.partitions = [{ treatment: treatments[0], size: R.pick([10, 50, 90, 99, 101]) }, { treatment: treatments[1], size: R.pick([0, 5, 10]) }];
    } else if (odd === 'empty_partitions') R.pick(conditions).partitions = [];

    let trafficAllocation = 100;
    if (R.chance(0.35)) trafficAllocation = R.chance(0.15) ? 0 : R.int(1, 99);
    const configurations = R.chance(0.3) ? null : Object.fromEntries(
      R.sample(treatments, R.int(1, treatments.length)).map((t) => [t, R.pick(CONFIG_POOL)]));
    const flag = {
      trafficTypeName: 'user',
      name,
      trafficAllocation,
      trafficAllocationSeed: R.int32(),
      seed: R.int32(),
      status: 'ACTIVE',
      killed: R.chance(0.08),
      defaultTreatment: R.chance(0.05) ? 'control' : R.pick(treatments),
      changeNumber: nextCn(),
      algo: R.chance(0.95) ? 2 : 1,
      conditions,
      configurations,
      sets: R.chance(0.1) ? null : R.sample(['checkout', 'mobile', 'web', 'backend', 'experiments'], R.int(0, 2)),
      impressionsDisabled: R.chance(0.1),
    };
    if (odd === 'no_default_treatment') delete flag.defaultTreatment;
    if (R.chance(0.1)) delete flag.trafficAllocation; // behaves as 100 in JS
    if (!leaf && R.chance(0.25)) {
      flag.prerequisites = Array.from({ length: R.int(1, 2) }, () => {
        if (R.chance(0.15)) return { n: R.pick(missingFlags), ts: R.chance(0.5) ? ['control'] : ['on', 'off'] };
        const info = flagInfo[R.int(0, i - 1)];
        const ts = R.sample(info.treatments, R.int(1, info.treatments.length));
        return { n: info.name, ts };
      });
      for (const p of flag.prerequisites) entityRefs.get(name).add(p.n);
    } else {
      const v = R.pick(['empty', 'empty', 'null', 'absent']);
      if (v === 'empty') flag.prerequisites = [];
      else if (v === 'null') flag.prerequisites = null;
    }
    if (R.chance(0.03)) flag.status = 'ARCHIVED';
    flagInfo.push({ name, treatments: [...treatments, flag.defaultTreatment ?? 'control'] });
    return flag;
  }

  function makeRbs(r) {
    const name = rbsNames[r];
    attrDeps.set(name, new Set());
    entityRefs.set(name, new Set());
    const ctx = { owner: name, flagIndex: nLeaves, rbsIndex: r, inRbs: true, leaf: false };
    const conditions = [];
    const nCond = R.chance(0.08) ? 0 : R.int(1, 3);
    for (let c = 0; c < nCond; c++) {
      const ms = makeMatchers(ctx, R.pick([1, 1, 2, 2, 3]));
      conditions.push({ conditionType: R.pick(['ROLLOUT', 'WHITELIST']), matcherGroup: { combiner: 'AND', matchers: ms.map((x) => x.matcher) } });
    }
    if (nCond && R.chance(0.05)) R.pick(conditions).matcherGroup.matchers.push({ ...baseMatcher('SOME_FUTURE_MATCHER', null), negate: false });
    const seg = {
      name,
      trafficTypeName: 'user',
      changeNumber: nextCn(),
      status: R.chance(0.06) ? 'ARCHIVED' : 'ACTIVE',
      conditions,
    };
    const ex = R.float();
    if (ex < 0.1) seg.excluded = null;
    else if (ex < 0.15) { /* no `excluded` */ } else {
      const excludedSegs = [];
      if (R.chance(0.6)) excludedSegs.push({ type: 'standard', name: anySegment() });
      if (r > 0 && R.chance(0.5)) {
        const other = rbsNames[R.int(0, r - 1)];
        excludedSegs.push({ type: 'rule-based', name: other });
        entityRefs.get(name).add(other);
      }
      if (R.chance(0.15)) excludedSegs.push({ type: 'rule-based', name: R.pick(missingRbs) });
      if (R.chance(0.2)) excludedSegs.push({ type: 'large', name: R.pick(largeSegments) });
      seg.excluded = {
        keys: R.chance(0.1) ? null : R.sample(keyPool, R.int(0, 8)),
        segments: R.chance(0.1) ? null : R.shuffle(excludedSegs),
      };
    }
    return seg;
  }

  for (let i = 0; i < nLeaves; i++) ff.push(makeFlag(i));
  for (let r = 0; r < nRbs; r++) rbs.push(makeRbs(r));
  // Guarantee exclusions of every kind and a nested rule-based segment, whatever the seed.
  const lastRbs = rbs[nRbs - 1];
  lastRbs.status = 'ACTIVE';
  lastRbs.excluded = {
    keys: R.sample(keyPool, 4),
    segments: [{ type: 'standard', name: R.pick(segmentNames) }, { type: 'rule-based', name: rbsNames[0] }, { type: 'large', name: largeSegments[0] }],
  };
  entityRefs.get(lastRbs.name).add(rbsNames[0]);
  const nested = rbs[nRbs - 2];
  nested.status = 'ACTIVE';
  if (!nested.conditions.length) nested.conditions.push({ conditionType: 'ROLLOUT', matcherGroup: { combiner: 'AND', matchers: [] } });
  nested.conditions[0].matcherGroup.matchers.push({ ...baseMatcher('IN_RULE_BASED_SEGMENT', null), userDefinedSegmentMatcherData: { segmentName: rbsNames[1] } });
  entityRefs.get(nested.name).add(rbsNames[1]);

  for (let i = nLeaves; i < nFlags; i++) ff.push(makeFlag(i));
  // Guarantee some structural cases whatever the seed.
  if (nFlags > nLeaves + 3) {
    const f = ff[nFlags - 1]; // depends on a missing flag
    f.status = 'ACTIVE';
    if (f.conditions.length === 0) f.conditions.push({ conditionType: 'ROLLOUT', matcherGroup: { combiner: 'AND', matchers: [] }, partitions: [{ treatment: 'on', size: 100 }] });
    f.conditions[0].matcherGroup.matchers = [{ ...baseMatcher('IN_SPLIT_TREATMENT', null), negate: false, dependencyMatcherData: { split: missingFlags[0], treatments: ['control'] } }];
    f.conditions[0].partitions = [{ treatment: 'on', size: 60 }, { treatment: 'off', size: 40 }];
    f.conditions[0].label = `key in split ${missingFlags[0]} treatment ["control"]`;
    entityRefs.get(f.name).add(missingFlags[0]);
    const g = ff[nFlags - 2]; // zero traffic allocation
    g.trafficAllocation = 0;
    g.killed = false;
    const h = ff[nFlags - 3]; // prerequisites: one real, one missing
    h.prerequisites = [{ n: flagInfo[0].name, ts: flagInfo[0].treatments.slice(0, 1) }, { n: missingFlags[1], ts: ['control'] }];
    entityRefs.get(h.name).add(flagInfo[0].name).add(missingFlags[1]);
    if (!ff.some((x) => x.status === 'ARCHIVED')) ff[R.int(nLeaves, nFlags - 4)].status = 'ARCHIVED';
  }

  // ---- requests ----
  const activeFlags = ff.filter((f) => f.status !== 'ARCHIVED').map((f) => f.name);
  const archivedFlags = ff.filter((f) => f.status === 'ARCHIVED').map((f) => f.name);
  const closure = new Map(); // entity -> all attributes it may read (through references)
  function attributesOf(name, seen = new Set()) {
    if (closure.has(name)) return closure.get(name);
    if (seen.has(name) || !attrDeps.has(name)) return new Set();
    seen.add(name);
    const out = new Set(attrDeps.get(name));
    for (const ref of entityRefs.get(name)) for (const a of attributesOf(ref, seen)) out.add(a);
    closure.set(name, out);
    return out;
  }

  const PADS = [' ', '  ', '\t', '\n', '\u00a0', '\ufeff', '\u2003', '\u0085'];
  const padded = (s, gen, tag) => {
    gen.push(tag);
    const p = R.pick(PADS);
    return R.pick([p + s, s + p, p + s + p]);
  };

  function oddValue(kind, gen, attr) {
    const odd = (v, what) => { gen.push(`odd:${attr}:${what}`); return v; };
    switch (kind) {
      case 'number': return R.pick([
        () => odd(String(R.pick(NUMBER_POOL)), 'numeric_string'), () => odd(` ${R.pick(NUMBER_POOL)} `, 'padded_numeric'),
        () => odd(R.pick(['0x1A', '0b11', '0o17', '0X10']), 'radix_string'), () => odd(R.pick(['1e3', '1E2', '.5', '5.', '+7', '-0']), 'float_string'),
        () => odd(R.pick(['Infinity', '-Infinity', 'NaN', 'abc', '1_000', '12px', '', '   ']), 'garbage_string'),
        () => odd(null, 'null'), () => odd(R.chance(0.5), 'bool'), () => odd(R.pick([[], ['7'], [1, 2], [[3]], ['']]), 'array'),
        () => odd(R.pick([{}, { a: 1 }]), 'object'), () => odd(R.pick([1e21, 1.7976931348623157e308, 5e-324, 0.1 + 0.2]), 'extreme'),
      ])();
      case 'datetime': return R.pick([
        () => odd(String(datetimeValue()), 'ms_string'), () => odd(Math.floor(datetimeValue() / 1000), 'seconds'),
        () => odd(datetimeValue() + 0.5, 'float_ms'), () => odd(-R.int(1, 5) * DAY - R.int(0, DAY), 'negative'),
        () => odd(R.pick([8.64e15, 8.64e15 + 1, -8.64e15, -8.64e15 - 1]), 'range_edge'),
        () => odd(R.pick(['2024-01-01', '', 'now']), 'date_string'), () => odd(null, 'null'), () => odd(R.chance(0.5), 'bool'),
        () => odd([datetimeValue()], 'array'),
      ])();
      case 'string': case 'keyref': return R.pick([
        () => odd(R.pick([42, 1.5, 0, -1, 1e21]), 'number'), () => odd(R.chance(0.5), 'bool'), () => odd(null, 'null'),
        () => odd(R.pick([['a', 'b'], [1, 'a'], [], [null], ['user_00001'], [['x']]]), 'array'),
        () => odd(R.pick([{}, { matchingKey: pickKey() }, { matchingKey: pickKey(), bucketingKey: pickKey() }, { matchingKey: '' }]), 'object'),
        () => odd('', 'empty'), () => padded(stringValueFor(attr), gen, `odd:${attr}:padded`),
        () => odd(`${R.pick(UNICODE_WORDS)}${R.pick(['', '𝌆', '😀'])}`, 'unicode'), () => odd(R.pick(['null', 'undefined', 'NULL', 'true']), 'word'),
        () => odd(R.pick(keyPool).toUpperCase(), 'case'),
      ])();
      case 'set': return R.pick([
        () => { const v = R.sample(SET_VOCAB[attr], R.int(1, 3)); return odd([...v, ...v], 'duplicates'); },
        () => odd(R.pick([[1, '1', null, true], [1, 2], [null], [{}], [true, 'true'], ['vip', 1.5, -0]]), 'mixed'),
        () => odd(R.pick([[['beta', 'vip'], 'new'], [[1, 2]], [[]], [['read']]]), 'nested'), () => odd([], 'empty'),
        () => odd(R.pick(SET_VOCAB[attr]), 'string'), () => odd(R.int(0, 3), 'number'), () => odd(null, 'null'), () => odd({}, 'object'),
        () => odd(R.pick([['VIP', 'vip '], ['read ', 'Read']]), 'near_miss'),
      ])();
      case 'boolean': return R.pick([
        () => odd(R.pick(['true', 'false', 'TRUE', 'False', 'tRuE']), 'bool_string'), () => odd(R.pick([' true', 'false ', 'yes', 't', '1']), 'bad_bool_string'),
        () => odd(R.pick([1, 0]), 'number'), () => odd(null, 'null'), () => odd(R.pick([[], [true], {}]), 'container'),
      ])();
      case 'semver': return R.pick([
        () => odd(R.pick(INVALID_SEMVERS), 'invalid_semver'), () => odd(R.pick([1, 1.5, 2, 10.2]), 'number'), () => odd(null, 'null'),
        () => odd(R.pick([['1.2.3'], ['1', '2'], {}]), 'container'), () => odd(R.chance(0.5), 'bool'),
      ])();
      default: throw new Error(kind);
    }
  }

  function attrValue(attr, gen, oddRate) {
    const kind = ATTRS[attr];
    if (R.chance(oddRate)) return oddValue(kind, gen, attr);
    switch (kind) {
      case 'number': return numberValue();
      case 'datetime': return datetimeValue();
      case 'string': return stringValueFor(attr);
      case 'set': return R.sample(SET_VOCAB[attr], R.int(1, 4));
      case 'boolean': return R.chance(0.5);
      case 'semver': return R.pick(VALID_SEMVERS);
      case 'keyref': return pickKey();
      default: throw new Error(kind);
    }
  }

  function makeKey(gen) {
    const r = R.float();
    if (r < 0.68) return pickKey();
    if (r < 0.76) { gen.push('key:number'); return R.pick(NUMBER_KEYS); }
    if (r < 0.80) return padded(pickKey(), gen, 'key:padded');
    if (r < 0.82) { gen.push('key:empty'); return R.pick(['', ' ', '   ', '\t\n', '\ufeff']); }
    if (r < 0.83) { gen.push('key:null'); return null; }
    if (r < 0.85) {
      gen.push('key:long');
      return R.pick(['k'.repeat(250), 'k'.repeat(251), 'k'.repeat(300), '𝌆'.repeat(125), '𝌆'.repeat(126), ` ${'k'.repeat(250)} `, 'é'.repeat(250)]);
    }
    if (r < 0.86) { gen.push('key:bad_type'); return R.pick([true, false, [], ['user_00001'], [1]]); }
    if (r < 0.89) { gen.push('key:unicode'); return `${R.pick(UNICODE_WORDS)}${R.pick(['', '𝌆', '😀', '_' + R.int(0, 99)])}`; }
    gen.push('key:fresh');
    return `anon_${R.int(0, 9999999)}`;
  }

  function makeBucketingKey(gen) {
    const r = R.float();
    if (r < 0.6) return pickKey();
    if (r < 0.7) { gen.push('bucketingKey:fresh'); return `bk_${R.int(0, 99999)}`; }
    if (r < 0.78) { gen.push('bucketingKey:number'); return R.pick(NUMBER_KEYS); }
    if (r < 0.84) { gen.push('bucketingKey:empty'); return R.pick(['', '  ']); }
    if (r < 0.88) { gen.push('bucketingKey:null'); return null; }
    if (r < 0.93) return padded(pickKey(), gen, 'bucketingKey:padded');
    gen.push('bucketingKey:long');
    return R.pick(['b'.repeat(250), 'b'.repeat(251)]);
  }

  const requests = [];
  for (let id = 0; id < nRequests; id++) {
    const gen = [];
    let flag;
    const fr = R.float();
    if (fr < 0.04) { gen.push('flag:missing'); flag = `${R.pick(PREFIX)}_missing_${pad(R.int(0, 999), 3)}`; }
    else if (fr < 0.055 && archivedFlags.length) { gen.push('flag:archived'); flag = R.pick(archivedFlags); }
    else if (fr < 0.075) flag = padded(R.pick(activeFlags), gen, 'flag:padded');
    else if (fr < 0.08) { gen.push('flag:bad'); flag = R.pick(['', '  ', null, 5, ['a']]); }
    else flag = R.pick(activeFlags);

    const req = { id, key: makeKey(gen) };
    if (R.chance(0.15)) req.bucketingKey = makeBucketingKey(gen);
    req.flag = flag;

    const ar = R.float();
    if (ar < 0.06) { gen.push('attributes:absent'); }
    else if (ar < 0.08) { gen.push('attributes:null'); req.attributes = null; }
    else if (ar < 0.105) { gen.push('attributes:not_object'); req.attributes = R.pick(['attrs', 5, 0, [1, 2], [], true, '{"age":3}']); }
    else {
      const name = typeof flag === 'string' ? flag.trim() : '';
      const relevant = attributesOf(name);
      const oddRate = R.pick([0.05, 0.15, 0.3]);
      const attrs = {};
      for (const a of Object.keys(ATTRS)) {
        if (R.chance(relevant.has(a) ? 0.85 : 0.12)) attrs[a] = attrValue(a, gen, oddRate);
      }
      if (R.chance(0.2)) attrs[`noise_${R.int(0, 5)}`] = R.pick([1, 'x', null, true, [1], { deep: { x: 1 } }]);
      req.attributes = attrs;
    }
    req._gen = gen;
    requests.push(req);
  }

  const till = changeNumber + 1;
  return {
    splits: { ff: { d: ff, s: -1, t: till }, rbs: { d: rbs, s: -1, t: till } },
    segments,
    requests,
  };
}

export function writeCorpus(dir, corpus) {
  rmSync(path.join(dir, 'segments'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'segments'), { recursive: true });
  writeFileSync(path.join(dir, 'splits.json'), JSON.stringify(corpus.splits, null, 1) + '\n');
  for (const s of corpus.segments) writeFileSync(path.join(dir, 'segments', `${s.name}.json`), JSON.stringify(s) + '\n');
  writeFileSync(path.join(dir, 'requests.jsonl'), corpus.requests.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** What a corpus covers: counts of features, for the README and for a sanity check. */
export function coverage(corpus) {
  const c = {};
  const inc = (k, n = 1) => { c[k] = (c[k] || 0) + n; };
  const visitMatchers = (conds) => {
    for (const cond of conds) for (const m of cond.matcherGroup.matchers) {
      const attr = m.keySelector && m.keySelector.attribute;
      inc(`matcher:${m.matcherType}:${attr ? 'attribute' : 'key'}`);
      if (m.negate) inc(`matcher:${m.matcherType}:negated`);
      const dt = (m.unaryNumericMatcherData || m.betweenMatcherData || {}).dataType;
      if (dt === 'DATETIME') inc(`matcher:${m.matcherType}:DATETIME`);
    }
  };
  for (const f of corpus.splits.ff.d) {
    visitMatchers(f.conditions);
    if (f.killed) inc('flag:killed');
    if (f.status === 'ARCHIVED') inc('flag:archived');
    if (f.trafficAllocation === 0) inc('flag:trafficAllocation=0');
    else if (f.trafficAllocation < 100) inc('flag:trafficAllocation<100');
    if (f.seed < 0) inc('flag:negative_seed');
    if (f.conditions.length === 0) inc('flag:no_conditions');
    if (f.conditions.some((x) => x.matcherGroup.matchers.length === 0)) inc('flag:empty_matchers');
    if (f.conditions.some((x) => x.matcherGroup.matchers.some((m) => !MATCHER_TYPES.includes(m.matcherType)))) inc('flag:unknown_matcher');
    if (f.conditions.some((x) => x.partitions.reduce((s, p) => s + p.size, 0) !== 100)) inc('flag:bad_partitions');
    if (f.conditions.some((x) => x.partitions.some((p) => p.size === 0))) inc('flag:zero_size_partition');
    if (f.conditions.some((x) => x.conditionType === 'WHITELIST')) inc('flag:whitelist_condition');
    if (f.conditions.some((x) => !('label' in x))) inc('flag:unlabelled_condition');
    if (f.conditions.length > 1) inc('flag:multiple_conditions');
    if (f.prerequisites && f.prerequisites.length) inc('flag:prerequisites');
    if (f.configurations && Object.values(f.configurations).includes('')) inc('flag:empty_string_config');
    if (f.sets && f.sets.length) inc('flag:sets');
  }
  for (const r of corpus.splits.rbs.d) {
    visitMatchers(r.conditions);
    if (r.excluded && r.excluded.keys && r.excluded.keys.length) inc('rbs:excluded_keys');
    for (const s of (r.excluded && r.excluded.segments) || []) inc(`rbs:excluded_${s.type}`);
    if (r.conditions.some((x) => x.matcherGroup.matchers.some((m) => m.matcherType === 'IN_RULE_BASED_SEGMENT'))) inc('rbs:nested');
  }
  for (const q of corpus.requests) for (const g of q._gen) inc(`request:${g.split(':').slice(0, g.startsWith('odd:') ? 1 : 2).join(':')}`);
  return c;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const opt = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--stats') opt.stats = true;
    else if (a.startsWith('--')) opt[a.slice(2)] = args[++i];
  }
  if (opt.seed === undefined || !/^-?\d+$/.test(opt.seed) || (!opt.out && !opt.stats)) {
    console.error('usage: generate.mjs --seed N --out DIR [--flags F] [--requests R] [--stats]');
    process.exit(2);
  }
  const corpus = generateCorpus(BigInt(opt.seed), {
    flags: opt.flags ? Number(opt.flags) : undefined,
    requests: opt.requests ? Number(opt.requests) : undefined,
  });
  if (opt.out) writeCorpus(opt.out, corpus);
  if (opt.stats) console.log(JSON.stringify(coverage(corpus), Object.keys(coverage(corpus)).sort(), 1));
}
