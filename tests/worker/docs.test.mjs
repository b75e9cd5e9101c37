// `/api-docs`: the OpenAPI document is served without authorization, and every operation it
// lists exists in the Worker and answers with one of the statuses it documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, call, pushFolder, root, ADMIN } from './helpers.mjs';

const TOKEN = 'docs-token';

test('the OpenAPI document matches the routes', { timeout: 60_000 }, async () => {
  const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN });
  try {
    const page = await call(mf, '/api-docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(page.text, /openapi\.json/);
    const { status, json: doc } = await call(mf, '/api-docs/openapi.json');
    assert.equal(status, 200);
    assert.match(doc.openapi, /^3\./);

    await pushFolder(mf, join(root, 'demo'), TOKEN);
    const resolve = (x) => (x && x.$ref ? x.$ref.split('/').slice(1).reduce((o, k) => o[k], doc) : x);
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const query = new URLSearchParams();
        for (const p of (op.parameters ?? []).map(resolve)) {
          if (p.in === 'query' && p.required) query.set(p.name, p.example ?? 'x');
        }
        const url = query.size ? `${path}?${query}` : path;
        // The documented example body where there is one (so the call reaches the evaluation), else `{}`.
        const example = op.requestBody?.content?.['application/json']?.example;
        const body = op.requestBody ? JSON.stringify(example ?? {}) : undefined;
        const res = await call(mf, url, { method: method.toUpperCase(), auth: TOKEN, admin: ADMIN, body });
        assert.notDeepEqual(res.json, { route: 'Sorry this page does not exist!' }, `${method} ${path} is not routed`);
        assert.ok(String(res.status) in op.responses, `${method} ${url}: ${res.status} is not documented (${res.text.slice(0, 200)})`);
        const unauthorized = await call(mf, url, { method: method.toUpperCase(), body });
        assert.equal(unauthorized.status, 401, `${method} ${path} without Authorization`);
        operations += 1;
      }
    }
    assert.ok(operations >= 25, `${operations} operations`);
  } finally {
    await mf.dispose();
  }
});
