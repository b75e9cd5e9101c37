#!/usr/bin/env node
// The benchmark's Node baseline: the official JS SDK (@splitsoftware/splitio, the SDK inside
// split-evaluator) behind node:http, answering split-evaluator's get-treatment and get-treatments
// routes from a synchronized snapshot: split-evaluator without Express and its validators, so an
// upper bound of split-evaluator's own throughput on this machine.
//   node worker/bench/sdk-server.mjs --sdk-url http://127.0.0.1:7549 [--port 7550]
// Prints `ready <port>` once the SDK is ready.
import { createServer } from 'node:http';
import { SplitFactory } from '@splitsoftware/splitio';

const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const api = `${arg('--sdk-url', 'http://127.0.0.1:7549')}/api`;
const factory = SplitFactory({
  core: { authorizationKey: 'bench-sdk-key' },
  urls: { sdk: api, events: api, auth: api, telemetry: api },
  streamingEnabled: false,
  startup: { readyTimeout: 30 },
  debug: false,
});
const client = factory.client();
await client.ready();

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const key = url.searchParams.get('key');
  const attributes = url.searchParams.has('attributes') ? JSON.parse(url.searchParams.get('attributes')) : undefined;
  if (url.pathname === '/client/get-treatment') {
    const splitName = url.searchParams.get('split-name');
    return send(res, 200, { splitName, treatment: client.getTreatment(key, splitName, attributes) });
  }
  if (url.pathname === '/client/get-treatments') {
    const names = url.searchParams.get('split-names').split(',');
    const treatments = client.getTreatments(key, names, attributes);
    return send(res, 200, Object.fromEntries(Object.entries(treatments).map(([f, t]) => [f, { treatment: t }])));
  }
  return send(res, 404, { error: 'not benchmarked' });
});
server.listen(Number(arg('--port', 0)), '127.0.0.1', () => console.log(`ready ${server.address().port}`));
