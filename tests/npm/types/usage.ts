// A TypeScript consumer of `split-edge` (Node): every public method with its real types. Checked by
// tests/npm/types.test.mjs with `tsc --noEmit -p tests/npm/types/tsconfig.json`; never run.
import { SplitFactory, version } from 'split-edge';
import * as nodeEntry from 'split-edge/node';
import type {
  Attributes,
  DeliveryError,
  DeliveryReport,
  DeliveryResult,
  DeliveryStats,
  EvaluationOptions,
  Explanation,
  FallbackTreatment,
  FetchFunction,
  FlushReport,
  ImpressionData,
  ImpressionDTO,
  ImpressionListener,
  KindStats,
  Logger,
  LogLevel,
  Properties,
  RecordKind,
  SegmentChangeBody,
  Settings,
  SplitChangeBody,
  SplitChangeSummary,
  SplitEdgeClient,
  SplitEdgeFactory,
  SplitEdgeManager,
  SplitFilter,
  SplitKey,
  SplitKeyObject,
  SplitView,
  SyncResult,
  TreatmentWithConfig,
  Treatments,
  TreatmentsWithConfig,
} from 'split-edge';

const logger: Logger = (level: LogLevel, message: string): void => {
  console.log(`[${level}] ${message}`);
};

const listener: ImpressionListener = {
  logImpression(data: ImpressionData): void {
    const imp: ImpressionDTO = data.impression;
    const feature: string = imp.feature;
    const keyName: string = imp.keyName;
    const bucketingKey: string | undefined = imp.bucketingKey;
    const changeNumber: number | null = imp.changeNumber;
    const pt: number | undefined = imp.pt;
    const properties: string | undefined = imp.properties;
    const ip: string | false = data.ip;
    const attrs: Attributes | undefined = data.attributes;
    console.log(feature, keyName, imp.treatment, imp.time, imp.label, bucketingKey, changeNumber, pt, properties, ip, data.hostname, data.sdkLanguageVersion, attrs);
  },
};

const myFetch: FetchFunction = async (url, init) => {
  const res = await fetch(url, { method: init.method, headers: init.headers, body: init.body });
  return { status: res.status, text: () => res.text() };
};

const filters: SplitFilter[] = [{ type: 'bySet', values: ['checkout'] }];
const fallback: FallbackTreatment = { treatment: 'off', config: '{"reason":"fallback"}' };

const splitChanges: SplitChangeBody = { ff: { d: [], s: -1, t: 1 }, rbs: { d: [], s: -1, t: 1 } };
const segment: SegmentChangeBody = { name: 'beta', added: ['alice'], removed: [], since: -1, till: 10 };

const settings: Settings = {
  core: { authorizationKey: 'SDK_KEY', labelsEnabled: true },
  data: { splitChanges, segmentChanges: [segment, JSON.stringify(segment)], largeSegmentChanges: [] },
  urls: { sdk: 'https://sdk.split.io/api', events: 'https://events.split.io/api', telemetry: 'https://telemetry.split.io/api' },
  sync: { impressionsMode: 'OPTIMIZED', splitFilters: filters, enabled: false },
  scheduler: { featuresRefreshRate: 60, impressionsRefreshRate: 300, impressionsQueueSize: 30000, eventsPushRate: 60, eventsQueueSize: 500, impressionCountsRefreshRate: 1800, uniqueKeysRefreshRate: 900 },
  delivery: { maxAttempts: 10, backoffBaseMs: 5000, backoffMaxMs: 300000, maxRetainedBytes: 10 << 20, dedupCacheSize: 500000 },
  fallbackTreatments: { global: 'control_fallback', byFlag: { new_checkout: fallback } },
  impressionListener: listener,
  debug: 'WARN',
  logger,
  fetch: myFetch,
};

const localhostSettings: Settings = { core: { authorizationKey: 'localhost' }, features: './features.yaml', segmentsDirectory: './segments', debug: true };

function describeResult(r: DeliveryResult): string {
  switch (r.result) {
    case 'delivered':
      return 'ok';
    case 'retrying':
      return `retry #${r.attempts} at ${r.retryAtMs}: ${describeError(r.error)}`;
    case 'dropped':
      return `dropped (${r.reason}) after ${r.attempts}: ${describeError(r.error)}`;
    case 'rejected':
      return `rejected ${r.status}: ${r.body}`;
    case 'unknown':
      return 'unknown';
    default: {
      const never: never = r;
      return never;
    }
  }
}

function describeError(e: DeliveryError): string {
  switch (e.type) {
    case 'network':
      return e.message;
    case 'status':
      return `${e.status} ${e.body}`;
    case 'timedOut':
      return `timed out after ${e.afterMs} ms`;
    default: {
      const never: never = e;
      return never;
    }
  }
}

function kindLine(kind: RecordKind, s: KindStats): string {
  const err = s.lastError ? describeError(s.lastError.error) : 'none';
  return `${kind}: ${s.queued} queued, ${s.retrying} retrying, ${s.inFlight} in flight, ${s.sent} sent, ${s.retried} retried, ${s.dropped.boundsExceeded + s.dropped.attemptsExhausted + s.dropped.rejected} dropped, ${s.retainedBytes} B, ${s.requests} requests, last error ${err}`;
}

async function main(): Promise<void> {
  const factory: SplitEdgeFactory = SplitFactory(settings);
  const same: SplitEdgeFactory = nodeEntry.SplitFactory(localhostSettings);
  const client: SplitEdgeClient = factory.client();
  const manager: SplitEdgeManager = factory.manager();
  await client.ready();

  const objectKey: SplitKeyObject = { matchingKey: 'alice', bucketingKey: 'b-1' };
  const keys: SplitKey[] = ['alice', objectKey];
  const attributes: Attributes = { plan: 'pro', age: 30, beta: true, tags: ['a', 'b'], ids: [1, 2] };
  const properties: Properties = { source: 'web', n: 1, ok: true, none: null };
  const options: EvaluationOptions = { properties };

  for (const key of keys) {
    const t: string = client.getTreatment(key, 'new_checkout');
    const t2: string = client.getTreatment(key, 'new_checkout', attributes, options);
    const tc: TreatmentWithConfig = client.getTreatmentWithConfig(key, 'new_checkout', attributes);
    const config: string | null = tc.config;
    const ts: Treatments = client.getTreatments(key, ['a', 'b'], attributes, options);
    const tsc: TreatmentsWithConfig = client.getTreatmentsWithConfig(key, ['a', 'b']);
    const bySet: Treatments = client.getTreatmentsByFlagSet(key, 'checkout', attributes);
    const bySets: Treatments = client.getTreatmentsByFlagSets(key, ['checkout', 'frontend'], undefined, options);
    const bySetC: TreatmentsWithConfig = client.getTreatmentsWithConfigByFlagSet(key, 'checkout');
    const bySetsC: TreatmentsWithConfig = client.getTreatmentsWithConfigByFlagSets(key, ['checkout'], attributes, options);
    const a = tsc['a'];
    console.log(t, t2, tc.treatment, config, ts['a'], a?.config, bySet, bySets, bySetC, bySetsC);
    const queued: boolean = client.track(key, 'user', 'click', 1.5, properties);
    const queued2: boolean = client.track(key, 'user', 'view', null, null);
    const queued3: boolean = client.track(key, 'user', 'view');
    const e: Explanation = client.explain(key, 'new_checkout', attributes);
    const label: string | null = e.label;
    for (const c of e.conditions) {
      const matched: boolean = c.matched && c.matchers.every((m) => m.matched || m.negate);
      console.log(c.index, c.label, c.rollout, matched, c.matchers.map((m) => `${m.matcherType} ${m.attribute ?? ''}`));
    }
    console.log(queued, queued2, queued3, label, e.flag, e.treatment, e.config, e.changeNumber, e.conditionIndex, e.trafficBucket, e.partitionBucket);
  }

  const view: SplitView | null = manager.split('new_checkout');
  if (view) {
    const prereqs: string[] = view.prerequisites.map((p) => `${p.flagName}:${p.treatments.join('|')}`);
    const cfg: string | null | undefined = view.configs['on'];
    console.log(view.name, view.trafficType, view.killed, view.changeNumber, view.treatments, cfg, view.sets, view.defaultTreatment, view.impressionsDisabled, prereqs);
  }
  const views: SplitView[] = manager.splits();
  const names: string[] = manager.names();

  const summary: SplitChangeSummary = factory.updateSplitChanges(splitChanges);
  const summary2: SplitChangeSummary = factory.updateSplitChanges(JSON.stringify(splitChanges));
  console.log(summary.flagsUpserted, summary.flagsRemoved, summary.ruleBasedSegmentsUpserted, summary.ruleBasedSegmentsRemoved, summary.flagsChangeNumber, summary2.ruleBasedSegmentsChangeNumber);
  factory.updateSegmentChanges(segment, JSON.stringify(segment));
  factory.updateLargeSegmentChanges(segment);

  const sync: SyncResult = await factory.sync();
  if (!sync.ok) console.log(sync.error ?? 'unknown', sync.fatal === true, sync.requests);

  const report: FlushReport = await client.flush();
  const report2: FlushReport = await factory.flush();
  for (const p of [...report.posts, ...report2.posts]) {
    const r: DeliveryReport = p;
    const kind: RecordKind | null = r.kind;
    console.log(r.id, kind, r.items, describeResult(r.result));
  }
  console.log(report.sent, report.retrying, report.dropped, report.rejected);

  const stats: DeliveryStats = factory.stats();
  const kinds: RecordKind[] = ['impressions', 'impressionCounts', 'uniqueKeys', 'events', 'listener'];
  for (const k of kinds) console.log(kindLine(k, stats[k]));
  console.log(stats.deduplicated, views.length, names, version, factory.version);

  await client.destroy();
  await factory.destroy();
  await same.destroy();
}

// Wrong types are rejected:
function rejected(client: SplitEdgeClient): void {
  // @ts-expect-error a number is not a SplitKey in the typings
  client.getTreatment(42, 'new_checkout');
  // @ts-expect-error the flag list must be an array
  client.getTreatments('alice', 'new_checkout');
  // @ts-expect-error a treatment is a string
  const n: number = client.getTreatment('alice', 'new_checkout');
  // @ts-expect-error the event value is a number or null
  client.track('alice', 'user', 'click', 'five');
  // @ts-expect-error attribute values are strings, numbers, booleans or arrays of strings/numbers
  client.getTreatment('alice', 'f', { when: new Date() });
  // @ts-expect-error a key object needs both keys
  client.getTreatment({ matchingKey: 'alice' }, 'f');
  console.log(n);
}

// @ts-expect-error an unknown impressions mode
SplitFactory({ sync: { impressionsMode: 'LOUD' } });
// @ts-expect-error scheduler values are numbers
SplitFactory({ scheduler: { eventsQueueSize: 'x' } });
// @ts-expect-error an impression listener needs logImpression
SplitFactory({ impressionListener: {} });

void main;
void rejected;
