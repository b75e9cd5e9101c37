// Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the project's fixtures and
// the shared test data (../shared/fixtures, ../shared/conformance): a small representative set,
// so the repository stays small. Re-run after changing a target's input format:
//   node fuzz/seeds.mjs
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import yaml from 'js-yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(root, '..', 'shared');
const corpus = join(root, 'fuzz', 'corpus');

function put(target, data) {
  const dir = join(corpus, target);
  mkdirSync(dir, { recursive: true });
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  writeFileSync(join(dir, createHash('sha1').update(bytes).digest('hex').slice(0, 16)), bytes);
}

// A deterministic byte stream for the generator-driven targets (xorshift32).
function bytes(seed, n) {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

rmSync(corpus, { recursive: true, force: true });

// load: real SplitChange / SegmentChange bodies, both shapes.
for (const f of readdirSync(join(shared, 'fixtures', 'snapshots'))) {
  put('load', readFileSync(join(shared, 'fixtures', 'snapshots', f)));
}
put('load', readFileSync(join(root, 'demo', 'splits.json')));
for (const f of readdirSync(join(root, 'demo', 'segments'))) put('load', readFileSync(join(root, 'demo', 'segments', f)));
for (const c of ['clean', 'edge']) {
  const segs = readdirSync(join(shared, 'conformance', c, 'segments')).slice(0, 2);
  for (const f of segs) put('load', readFileSync(join(shared, 'conformance', c, 'segments', f)));
}

// eval, sync: generator bytes.
for (let i = 1; i <= 24; i++) put('eval', bytes(i, 64 + 48 * i));
for (let i = 1; i <= 16; i++) put('sync', bytes(1000 + i, 64 + 64 * i));

// client_json: conformance requests (mostly the edge corpus) as [key, flag, attributes], plus
// lists of flags and flag sets over the demo snapshot's names.
const demo = JSON.parse(readFileSync(join(root, 'demo', 'splits.json'), 'utf8'));
const demoFlags = (demo.ff?.d ?? demo.splits ?? []).map((f) => f.name);
for (const c of ['edge', 'mixed']) {
  const lines = readFileSync(join(shared, 'conformance', c, 'requests.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const line of lines.slice(0, 30)) {
    const r = JSON.parse(line);
    const key = 'bucketingKey' in r ? { matchingKey: r.key, bucketingKey: r.bucketingKey } : r.key;
    const flag = demoFlags[r.id % demoFlags.length] ?? r.flag;
    put('client_json', JSON.stringify(r.attributes === undefined ? [key, flag] : [key, flag, r.attributes]));
  }
}
put('client_json', JSON.stringify(['alice', demoFlags, { plan: 'pro' }, { p: 1 }]));
put('client_json', JSON.stringify(['bob', ['backend', 'frontend', 'Bad Set', ''], null]));
put('client_json', JSON.stringify([{ matchingKey: 'a', bucketingKey: 12 }, [demoFlags[0], demoFlags[0], 7], 'x']));
put('client_json', JSON.stringify([12.5, null, []]));

// track: [key, trafficType, eventType, value, properties].
const tracks = [
  ['u1', 'user', 'checkout', 9.5, { plan: 'pro', n: 1, ok: true, none: null }],
  [{ matchingKey: 'u1', bucketingKey: 'b' }, ' User ', 'page.view', '12', null],
  [42, 'account', 'a-b_c:d', '  ', { nested: { x: 1 } }],
  ['', null, 'bad type!', 'NaN', []],
  ['x'.repeat(260), 'user', 'e'.repeat(90), 1e308, { ['k'.repeat(300)]: 'v'.repeat(2000) }],
  ['u', 'user', 'ok', '0x1F', Object.fromEntries(Array.from({ length: 320 }, (_, i) => [`p${i}`, i]))],
];
for (const t of tracks) put('track', JSON.stringify(t));

// regex: the official MATCHES_STRING vectors as pattern NUL input.
for (const line of readFileSync(join(shared, 'fixtures', 'regex', 'regex.txt'), 'utf8').split('\n')) {
  const m = /^(.*)#(.*)#(true|false)$/.exec(line);
  if (m) put('regex', `${m[1]}\0${m[2]}`);
}

// localhost: the project's .split and YAML fixtures (YAML as js-yaml parses it, as JSON).
const split = readFileSync(join(root, 'tests', 'fixtures', 'localhost', 'features.split'));
put('localhost', Buffer.concat([Buffer.from([0]), split]));
const doc = yaml.load(readFileSync(join(root, 'tests', 'fixtures', 'localhost', 'features.yaml'), 'utf8'));
put('localhost', Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(doc))]));
put('localhost', Buffer.from('\x01[{"f":{"treatment":"on","keys":["a",1,null],"config":"{}"}},{"f":{"treatment":"off"}},{"7":{"treatment":"x"},"y":{}}]'));
put('localhost', Buffer.from('\x00a on\n b  off extra\n# comment\n\nc\ton\r\n'));

// params: a request per endpoint, GET (even first byte) and POST with a JSON body (odd).
const gets = [
  '/client/get-treatment?key=alice&split-name=new_checkout&attributes=%7B%22plan%22%3A%22pro%22%7D',
  '/client/get-treatment-with-config?key=a&bucketing-key=b&split-name=x',
  '/client/get-treatments?key=&split-names=a,b,,a',
  '/client/get-treatments-with-config?key=%F0%9F%98%80&split-names=a&impressions-disabled=true',
  '/client/get-treatments-by-sets?key=a&flag-sets=backend,Bad',
  '/client/get-treatments-with-config-by-sets?key=a&flag-sets=',
  '/client/get-all-treatments?keys=%5B%7B%22matchingKey%22%3A%22a%22%2C%22trafficType%22%3A%22user%22%7D%5D',
  '/client/get-all-treatments-with-config?keys=[{"matchingKey":1e400,"trafficType":"user"}]',
  '/client/track?key=a&traffic-type=user&event-type=buy&value=3.5&properties=%7B%7D',
  '/manager/split?split-name=new_checkout',
  '/manager/splits',
  '/manager/names',
  '/nowhere?%zz=%41+b#frag',
];
for (const g of gets) put('params', Buffer.concat([Buffer.from([0]), Buffer.from(`https://edge.example${g}`)]));
const posts = [
  ['/client/get-treatment?key=a&split-name=b', { attributes: { plan: 'pro' }, properties: { p: 1 }, impressionsDisabled: true }],
  ['/client/get-treatments?key=a&split-names=b', { attributes: '{"x":1}' }],
  ['/client/get-all-treatments', { keys: [{ matchingKey: 'a', trafficType: 'user' }] }],
  ['/client/get-treatment?key=a&split-name=b', '{"attributes":'],
];
for (const [path, body] of posts) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  put('params', Buffer.concat([Buffer.from([3]), Buffer.from(`https://edge.example${path}`), Buffer.from([0]), Buffer.from(text)]));
}
console.log('seeds written to fuzz/corpus');
