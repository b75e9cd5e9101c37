// The compiled rules a push stores in KV beside the flag JSON (manifest.rulesKey): a cold isolate
// loads them without parsing or compiling JSON; when they are damaged, it compiles the JSON,
// answers the same, and writes them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, pushFolder, root, start } from './helpers.mjs';

const flags = ['new_checkout', 'dark_mode', 'payment_provider', 'checkout_upsell', 'premium_support', 'search_ranking', 'account_dashboard'];

/** The answers of `mf` for `keys`, every flag at once. */
async function answers(mf, keys) {
  const out = {};
  for (const key of keys) {
    const r = await call(mf, `/client/get-treatments?key=${key}&split-names=${flags.join(',')}&attributes=${encodeURIComponent('{"plan":"pro","app_version":"2.3.1","email":"x@split.io"}')}`);
    assert.equal(r.status, 200, r.text);
    out[key] = r.json;
  }
  return out;
}

/** A fresh isolate reading the persisted KV, and its answers. */
async function coldAnswers(persist, keys) {
  const mf = await start({}, persist);
  try {
    return { out: await answers(mf, keys), kv: await mf.getKVNamespace('SPLIT_DATA'), mf };
  } catch (e) {
    await mf.dispose();
    throw e;
  }
}

/** The rules value's header: u16-LE length, the flags key it was compiled from, then the codec's magic. */
function header(bytes) {
  const len = bytes[0] | (bytes[1] << 8);
  return { flagsKey: Buffer.from(bytes.subarray(2, 2 + len)).toString('utf8'), magic: Buffer.from(bytes.subarray(2 + len, 6 + len)).toString('latin1') };
}

test('cold isolates serve from the binary rules and rebuild them when damaged', { timeout: 120_000 }, async () => {
  const persist = mkdtempSync(join(tmpdir(), 'split-edge-rules-'));
  const keys = ['alice', 'bob', 'carol', 'dave', 'erin'];
  try {
    const warm = await start({}, persist);
    let expected, manifest, rules, flagJson;
    try {
      await pushFolder(warm, join(root, 'demo'));
      expected = await answers(warm, keys);
      const kv = await warm.getKVNamespace('SPLIT_DATA');
      manifest = JSON.parse(await kv.get('env/default/manifest'));
      assert.match(manifest.rulesKey, /^env\/default\/v\/.+\/rules$/);
      rules = new Uint8Array(await kv.get(manifest.rulesKey, 'arrayBuffer'));
      assert.deepEqual(header(rules), { flagsKey: manifest.flagsKey, magic: 'SPLE' });
      flagJson = await kv.get(manifest.flagsKey);
    } finally {
      await warm.dispose();
    }

    // Flag JSON unreadable: a cold isolate still answers, so it loaded the binary rules.
    {
      const writer = await start({}, persist);
      await (await writer.getKVNamespace('SPLIT_DATA')).put(manifest.flagsKey, '{"not": "flag data"');
      await writer.dispose();
      const cold = await coldAnswers(persist, keys);
      assert.deepEqual(cold.out, expected);
      await cold.kv.put(manifest.flagsKey, flagJson);
      await cold.mf.dispose();
    }

    // Damaged or another schema version: the JSON is compiled, the answers are the same, the
    // rules are written again.
    const core = 2 + (rules[0] | (rules[1] << 8)); // where the codec's header starts
    const oldVersion = Uint8Array.from(rules, (b, i) => (i === core + 4 ? 0 : i === core + 5 ? 0 : b));
    const damaged = [
      rules.subarray(0, rules.length - 7), // truncated
      Uint8Array.from(rules, (b, i) => (i === rules.length - 3 ? b ^ 0xff : b)), // fails its checksum
      oldVersion,
      new Uint8Array([1, 2, 3]),
    ];
    for (const damage of damaged) {
      const writer = await start({}, persist);
      await (await writer.getKVNamespace('SPLIT_DATA')).put(manifest.rulesKey, damage);
      await writer.dispose();
      const cold = await coldAnswers(persist, keys);
      try {
        assert.deepEqual(cold.out, expected);
        const rebuilt = new Uint8Array(await cold.kv.get(manifest.rulesKey, 'arrayBuffer'));
        assert.deepEqual(header(rebuilt), { flagsKey: manifest.flagsKey, magic: 'SPLE' });
        assert.equal(Buffer.compare(Buffer.from(rebuilt), Buffer.from(rules)), 0, 'the same encoding as the push wrote');
      } finally {
        await cold.mf.dispose();
      }
    }
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
});
