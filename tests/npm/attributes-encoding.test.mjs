// The fast path writes attributes in a compact encoding instead of JSON text: every value must
// evaluate exactly as its JSON text does (getTreatmentWithConfig still sends JSON text). The
// corpora's requests, with their attribute values swapped for exotic ones, through both paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitFactory } from 'split-edge';
import { corpus } from './helpers.mjs';

class WithToJSON { constructor(v) { this.v = v; } toJSON() { return this.v; } }
const inherited = Object.create({ plan: 'pro' });

/** Values JSON.stringify treats specially, or that the encoding writes in a particular way. */
const EXOTIC = [
  -0, 0, NaN, Infinity, -Infinity, 1e21, 1e20, 2 ** 64, -(2 ** 63), 2 ** 53 + 2, 0.1, 5e-7, -12, 3.0,
  undefined, null, true, false, () => 1, Symbol('s'),
  '', 'a', ' 12 ', '0x1A', 'true', 'FALSE', '1.2.3', 'ü', '\ud800', 'x\udc00y', '😀', 'a'.repeat(49), 'é'.repeat(3000),
  [], ['a', 'b', 'a'], [1, '1', null], [undefined, () => 1, NaN, -0], [[1, 2]], [{}], [new Date(0)],
  {}, { matchingKey: 'mk' }, new Date(86_400_000), new WithToJSON('on'), new WithToJSON(7), 10n, new String('s'), new Number(4),
  Array.from({ length: 2000 }, (_, i) => `v${i}`),
];

function mutate(attrs, i) {
  const out = { ...(attrs ?? {}) };
  const names = Object.keys(out);
  const pick = (j) => EXOTIC[(i * 7 + j * 13) % EXOTIC.length];
  if (names.length > 0) out[names[i % names.length]] = pick(0);
  if (names.length > 1) out[names[(i + 1) % names.length]] = pick(1);
  out[`extra_${i % 3}`] = pick(2);
  return out;
}

for (const name of ['clean', 'mixed', 'edge']) {
  test(`${name}: exotic attribute values evaluate as their JSON text does`, () => {
    const c = corpus(name);
    const client = SplitFactory({ data: c.data, sync: { impressionsMode: 'NONE' } }).client();
    let compared = 0;
    for (let i = 0; i < c.requests.length; i++) {
      const r = c.requests[i];
      if (typeof r.key !== 'string' || typeof r.flag !== 'string') continue;
      if (r.attributes !== undefined && r.attributes !== null && (typeof r.attributes !== 'object' || Array.isArray(r.attributes))) continue;
      for (const attrs of [r.attributes, mutate(r.attributes, i)]) {
        const fast = client.getTreatment(r.key, r.flag, attrs);
        const json = client.getTreatmentWithConfig(r.key, r.flag, attrs).treatment;
        assert.equal(fast, json, JSON.stringify({ key: r.key, flag: r.flag, attrs: String(Object.entries(attrs ?? {}).map(([k, v]) => `${k}=${typeof v}`)) }));
        compared++;
      }
    }
    assert.ok(compared > 4000);
  });
}

test('non-object attributes, inherited members and toJSON on the attributes themselves', () => {
  const c = corpus('clean');
  const client = SplitFactory({ data: c.data }).client();
  const r = c.requests.find((q) => q.attributes && Object.keys(q.attributes).length > 2);
  const cases = ['abc', 7, true, ['a'], inherited, new WithToJSON(r.attributes), new WithToJSON('x'), Object.assign(Object.create(null), r.attributes)];
  cases.forEach((attrs, i) => {
    assert.equal(client.getTreatment(r.key, r.flag, attrs), client.getTreatmentWithConfig(r.key, r.flag, attrs).treatment, `case ${i}`);
  });
});

test('members added to Object.prototype are not attributes, as for JSON.stringify', () => {
  const c = corpus('clean');
  const client = SplitFactory({ data: c.data }).client();
  let differs = 0;
  let compared = 0;
  for (const r of c.requests.slice(0, 1500)) {
    if (!r.attributes || typeof r.attributes !== 'object' || Array.isArray(r.attributes)) continue;
    const [name] = Object.keys(r.attributes);
    if (name === undefined || name in Object.prototype) continue;
    const rest = { ...r.attributes };
    delete rest[name];
    // What the answer would be if the inherited member were read as an attribute.
    const withMember = client.getTreatmentWithConfig(r.key, r.flag, r.attributes).treatment;
    Object.prototype[name] = r.attributes[name]; // enumerable, inherited by every plain object
    try {
      const fast = client.getTreatment(r.key, r.flag, rest);
      const json = client.getTreatmentWithConfig(r.key, r.flag, rest).treatment;
      assert.equal(fast, json, `${r.flag} with ${name} inherited`);
      if (json !== withMember) differs++;
      compared++;
    } finally {
      delete Object.prototype[name];
    }
  }
  assert.ok(compared > 500, `${compared} compared`);
  assert.ok(differs > 0, 'some answers depend on the member left out, so the check can fail');
});

test('getTreatments: a list repeated, mutated in place, or replaced answers as the JSON path does', () => {
  const c = corpus('clean');
  const client = SplitFactory({ data: c.data, sync: { impressionsMode: 'NONE' } }).client();
  const flags = [...new Set(c.requests.map((r) => r.flag))];
  const list = flags.slice(0, 10);
  const lists = [list, list, flags.slice(5, 15), list.slice(), [...list, ' ' + flags[20]], list];
  let compared = 0;
  c.requests.slice(0, 600).forEach((r, i) => {
    if (r.attributes !== undefined && (r.attributes === null || typeof r.attributes !== 'object' || Array.isArray(r.attributes))) return;
    if (i % 7 === 3) list[i % 10] = flags[(i * 11) % flags.length]; // the same array, another name in it
    const names = lists[i % lists.length];
    const fast = client.getTreatments(r.key, names, r.attributes);
    const json = Object.fromEntries(Object.entries(client.getTreatmentsWithConfig(r.key, names, r.attributes)).map(([k, v]) => [k, v.treatment]));
    assert.deepEqual(fast, json, `row ${i}: ${names.join(',')}`);
    // A getTreatment in between writes over the same buffer.
    assert.equal(client.getTreatment(r.key, names[0], r.attributes), json[names[0].trim()]);
    compared++;
  });
  assert.ok(compared > 400);
});
