// Large segments at the edge, in workerd through Miniflare: key lists pushed through
// `POST /admin/large-segment` or pulled from a local mock of Split's SDK API
// (`GET /largeSegmentDefinition/<name>` and the CSV file it points to, read in passes), stored as
// shards in KV, and membership looked up per key (one shard read per new key, none once cached).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ADMIN, call, envStats, start } from './helpers.mjs';

const KEY = 'sdk-key-for-tests';

const matcher = (type, data) => ({ keySelector: { trafficType: 'user', attribute: null }, matcherType: type, negate: false, ...data });
const inLarge = (name) => matcher('IN_LARGE_SEGMENT', { userDefinedLargeSegmentMatcherData: { largeSegmentName: name } });
const flag = (name, matchers, label) => ({
  name, trafficTypeName: 'user', killed: false, status: 'ACTIVE', defaultTreatment: 'off', changeNumber: 100,
  algo: 2, trafficAllocation: 100, trafficAllocationSeed: 1, seed: 2, configurations: {},
  conditions: [
    { conditionType: 'ROLLOUT', matcherGroup: { combiner: 'AND', matchers }, label,
      partitions: [{ treatment: 'on', size: 100 }, { treatment: 'off', size: 0 }] },
    { conditionType: 'ROLLOUT', matcherGroup: { combiner: 'AND', matchers: [matcher('ALL_KEYS', {})] }, label: 'default rule',
      partitions: [{ treatment: 'on', size: 0 }, { treatment: 'off', size: 100 }] },
  ],
});
// `ls_dep` needs `ls_flag`'s answer (large segment "big") before it knows it needs "vip": two rounds.
const FLAGS = [
  flag('ls_flag', [inLarge('big')], 'in large segment big'),
  flag('ls_dep', [matcher('IN_SPLIT_TREATMENT', { dependencyMatcherData: { split: 'ls_flag', treatments: ['on'] } }), inLarge('vip')], 'vip'),
];
const csv = (from, to) => Array.from({ length: to - from }, (_, i) => `u${from + i}`).join('\n') + '\n';
const treatment = async (mf, key, name = 'ls_flag') => (await call(mf, `/client/get-treatment?key=${key}&split-name=${name}`)).json.treatment;
const largeStats = async (mf) => envStats((await call(mf, '/admin/stats')).json, 'default').largeSegments;
const pushLarge = (mf, query, body) => call(mf, `/admin/large-segment?${query}`, { method: 'POST', admin: ADMIN, body, contentType: 'text/csv' });

describe('pushed large segments', () => {
  let mf;
  before(async () => {
    mf = await start({ SPLIT_EDGE_SYNC: 'off' });
    const r = await call(mf, '/admin/split-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ splits: FLAGS, since: -1, till: 100 }) });
    assert.equal(r.status, 200, r.text);
  });
  after(async () => mf.dispose());

  test('IN_LARGE_SEGMENT is answered from KV shards, one shard read per new key', async () => {
    // Not loaded yet: not a member (as server-side JS, which never loads large segments).
    assert.equal(await treatment(mf, 'u5'), 'off');
    const pushed = await pushLarge(mf, 'name=big&changeNumber=10', csv(0, 20000));
    assert.equal(pushed.status, 200, pushed.text);
    assert.deepEqual(pushed.json.largeSegment, { name: 'big', changeNumber: 10, keys: 20000, shards: 1, passes: 1 });
    const vip = await pushLarge(mf, 'name=vip&changeNumber=3', 'u7\n"u,quoted"\r\n');
    assert.equal(vip.status, 200, vip.text);
    const kv = await mf.getKVNamespace('SPLIT_DATA');
    const manifest = JSON.parse(await kv.get('env/default/manifest'));
    assert.deepEqual(Object.keys(manifest.largeSegments), ['big', 'vip']);
    assert.equal(manifest.largeSegments.big.keyCount, 20000);

    const reads0 = (await largeStats(mf)).lookups.shardReads;
    assert.equal(await treatment(mf, 'u5'), 'on');
    assert.equal(await treatment(mf, 'nobody'), 'off');
    const reads1 = (await largeStats(mf)).lookups.shardReads;
    assert.equal(reads1 - reads0, 2, 'one shard read per new (large segment, key)');
    // Cached in the isolate: no more reads.
    for (let i = 0; i < 5; i++) assert.equal(await treatment(mf, 'u5'), 'on');
    const stats = await largeStats(mf);
    assert.equal(stats.lookups.shardReads, reads1);
    assert.equal(stats.cachedMemberships.big, 2);

    // A dependency on a large segment flag, then a second large segment: lookups in rounds.
    assert.equal(await treatment(mf, 'u7', 'ls_dep'), 'on');
    assert.equal(await treatment(mf, 'u8', 'ls_dep'), 'off');
    assert.equal(await treatment(mf, 'nobody', 'ls_dep'), 'off');
    const many = await call(mf, '/client/get-treatments?key=u9&split-names=ls_flag,ls_dep');
    assert.deepEqual(many.json, { ls_flag: { treatment: 'on' }, ls_dep: { treatment: 'off' } });
    const all = await call(mf, '/client/get-all-treatments?keys=' + encodeURIComponent(JSON.stringify([{ matchingKey: 'u19999', trafficType: 'user' }])));
    assert.deepEqual(all.json, { user: { ls_flag: { treatment: 'on' }, ls_dep: { treatment: 'off' } } });
    assert.equal((await largeStats(mf)).lookups.unresolved, 0);
  });

  test('bad pushes get a 4xx naming the problem, and the stored key list keeps serving', async () => {
    const cases = [
      ['changeNumber=11', 'u1\n', 400, /name query parameter/],
      ['name=big', 'u1\n', 400, /changeNumber query parameter is required/],
      ['name=big&changeNumber=ten', 'u1\n', 400, /must be an integer/],
      ['name=big&changeNumber=9', 'u1\n', 409, /stored at changeNumber 10/],
      ['name=big&changeNumber=11', 'u1,u2\n', 400, /row 1: the file has more than one column/],
      ['name=big&changeNumber=11', 'u1\n"open', 400, /ends inside a quoted field/],
    ];
    for (const [query, body, status, message] of cases) {
      const r = await pushLarge(mf, query, body);
      assert.equal(r.status, status, `${query}: ${r.text}`);
      assert.match(r.json.error, message, query);
    }
    const noToken = await call(mf, '/admin/large-segment?name=big&changeNumber=11', { method: 'POST', body: 'u1\n', contentType: 'text/csv' });
    assert.equal(noToken.status, 403);
    assert.equal(await treatment(mf, 'u5'), 'on');
    assert.equal(await treatment(mf, 'u12345'), 'on');
  });

  test('a new key list replaces the old one and its cached memberships', async () => {
    const r = await pushLarge(mf, 'name=big&changeNumber=12', csv(100, 200));
    assert.equal(r.status, 200, r.text);
    assert.equal(await treatment(mf, 'u5'), 'off');
    assert.equal(await treatment(mf, 'u150'), 'on');
    // The snapshot export and a snapshot push keep the large segments (the body cannot carry them).
    const exported = await call(mf, '/admin/snapshot');
    const back = await call(mf, '/admin/snapshot', { method: 'POST', admin: ADMIN, body: exported.text });
    assert.equal(back.status, 200, back.text);
    assert.equal(await treatment(mf, 'u150'), 'on');
    const empty = await pushLarge(mf, 'name=big&changeNumber=13', '');
    assert.equal(empty.status, 200);
    assert.equal(empty.json.largeSegment.keys, 0);
    assert.equal(await treatment(mf, 'u150'), 'off');
  });
});

/** A mock of Split's SDK API serving the flags, large segment definitions and their files. */
async function mockSplit() {
  const mock = { definitions: {}, files: {}, received: [] };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      mock.received.push({ url: req.url, headers: req.headers });
      const json = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(body === undefined ? '' : JSON.stringify(body)); };
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/sdk/api/splitChanges') {
        const since = Number(url.searchParams.get('since'));
        return json(200, { ff: { d: since < 100 ? FLAGS : [], s: since, t: 100 }, rbs: { d: [], s: -1, t: -1 } });
      }
      const def = url.pathname.match(/^\/sdk\/api\/largeSegmentDefinition\/(.+)$/);
      if (def) {
        const answer = mock.definitions[def[1]]?.(Number(url.searchParams.get('since')));
        return answer ? json(answer.status ?? 200, answer.body) : json(404, { message: 'unknown' });
      }
      const file = mock.files[url.pathname];
      if (file) {
        if (req.headers['x-file-token'] !== 'secret') return json(403, { message: 'no token' });
        res.writeHead(200, { 'content-type': 'text/csv' });
        // In several writes, so that the Worker reads it as a stream of chunks.
        for (let at = 0; at < file.length; at += 64 * 1024) res.write(file.slice(at, at + 64 * 1024));
        return res.end();
      }
      return json(200, {});
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  mock.base = `http://127.0.0.1:${server.address().port}`;
  mock.vars = {
    SPLIT_EVALUATOR_SDK_URL: `${mock.base}/sdk/api`,
    SPLIT_EVALUATOR_EVENTS_URL: `${mock.base}/events/api`,
    SPLIT_EVALUATOR_TELEMETRY_URL: `${mock.base}/telemetry/api`,
    SPLIT_EVALUATOR_API_KEY: KEY,
  };
  mock.count = (prefix) => mock.received.filter((r) => r.url.startsWith(prefix)).length;
  mock.close = () => new Promise((r) => server.close(r));
  return mock;
}

const rfd = (name, cn, url, size, expires = Date.now() + 3_600_000) => ({
  n: name, t: 'LS_NEW_DEFINITION', v: '1.0', cn,
  rfd: { d: { i: 1000, f: 1, k: 30000, s: size, e: expires }, p: { m: 'GET', u: url, h: { 'X-File-Token': ['secret'] } } },
});

describe('pulled large segments', () => {
  let mock;
  before(async () => { mock = await mockSplit(); });
  after(async () => mock.close());

  test('the cron reads definitions and their files in passes; 304 and LS_EMPTY as Split sends them', async () => {
    const mf = await start(mock.vars);
    const cron = async () => (await mf.getWorker()).scheduled({ cron: '* * * * *' });
    try {
      mock.files['/files/big.csv'] = csv(0, 30000);
      // The definition announces a 40 MB file: shards and passes are planned from it (3 passes).
      mock.definitions.big = (since) => (since >= 20 ? { status: 304 } : { body: rfd('big', 20, `${mock.base}/files/big.csv`, 40 * 1024 * 1024) });
      mock.definitions.vip = () => ({ body: { n: 'vip', t: 'LS_EMPTY', v: '1.0', cn: 4 } });
      await cron();
      const defs = mock.received.filter((r) => r.url.startsWith('/sdk/api/largeSegmentDefinition/'));
      assert.deepEqual(defs.map((r) => r.url).sort(), ['/sdk/api/largeSegmentDefinition/big?since=-1', '/sdk/api/largeSegmentDefinition/vip?since=-1']);
      assert.equal(defs[0].headers.authorization, `Bearer ${KEY}`);
      assert.equal(mock.count('/files/big.csv'), 3, 'one download per pass');
      const kv = await mf.getKVNamespace('SPLIT_DATA');
      const manifest = JSON.parse(await kv.get('env/default/manifest'));
      assert.deepEqual(
        { cn: manifest.largeSegments.big.changeNumber, keys: manifest.largeSegments.big.keyCount, shards: manifest.largeSegments.big.shards },
        { cn: 20, keys: 30000, shards: 81 },
      );
      assert.equal(manifest.largeSegments.vip.keyCount, 0);
      assert.equal(await treatment(mf, 'u29999'), 'on');
      assert.equal(await treatment(mf, 'u30000'), 'off');
      assert.equal(await treatment(mf, 'u7', 'ls_dep'), 'off', 'vip is empty');

      // Nothing new: a 304, no download, no new version.
      await cron();
      assert.equal(mock.count('/files/big.csv'), 3);
      assert.equal(JSON.parse(await kv.get('env/default/manifest')).version, manifest.version);
      assert.ok(mock.received.some((r) => r.url === '/sdk/api/largeSegmentDefinition/big?since=20'));

      // An expired file URL: the run fails (and says why), what was stored keeps serving.
      mock.definitions.big = () => ({ body: rfd('big', 21, `${mock.base}/files/big.csv`, 100, Date.now() - 1000) });
      await cron();
      const { sync } = envStats((await call(mf, '/admin/stats')).json, 'default');
      assert.match(sync.lastError, /large segment "big": the large segment file URL expired/);
      assert.equal(await treatment(mf, 'u5'), 'on');

      // LS_EMPTY: the large segment has no members any more.
      mock.definitions.big = () => ({ body: { n: 'big', t: 'LS_EMPTY', v: '1.0', cn: 22 } });
      await cron();
      assert.equal(await treatment(mf, 'u5'), 'off');
    } finally {
      await mf.dispose();
    }
  });
});
