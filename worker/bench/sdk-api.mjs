#!/usr/bin/env node
// A local stand-in for Split's SDK, events and telemetry APIs serving one snapshot, for the
// benchmark's baselines (the official SDK, split-evaluator): `GET /api/splitChanges` answers the
// whole snapshot for `since=-1` and "no change" after; `GET /api/segmentChanges/<name>` likewise;
// every POST (impressions, events, telemetry) is accepted and dropped.
//   node worker/bench/sdk-api.mjs [--port 7549]   (serves the benchmark snapshot; prints its URLs)
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { benchSnapshot } from './snapshot.mjs';

/** Serves `{splitChanges, segmentChanges}`; resolves to `{url, close}` (`url` ends without a slash). */
export async function serveSdkApi(snapshot, port = 0) {
  const flags = JSON.stringify(snapshot.splitChanges);
  const { ff, rbs } = snapshot.splitChanges;
  const segments = new Map(snapshot.segmentChanges.map((s) => [s.name, s]));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url, 'http://localhost');
      const since = Number(url.searchParams.get('since') ?? -1);
      const json = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(body); };
      if (req.method !== 'GET') return json(200, '');
      if (url.pathname === '/api/splitChanges') {
        if (since === -1) return json(200, flags);
        return json(200, JSON.stringify({ ff: { d: [], s: ff.t, t: ff.t }, rbs: { d: [], s: rbs.t, t: rbs.t } }));
      }
      const segment = url.pathname.startsWith('/api/segmentChanges/') && segments.get(decodeURIComponent(url.pathname.slice(20)));
      if (segment) {
        if (since === -1) return json(200, JSON.stringify(segment));
        return json(200, JSON.stringify({ name: segment.name, added: [], removed: [], since: segment.till, till: segment.till }));
      }
      return json(404, '{"message":"not found"}');
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => new Promise((r) => server.close(r)) };
}

/** split-evaluator's variables pointing it (and the SDK inside it) at `url`. */
export function evaluatorVars(url) {
  return {
    SPLIT_EVALUATOR_API_KEY: 'bench-sdk-key',
    SPLIT_EVALUATOR_SDK_URL: `${url}/api`,
    SPLIT_EVALUATOR_EVENTS_URL: `${url}/api`,
    SPLIT_EVALUATOR_AUTH_SERVICE_URL: `${url}/api`,
    SPLIT_EVALUATOR_TELEMETRY_URL: `${url}/api`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const port = argv.includes('--port') ? Number(argv[argv.indexOf('--port') + 1]) : 7549;
  const { url } = await serveSdkApi(benchSnapshot(), port);
  console.log(`Split's SDK API stand-in on ${url}/api, serving the benchmark snapshot. For split-evaluator:`);
  console.log(Object.entries(evaluatorVars(url)).map(([k, v]) => `${k}=${v}`).join(' '));
}
