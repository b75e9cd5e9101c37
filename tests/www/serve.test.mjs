// The demo page's static server (www/serve.mjs): MIME types, the redirect, read-only methods, and
// no file outside the root, whatever the path says.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startStaticServer } from '../../www/serve.mjs';

/** A raw request (the path is sent as written, not normalized as fetch would). */
function get(server, rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: rawPath, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('www/serve.mjs', () => {
  let dir;
  let root;
  let server;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'split-edge-serve-'));
    root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'www'), { recursive: true });
    mkdirSync(path.join(root, 'npm/dist'), { recursive: true });
    writeFileSync(path.join(root, 'www/index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(root, 'www/app.mjs'), 'export {};');
    writeFileSync(path.join(root, 'www/style.css'), 'body{}');
    writeFileSync(path.join(root, 'npm/dist/x.wasm'), Buffer.from([0, 97, 115, 109]));
    writeFileSync(path.join(root, 'data.json'), '{}');
    writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'www/link.txt'));
    server = await startStaticServer({ root, port: 0 });
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 on an ephemeral port and redirects / to /www/', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(server, '/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/www/');
    const dirNoSlash = await get(server, '/www');
    assert.equal(dirNoSlash.status, 301);
    assert.equal(dirNoSlash.headers.location, '/www/');
  });

  it('serves files with their MIME types', async () => {
    const cases = [
      ['/www/', 'text/html; charset=utf-8'],
      ['/www/app.mjs', 'text/javascript; charset=utf-8'],
      ['/www/style.css', 'text/css; charset=utf-8'],
      ['/npm/dist/x.wasm', 'application/wasm'],
      ['/data.json', 'application/json; charset=utf-8'],
    ];
    for (const [p, type] of cases) {
      const r = await get(server, p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers['content-type'], type, p);
    }
    assert.equal((await get(server, '/www/nope.js')).status, 404);
    assert.equal((await get(server, '/npm/')).status, 404); // no listing
  });

  it('never serves a file outside the root', async () => {
    for (const p of ['/../secret.txt', '/www/../../secret.txt', '/www/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/www/..%5c..%5csecret.txt', '/www/link.txt', '/www/%00']) {
      const r = await get(server, p);
      assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
      assert.ok(!r.body.includes('secret\n') && r.body !== 'secret', p);
    }
  });

  it('never serves hidden files or folders', async () => {
    for (const p of ['/.git/config', '/.gitignore', '/worker/.wrangler/state', '/www/%2egit']) {
      assert.equal((await get(server, p)).status, 404, p);
    }
  });

  it('is read-only', async () => {
    assert.equal((await get(server, '/www/', 'POST')).status, 405);
    assert.equal((await get(server, '/www/', 'PUT')).status, 405);
    const head = await get(server, '/www/app.mjs', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });
});
