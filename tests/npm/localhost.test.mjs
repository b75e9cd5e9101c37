// Localhost mode (Node): YAML and `.split` mock files, and SplitChange JSON + segmentsDirectory.
// The expected answers are read from the fixtures' header comments
// (tests/fixtures/localhost/features.{yaml,split}), so the files and the test cannot drift apart.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SplitFactory } from 'split-edge';
import { captureLogger, corpus, DEMO_DIR, demoData, LOCALHOST_DIR, requestKey, sample, startServer } from './helpers.mjs';

const YAML = path.join(LOCALHOST_DIR, 'features.yaml');
const SPLIT = path.join(LOCALHOST_DIR, 'features.split');
const ANYONE = ['somebody', 'user_123', 'zz-top'];

const tmp = mkdtempSync(path.join(tmpdir(), 'split-edge-localhost-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function localhost(features, extra = {}) {
  return SplitFactory({ core: { authorizationKey: 'localhost' }, features, ...extra });
}

/** The header comment lines of a fixture, without the leading `#`. */
function header(file) {
  const lines = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('#')) break;
    lines.push(line.replace(/^#\s?/, ''));
  }
  return lines;
}

/**
 * The YAML header's "Expected answers" block: lines like
 * `my_feature   key_1 -> on / whitelisted on / {"desc": "..."}` and continuation lines without the
 * flag name. `anyone` / `anyone else` become a few unlisted keys.
 */
function yamlExpectations() {
  const lines = header(YAML);
  const start = lines.findIndex((l) => l.startsWith('Expected answers'));
  assert.ok(start >= 0, 'the YAML header has an "Expected answers" block');
  const rows = [];
  let flag;
  for (const line of lines.slice(start + 1)) {
    if (!line.includes('->')) break;
    const m = /^\s*(?:(\S+)\s{2,})?(.+?)\s*->\s*(.+?)\s*\/\s*(.+?)\s*\/\s*(.+?)\s*(?:\(.*\))?\s*$/.exec(line);
    assert.ok(m, `parsable expectation line: ${line}`);
    if (m[1]) flag = m[1];
    const keys = /^anyone/.test(m[2]) ? ANYONE : m[2].split(',').map((k) => k.trim());
    rows.push({ flag, keys, treatment: m[3], label: m[4], config: m[5] === 'null' ? null : m[5] });
  }
  return rows;
}

/** `Manager treatments: my_feature [off, on, white, unreachable]; whitelist_only [gamma, beta].` */
function managerExpectations(file) {
  const line = header(file).find((l) => l.startsWith('Manager treatments:'));
  assert.ok(line, 'a "Manager treatments" line');
  return [...line.matchAll(/(\S+) \[([^\]]*)\]/g)].map((m) => ({ flag: m[1], treatments: m[2].split(',').map((t) => t.trim()) }));
}

/** `Expected: my_feature on, other_feature off, …; too_many_columns, lonely_flag, commented_flag absent.` */
function splitExpectations() {
  const text = header(SPLIT).join(' ');
  const m = /Expected:\s*(.+?);\s*(.+?)\s+absent\./.exec(text);
  assert.ok(m, 'the .split header has an "Expected: …; … absent." sentence');
  const present = m[1].split(',').map((p) => p.trim().split(/\s+/)).map(([flag, treatment]) => ({ flag, treatment }));
  const absent = m[2].split(',').map((s) => s.trim());
  return { present, absent };
}

describe('YAML mock file', () => {
  test('every answer listed in the header comment', () => {
    const rows = yamlExpectations();
    assert.ok(rows.length >= 10, `read ${rows.length} expectation lines`);
    const f = localhost(YAML);
    const c = f.client();
    for (const row of rows) {
      for (const key of row.keys) {
        const what = `${row.flag} / ${key}`;
        assert.deepEqual(c.getTreatmentWithConfig(key, row.flag), { treatment: row.treatment, config: row.config }, what);
        assert.equal(c.getTreatment(key, row.flag), row.treatment, what);
        assert.equal(c.explain(key, row.flag).label, row.label, what);
        assert.equal(c.getTreatments({ matchingKey: key, bucketingKey: 'any' }, [row.flag])[row.flag], row.treatment, what);
      }
    }
  });

  test('manager: names (integer-like name first), treatments as in the header', () => {
    const m = localhost(YAML).manager();
    const names = m.names();
    assert.equal(names[0], '2024', 'an integer-like name is stored first, as a JS object key');
    assert.deepEqual([...names].sort(), ['2024', 'my_feature', 'on_for_everyone', 'some_other_feature', 'whitelist_only']);
    for (const { flag, treatments } of managerExpectations(YAML)) assert.deepEqual(m.split(flag).treatments, treatments, flag);
    const view = m.split('my_feature');
    assert.deepEqual(view.configs, { on: '{"desc": "this applies only to ON treatment"}', white: '{"color": "white"}' });
    assert.equal(view.killed, false);
    assert.equal(m.splits().length, names.length);
  });

  test('.yml works too; a broken YAML file or a missing file throws naming it', () => {
    const yml = path.join(tmp, 'features.yml');
    writeFileSync(yml, readFileSync(YAML, 'utf8'));
    assert.equal(localhost(yml).client().getTreatment('key_1', 'my_feature'), 'on');
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(bad, '- my_feature:\n    treatment: "on\n  keys: [unclosed\n');
    assert.throws(() => localhost(bad), (e) => e instanceof Error && e.message.includes(bad) && /YAML/.test(e.message));
    const missing = path.join(tmp, 'missing.yaml');
    assert.throws(() => localhost(missing), (e) => e instanceof Error && e.message.includes(missing));
  });
});

describe('.split mock file', () => {
  test('every answer listed in the header comment; ignored lines are warned about', () => {
    const { present, absent } = splitExpectations();
    assert.ok(present.length >= 6 && absent.length >= 3);
    const log = captureLogger();
    const f = localhost(SPLIT, { debug: 'WARN', logger: log.logger });
    const c = f.client();
    for (const { flag, treatment } of present) {
      for (const key of ANYONE) {
        assert.deepEqual(c.getTreatmentWithConfig(key, flag), { treatment, config: null }, flag);
        assert.equal(c.explain(key, flag).label, 'default rule', flag);
      }
    }
    for (const flag of absent) {
      assert.equal(c.getTreatment('somebody', flag), 'control', flag);
      assert.equal(c.explain('somebody', flag).label, 'definition not found', flag);
    }
    const names = f.manager().names();
    assert.equal(names[0], '42');
    assert.deepEqual([...names].sort(), present.map((p) => p.flag).sort());
    assert.equal(names.indexOf('repeated_feature'), 1 + ['my_feature', 'other_feature', 'tabbed_feature'].length, 'a repeated flag keeps its first position');
    // The ignored lines are warned about (and, as the SDK does, each evaluation of a missing flag).
    const ignored = log.warnings().filter((m) => m.startsWith('localhost: '));
    assert.equal(ignored.length, absent.length, JSON.stringify(log.logs));
  });

  test('a file without the .yaml/.json extension is read as .split', () => {
    const file = path.join(tmp, 'mock.txt');
    writeFileSync(file, 'flag_x on\nflag_y  off\n');
    const c = localhost(file).client();
    assert.deepEqual(c.getTreatments('k', ['flag_x', 'flag_y']), { flag_x: 'on', flag_y: 'off' });
  });
});

describe('SplitChange JSON + segmentsDirectory', () => {
  test('the demo as files answers like the demo as data', () => {
    const files = localhost(path.join(DEMO_DIR, 'splits.json'), { segmentsDirectory: path.join(DEMO_DIR, 'segments') });
    const data = SplitFactory({ core: { authorizationKey: 'localhost' }, data: demoData() });
    const names = data.manager().names();
    assert.deepEqual(files.manager().names(), names);
    assert.deepEqual(files.manager().splits(), data.manager().splits());
    for (const key of ['alice', 'bob', 'carol', 'dave', 'fraud_1', 'user_1', 'user_2', 'user_3']) {
      for (const attrs of [undefined, { plan: 'pro', app_version: '2.0.0', purchases: 5000 }]) {
        assert.deepEqual(files.client().getTreatmentsWithConfig(key, names, attrs), data.client().getTreatmentsWithConfig(key, names, attrs), key);
      }
    }
    assert.equal(files.client().explain('alice', 'new_checkout').label, 'beta testers', 'segments were read');
  });

  test('without segmentsDirectory, segments are empty', () => {
    const c = localhost(path.join(DEMO_DIR, 'splits.json')).client();
    assert.notEqual(c.explain('alice', 'new_checkout').label, 'beta testers');
  });

  test('a conformance corpus as files: 150 rows equal the official SDK answers', () => {
    const { dir, requests, expected } = corpus('mixed');
    const c = localhost(path.join(dir, 'splits.json'), { segmentsDirectory: path.join(dir, 'segments') }).client();
    const byId = new Map(expected.map((e) => [e.id, e]));
    for (const req of sample(requests, 150)) {
      const exp = byId.get(req.id);
      assert.deepEqual(c.getTreatmentWithConfig(requestKey(req), req.flag, req.attributes), { treatment: exp.treatment, config: exp.config }, `row ${req.id}`);
    }
  });

  test('a missing segments directory or a malformed file throws naming it', () => {
    const missingDir = path.join(tmp, 'no-such-dir');
    assert.throws(() => localhost(path.join(DEMO_DIR, 'splits.json'), { segmentsDirectory: missingDir }), (e) => e.message.includes(missingDir));
    const badJson = path.join(tmp, 'bad.json');
    writeFileSync(badJson, '{"ff": {"d": [{"name": 7}], "t": 1}}');
    assert.throws(() => localhost(badJson), (e) => e instanceof Error && /`name`/.test(e.message));
  });
});

describe('localhost instances', () => {
  test('are ready at once, record events locally and destroy without posting', async () => {
    const f = localhost(YAML);
    await f.client().ready();
    assert.equal(f.client().track('key_1', 'user', 'click'), true);
    await f.destroy();
  });

  test('sync() in localhost mode does not call Split\'s SDK API', async () => {
    const server = await startServer(() => ({ status: 401, body: 'no' }));
    try {
      const f = localhost(YAML, { urls: { sdk: `${server.base}/api` } });
      await f.sync();
      assert.deepEqual(server.requests.map((r) => r.url), []);
      assert.equal(f.client().getTreatment('key_1', 'my_feature'), 'on');
    } finally {
      await server.close();
    }
  });
});
