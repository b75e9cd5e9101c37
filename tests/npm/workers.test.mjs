// The package's Workers entry in workerd (Miniflare): the .wasm is imported as a compiled
// module, evaluations answer inside a fetch handler, and a malformed update throws an Error
// the Worker can catch (the isolate survives and keeps answering).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the Workers entry evaluates in workerd and survives bad input', { timeout: 60_000 }, async () => {
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${root}tests/npm/workers/worker.mjs`,
    modulesRoot: root,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
      { type: 'Text', include: ['**/*.json'] },
    ],
    compatibilityDate: '2026-04-01',
    cf: false,
  });
  try {
    const res = await mf.dispatchFetch('http://localhost/?key=alice&plan=pro');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.treatments.new_checkout, { treatment: 'on', config: '{"layout":"one-page","button":"green"}' });
    assert.equal(body.explain.flag, 'new_checkout');
    assert.equal(body.explain.treatment, body.treatments.new_checkout.treatment);
    assert.ok(body.explain.conditions.length > 0);

    const bad = await mf.dispatchFetch('http://localhost/update', { method: 'POST', body: '{"ff":{"d":[{"name":5}],"t":2}}' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /feature flag #0 is malformed at `name`/);

    const again = await mf.dispatchFetch('http://localhost/?key=alice&plan=pro');
    assert.equal((await again.json()).treatments.new_checkout.treatment, 'on');
  } finally {
    await mf.dispose();
  }
});
