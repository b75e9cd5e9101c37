// split-evaluator's contract where the Worker used to differ from it: attributes as a JSON string
// in a POST body, the messages of malformed get-all-treatments keys, `/admin/machine`, and
// `/admin/stats` keyed by the obfuscated token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, pushFolder, root, start } from './helpers.mjs';

const TOKEN = 'contract-token';
let mf;
before(async () => {
  mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN });
  await pushFolder(mf, join(root, 'demo'), TOKEN);
});
after(async () => mf?.dispose());

const KEYS_INSIDE = 'keys is array but there are errors inside of it. keys must be an array with at least one element that contain a valid matchingKey and trafficType. It can also includes bucketingKey.';

test('a POST body may carry attributes as the JSON text of an object', async () => {
  const attributes = { plan: 'pro', app_version: '2.3.1', email: 'alice@split.io', purchases: 1500 };
  const names = 'new_checkout,dark_mode,payment_provider,checkout_upsell,premium_support,search_ranking,account_dashboard';
  const get = await call(mf, `/client/get-treatments?key=alice&split-names=${names}&attributes=${encodeURIComponent(JSON.stringify(attributes))}`, { auth: TOKEN });
  const none = await call(mf, `/client/get-treatments?key=alice&split-names=${names}`, { auth: TOKEN });
  assert.equal(get.status, 200);
  assert.notDeepEqual(get.json, none.json, 'the attributes change some answers');
  for (const body of [{ attributes }, { attributes: JSON.stringify(attributes) }]) {
    const post = await call(mf, `/client/get-treatments?key=alice&split-names=${names}`, { method: 'POST', auth: TOKEN, body: JSON.stringify(body) });
    assert.equal(post.status, 200, post.text);
    assert.deepEqual(post.json, get.json, JSON.stringify(body).slice(0, 40));
  }
  for (const attributes of ['[1]', 'not json', 'null', 7]) {
    const bad = await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout', { method: 'POST', auth: TOKEN, body: JSON.stringify({ attributes }) });
    assert.equal(bad.status, 400, String(attributes));
    assert.deepEqual(bad.json, { error: ['attributes must be a plain object.'] });
  }
});

test('get-all-treatments: a null key and an infinite matching key get split-evaluator\'s messages', async () => {
  const cases = [
    ['[null]', 'keys must be a valid format.'],
    ['[{"matchingKey":"a","trafficType":"user"},null]', 'keys must be a valid format.'],
    ['[{"matchingKey":1e400,"trafficType":"user"}]', KEYS_INSIDE],
    ['[{"matchingKey":"a","trafficType":"user","bucketingKey":-1e999}]', KEYS_INSIDE],
    ['[1e400]', KEYS_INSIDE],
    ['1e400', 'keys must be a valid format.'],
  ];
  for (const [keys, message] of cases) {
    const r = await call(mf, `/client/get-all-treatments?keys=${encodeURIComponent(keys)}`, { auth: TOKEN });
    assert.equal(r.status, 400, keys);
    assert.deepEqual(r.json, { error: [message] }, keys);
  }
  const ignored = await call(mf, `/client/get-all-treatments?keys=${encodeURIComponent('[{"matchingKey":"alice","trafficType":"user","extra":1e400}]')}`, { auth: TOKEN });
  assert.equal(ignored.status, 200, 'an infinite number in a field split-evaluator does not read is harmless');
  assert.ok(Object.keys(ignored.json.user).length > 0);
});

test('/admin/machine answers {ip, name}: the data center when the runtime tells it, else placeholders', async () => {
  const r = await call(mf, '/admin/machine', { auth: TOKEN });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/json/);
  assert.deepEqual(Object.keys(r.json), ['ip', 'name']);
  assert.equal((await call(mf, '/admin/machine')).status, 401);
  for (const [cf, name] of [[{ colo: 'SJC', country: 'US' }, 'SJC'], [{ country: 'US' }, 'unavailable']]) {
    const edge = await start({}, false, { cf });
    try {
      assert.deepEqual((await call(edge, '/admin/machine')).json, { ip: 'unavailable', name }, JSON.stringify(cf));
    } finally {
      await edge.dispose();
    }
  }
});

test('/admin/stats keys environments by the obfuscated token, split-edge figures beside', async () => {
  const r = await call(mf, '/admin/stats', { auth: TOKEN });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.json.environments), ['##########oken']);
  const env = r.json.environments['##########oken'];
  assert.equal(env.splitCount, 8);
  assert.equal(env.ready, true);
  assert.equal(env.impressionsMode, 'OPTIMIZED');
  assert.equal(env.id, 'default');
  assert.equal(typeof env.flagsChangeNumber, 'number');
  assert.deepEqual(Object.keys(r.json).sort(), ['environments', 'healthcheck', 'uptime']);

  const open = await start();
  try {
    assert.deepEqual(Object.keys((await call(open, '/admin/stats')).json.environments), ['##############OKEN'], 'split-evaluator\'s DEFAULT_AUTH_TOKEN');
  } finally {
    await open.dispose();
  }
});
