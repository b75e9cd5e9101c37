/**
 * Public types of split-edge, shaped like `@splitsoftware/splitio`'s so code can move over.
 * @packageDocumentation
 */

/** A key object: the matching key and the key used for bucketing. */
export interface SplitKeyObject {
  matchingKey: string;
  bucketingKey: string;
}

/** A key: a string, or `{matchingKey, bucketingKey}`. */
export type SplitKey = string | SplitKeyObject;

/** An attribute value: what Split's matchers read. */
export type AttributeType = string | number | boolean | Array<string | number>;

/** Attributes of a key for one evaluation. */
export type Attributes = Record<string, AttributeType>;

/** Event or impression properties. */
export type Properties = Record<string, string | number | boolean | null>;

/** Per-call evaluation options. */
export interface EvaluationOptions {
  /** Properties attached to this call's impressions. */
  properties?: Properties;
}

/** A treatment with its configuration (a JSON string) or `null`. */
export interface TreatmentWithConfig {
  treatment: string;
  config: string | null;
}

/** Treatments by flag name. */
export type Treatments = Record<string, string>;

/** Treatments with config by flag name. */
export type TreatmentsWithConfig = Record<string, TreatmentWithConfig>;

/** A prerequisite of a flag, as the manager shows it. */
export interface PrerequisiteView {
  flagName: string;
  treatments: string[];
}

/** A flag as the manager shows it (JS SDK `SplitView`). */
export interface SplitView {
  name: string;
  trafficType: string | null;
  killed: boolean | null;
  changeNumber: number;
  treatments: string[];
  configs: Record<string, string | null>;
  sets: string[];
  defaultTreatment: string | null;
  impressionsDisabled: boolean;
  prerequisites: PrerequisiteView[];
}

/** An impression (JS SDK `ImpressionDTO`). */
export interface ImpressionDTO {
  feature: string;
  keyName: string;
  treatment: string;
  time: number;
  bucketingKey?: string;
  label: string;
  changeNumber: number | null;
  pt?: number;
  properties?: string;
}

/** What an impression listener receives (JS SDK `ImpressionData`). */
export interface ImpressionData {
  impression: ImpressionDTO;
  attributes?: Attributes;
  ip: string | false;
  hostname: string | false;
  sdkLanguageVersion: string;
}

/** An impression listener (JS SDK `IImpressionListener`). */
export interface ImpressionListener {
  logImpression(data: ImpressionData): void;
}

/** How one matcher of a condition decided. */
export interface MatcherTrace {
  matcherType: string;
  attribute: string | null;
  negate: boolean;
  matched: boolean;
}

/** How one condition decided. */
export interface ConditionTrace {
  index: number;
  label: string;
  rollout: boolean;
  matched: boolean;
  matchers: MatcherTrace[];
}

/** How a treatment was decided: the answer, every condition tried and the buckets. */
export interface Explanation {
  flag: string;
  treatment: string;
  label: string | null;
  config: string | null;
  changeNumber: number | null;
  conditionIndex: number | null;
  trafficBucket: number | null;
  partitionBucket: number | null;
  conditions: ConditionTrace[];
}

/** A `sync.splitFilters` entry. */
export interface SplitFilter {
  type: 'bySet' | 'byName' | 'byPrefix';
  values: string[];
}

/** A fallback treatment: a treatment, or a treatment with config. */
export type FallbackTreatment = string | { treatment: string; config?: string | null };

/** A SplitChange body (`/splitChanges`), in either shape; kept loose on purpose. */
export interface SplitChangeBody {
  ff?: { d: object[]; s?: number; t: number };
  rbs?: { d: object[]; s?: number; t: number };
  splits?: object[];
  since?: number;
  till?: number;
}

/** A SegmentChange body (`/segmentChanges/{name}`). */
export interface SegmentChangeBody {
  name: string;
  added: string[];
  removed: string[];
  since?: number;
  till: number;
}

/** Log levels of the logger. */
export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';

/** A logger: receives every message at or above the configured level. */
export type Logger = (level: LogLevel, message: string) => void;

/** The `fetch` the package uses (the global one by default). */
export type FetchFunction = (url: string, init: { method: string; headers: Array<[string, string]>; body?: string }) => Promise<{
  status: number;
  text(): Promise<string>;
}>;

/** Settings, shaped like the JS SDK's. */
export interface Settings {
  core?: {
    /** The server-side SDK key; `'localhost'` for localhost mode. */
    authorizationKey?: string;
    /** Whether impressions carry labels (default `true`). */
    labelsEnabled?: boolean;
  };
  /** Rollout data to start with (no network needed). */
  data?: {
    splitChanges?: SplitChangeBody | string;
    segmentChanges?: Array<SegmentChangeBody | string>;
    largeSegmentChanges?: Array<SegmentChangeBody | string>;
  };
  /** Localhost mode (Node): a `.yaml`/`.yml` or `.split` mock file, or a SplitChange `.json` file. */
  features?: string;
  /** Localhost mode (Node): a directory of SegmentChange `.json` files (with a `.json` `features`). */
  segmentsDirectory?: string;
  urls?: { sdk?: string; events?: string; telemetry?: string };
  sync?: {
    impressionsMode?: 'OPTIMIZED' | 'DEBUG' | 'NONE' | 'optimized' | 'debug' | 'none';
    splitFilters?: SplitFilter[];
    /** Whether to synchronize with Split and post on a schedule (default: true with a real SDK key). */
    enabled?: boolean;
    /**
     * Client-side synchronization, as Split's browser SDK does it: `GET {sdk}/memberships/{key}`
     * for these matching keys instead of `segmentChanges` per segment (use a client-side SDK
     * key). The browser shape (`settings.core.key`) sets it for you.
     */
    clientSide?: { keys: string[] };
  };
  startup?: {
    /** Seconds before `SDK_READY_TIMED_OUT` when the first data is not in (default 10; 0: never). */
    readyTimeout?: number;
  };
  scheduler?: {
    featuresRefreshRate?: number;
    impressionsRefreshRate?: number;
    impressionsQueueSize?: number;
    eventsPushRate?: number;
    eventsQueueSize?: number;
    impressionCountsRefreshRate?: number;
    uniqueKeysRefreshRate?: number;
  };
  /** split-edge's delivery bounds (retries and memory per kind). */
  delivery?: {
    maxAttempts?: number;
    backoffBaseMs?: number;
    backoffMaxMs?: number;
    maxRetainedBytes?: number;
    dedupCacheSize?: number;
  };
  fallbackTreatments?: {
    global?: FallbackTreatment;
    byFlag?: Record<string, FallbackTreatment>;
  };
  impressionListener?: ImpressionListener;
  /** `true` logs errors and warnings to the console; a level logs from that level up. */
  debug?: boolean | LogLevel;
  /** Where log lines go (default: `console`). */
  logger?: Logger;
  /** The `fetch` to use for Split's APIs. */
  fetch?: FetchFunction;
}

/**
 * Where the browser shape keeps rollout data between page loads (the browser SDK's
 * `storage`): `MEMORY` (the default: nothing kept) or `LOCALSTORAGE` (flags, rule-based
 * segments, change numbers and each key's memberships in `window.localStorage`, under the
 * browser SDK's key layout; a valid cache makes the factory `SDK_READY_FROM_CACHE` at once and
 * synchronization continues from its change numbers).
 */
export interface BrowserStorage {
  type: 'MEMORY' | 'LOCALSTORAGE';
  /** Keys are `<prefix>.SPLITIO.…` (default: `SPLITIO.…`). */
  prefix?: string;
  /** A cache not updated for this many days is dropped at start (default 10; at least 1). */
  expirationDays?: number;
  /** Drop the cache at start, at most once a day (default `false`). */
  clearOnInit?: boolean;
}

/** The browser SDK's settings: `core.key` is the key of `factory.client()`. */
export interface BrowserSettings extends Settings {
  core: NonNullable<Settings['core']> & {
    /** The key `factory.client()` is bound to. */
    key: SplitKey;
    /** The traffic type `track` sends for `factory.client()` (then `track(eventType, value?, properties?)`). */
    trafficType?: string;
  };
  /** Rollout data kept between page loads (`LOCALSTORAGE`), or not (`MEMORY`, the default). */
  storage?: BrowserStorage;
}

/** What applying a SplitChange body changed. */
export interface SplitChangeSummary {
  flagsUpserted: number;
  flagsRemoved: number;
  ruleBasedSegmentsUpserted: number;
  ruleBasedSegmentsRemoved: number;
  flagsChangeNumber: number;
  ruleBasedSegmentsChangeNumber: number;
}

/** Why a post failed. */
export type DeliveryError =
  | { type: 'network'; message: string }
  | { type: 'status'; status: number; body: string }
  | { type: 'timedOut'; afterMs: number };

/** What became of one post. */
export type DeliveryResult =
  | { result: 'delivered' }
  | { result: 'retrying'; attempts: number; retryAtMs: number; error: DeliveryError }
  | { result: 'dropped'; reason: 'boundsExceeded' | 'attemptsExhausted'; attempts: number; error: DeliveryError }
  | { result: 'rejected'; status: number; body: string }
  | { result: 'unknown' };

/** The kinds of data posted to Split. */
export type RecordKind = 'impressions' | 'impressionCounts' | 'uniqueKeys' | 'events' | 'listener';

/** One post's outcome. */
export interface DeliveryReport {
  id: number;
  kind: RecordKind | null;
  items: number;
  result: DeliveryResult;
}

/** What a `flush()` sent and what became of it. */
export interface FlushReport {
  /** One report per post. */
  posts: DeliveryReport[];
  /** Items delivered. */
  sent: number;
  /** Items kept for a retry. */
  retrying: number;
  /** Items dropped (bounds or attempts exhausted). */
  dropped: number;
  /** Items rejected by Split (a 4xx that retrying cannot fix). */
  rejected: number;
}

/** Counters of one kind. */
export interface KindStats {
  queued: number;
  retrying: number;
  inFlight: number;
  sent: number;
  retried: number;
  dropped: { boundsExceeded: number; attemptsExhausted: number; rejected: number };
  retainedBytes: number;
  requests: number;
  lastError: { atMs: number; error: DeliveryError } | null;
}

/** Delivery counters per kind. */
export interface DeliveryStats {
  impressions: KindStats;
  impressionCounts: KindStats;
  uniqueKeys: KindStats;
  events: KindStats;
  listener: KindStats;
  deduplicated: number;
}

/** What a `sync()` did. */
export interface SyncResult {
  ok: boolean;
  /** Why it failed. */
  error?: string;
  /** Whether retrying cannot fix it (a rejected SDK key, a wrong URL). */
  fatal?: boolean;
  /** Requests made. */
  requests: number;
}

/** One entry of a bulk request's `keys`: a key, or a key with its attributes. */
export type BulkKey = SplitKey | number | { key: SplitKey | number; attributes?: Attributes | null };

/**
 * A bulk evaluation request: every key × every flag of `flags` (names) or of `flagSets`
 * (exactly one of the two). Limits: 10,000 keys, 1,000 flags or sets, 200,000 evaluations
 * (keys × flags) and 4 MiB of JSON per request.
 */
export interface BulkRequest {
  keys: BulkKey[];
  flags?: string[];
  flagSets?: string[];
  /** Whether each answer carries its config (default `false`). */
  withConfig?: boolean;
  /** Whether impressions are recorded, as `getTreatments` records them (default `true`). */
  impressions?: boolean;
}

/** One flag's answer in a bulk result (`config` only with `withConfig`). */
export interface BulkTreatment {
  treatment: string;
  config?: string | null;
}

/**
 * One key's bulk result, in request order: its treatments by flag (split-evaluator's
 * get-treatments shape), or the reason Split rejected the key.
 */
export type BulkResult =
  | { key: SplitKey | number; treatments: Record<string, BulkTreatment>; error?: undefined }
  | { key: SplitKey | number; error: string; treatments?: undefined };

/**
 * A client event: `SDK_READY` (`'init::ready'`) once the first data is in, with
 * `SDK_READY_FROM_CACHE` (`'init::cache-ready'`) at the same time (no cache is kept);
 * `SDK_READY_TIMED_OUT` (`'init::timeout'`) when `startup.readyTimeout` seconds passed first;
 * `SDK_UPDATE`
 * (`'state::update'`) whenever an update or a synchronization changed the data;
 * `SDK_SYNC` (`'split-edge::sync'`, split-edge's) after every synchronization with Split's
 * API, with its {@link SyncResult}.
 */
export type SdkEvent = 'init::ready' | 'init::cache-ready' | 'init::timeout' | 'state::update' | 'split-edge::sync';

/** What `SDK_READY` / `SDK_READY_FROM_CACHE` listeners and `whenReady()` receive. */
export interface SdkReadyMetadata {
  /** Whether the SDK became ready without a cache (`false`: it started from a `LOCALSTORAGE` cache). */
  initialCacheLoad: boolean;
  /** When the cache it started from was last updated (ms since the epoch), if it did. */
  lastUpdateTimestamp?: number;
}

/** Readiness (JS SDK `getStatus()`). */
export interface ReadinessStatus {
  isReady: boolean;
  isReadyFromCache: boolean;
  isTimedout: boolean;
  hasTimedout: boolean;
  isDestroyed: boolean;
  isOperational: boolean;
  /** When the data last changed (ms since the epoch; 0: never). */
  lastUpdate: number;
}

/** The event names (JS SDK `client.Event`, plus `SDK_SYNC`). */
export interface EventNames {
  readonly SDK_READY: 'init::ready';
  readonly SDK_READY_FROM_CACHE: 'init::cache-ready';
  readonly SDK_READY_TIMED_OUT: 'init::timeout';
  readonly SDK_UPDATE: 'state::update';
  readonly SDK_SYNC: 'split-edge::sync';
}

/** A listener of client events (`SDK_SYNC` passes the {@link SyncResult}). */
export type SdkEventListener = (detail?: unknown) => void;

/** A client: evaluations and events (JS SDK `SplitIO.IClient`, server-side signatures). */
export interface SplitEdgeClient {
  getTreatment(key: SplitKey, featureFlagName: string, attributes?: Attributes, options?: EvaluationOptions): string;
  getTreatmentWithConfig(key: SplitKey, featureFlagName: string, attributes?: Attributes, options?: EvaluationOptions): TreatmentWithConfig;
  getTreatments(key: SplitKey, featureFlagNames: string[], attributes?: Attributes, options?: EvaluationOptions): Treatments;
  getTreatmentsWithConfig(key: SplitKey, featureFlagNames: string[], attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig;
  getTreatmentsByFlagSet(key: SplitKey, flagSet: string, attributes?: Attributes, options?: EvaluationOptions): Treatments;
  getTreatmentsByFlagSets(key: SplitKey, flagSets: string[], attributes?: Attributes, options?: EvaluationOptions): Treatments;
  getTreatmentsWithConfigByFlagSet(key: SplitKey, flagSet: string, attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig;
  getTreatmentsWithConfigByFlagSets(key: SplitKey, flagSets: string[], attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig;
  /** Queues an event; `false` when the input is invalid (the reasons are logged). */
  track(key: SplitKey, trafficType: string, eventType: string, value?: number | null, properties?: Properties | null): boolean;
  /**
   * Evaluates many keys × many flags in one call into the engine (no per-evaluation JS
   * crossing). Throws an `Error` naming the field for a malformed request, or the limit a
   * request is over.
   */
  evaluateBulk(request: BulkRequest | string): BulkResult[];
  /** How a treatment is decided for a key: every condition and matcher, and the buckets. */
  explain(key: SplitKey, featureFlagName: string, attributes?: Attributes): Explanation;
  /** Resolves when the first data is loaded (at once when data was given). */
  ready(): Promise<void>;
  /** The event names (JS SDK `client.Event`, plus `SDK_SYNC`). */
  readonly Event: EventNames;
  /** Calls `listener` on each `event` (see {@link SdkEvent}). */
  on(event: SdkEvent, listener: SdkEventListener): this;
  /** Calls `listener` on the next `event` only. */
  once(event: SdkEvent, listener: SdkEventListener): this;
  /** Stops calling `listener` on `event`. */
  off(event: SdkEvent, listener: SdkEventListener): this;
  /** Resolves once ready; rejects when `SDK_READY_TIMED_OUT` came first (and is still not ready). */
  whenReady(): Promise<SdkReadyMetadata>;
  /** The same as `whenReady` (no cache is kept). */
  whenReadyFromCache(): Promise<SdkReadyMetadata>;
  /** Readiness. */
  getStatus(): ReadinessStatus;
  /** Posts every queued impression, count, unique key and event now. */
  flush(): Promise<FlushReport>;
  /** Flushes and stops every timer. */
  destroy(): Promise<void>;
}

/** What the server-side client and the browser client share: events, readiness, delivery. */
export interface ClientStatus {
  /** The event names (JS SDK `client.Event`, plus `SDK_SYNC`). */
  readonly Event: EventNames;
  /** Calls `listener` on each `event` (see {@link SdkEvent}). */
  on(event: SdkEvent, listener: SdkEventListener): this;
  /** Calls `listener` on the next `event` only. */
  once(event: SdkEvent, listener: SdkEventListener): this;
  /** Stops calling `listener` on `event`. */
  off(event: SdkEvent, listener: SdkEventListener): this;
  /** Resolves when the first data is loaded (at once when data was given). */
  ready(): Promise<void>;
  /** Resolves once ready; rejects when `SDK_READY_TIMED_OUT` came first (and is still not ready). */
  whenReady(): Promise<SdkReadyMetadata>;
  /** The same as `whenReady` (no cache is kept). */
  whenReadyFromCache(): Promise<SdkReadyMetadata>;
  /** Readiness. */
  getStatus(): ReadinessStatus;
  /** Posts every queued impression, count, unique key and event now. */
  flush(): Promise<FlushReport>;
  /** Flushes and stops every timer (a browser client that is not the main one: only itself). */
  destroy(): Promise<void>;
}

/**
 * A browser client (JS SDK `SplitIO.IBrowserClient`): bound to a key, with bound attributes
 * merged under each call's own.
 */
export interface SplitEdgeBrowserClient extends ClientStatus {
  getTreatment(featureFlagName: string, attributes?: Attributes, options?: EvaluationOptions): string;
  getTreatmentWithConfig(featureFlagName: string, attributes?: Attributes, options?: EvaluationOptions): TreatmentWithConfig;
  getTreatments(featureFlagNames: string[], attributes?: Attributes, options?: EvaluationOptions): Treatments;
  getTreatmentsWithConfig(featureFlagNames: string[], attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig;
  getTreatmentsByFlagSet(flagSet: string, attributes?: Attributes, options?: EvaluationOptions): Treatments;
  getTreatmentsByFlagSets(flagSets: string[], attributes?: Attributes, options?: EvaluationOptions): Treatments;
  getTreatmentsWithConfigByFlagSet(flagSet: string, attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig;
  getTreatmentsWithConfigByFlagSets(flagSets: string[], attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig;
  /** `track(trafficType, eventType, value?, properties?)`. */
  track(trafficType: string, eventType: string, value?: number | null, properties?: Properties | null): boolean;
  /** With a bound traffic type: `track(eventType, value?, properties?)`. */
  track(eventType: string, value?: number | null, properties?: Properties | null): boolean;
  /** Binds an attribute; `false` (and a warning) for an invalid name or value. */
  setAttribute(attributeName: string, attributeValue: AttributeType): boolean;
  /** A bound attribute. */
  getAttribute(attributeName: string): AttributeType | undefined;
  /** Binds several attributes (over the bound ones); `false` when one is invalid (none is bound). */
  setAttributes(attributes: Attributes): boolean;
  /** The bound attributes (a copy). */
  getAttributes(): Attributes;
  /** Unbinds an attribute; `false` when it was not bound. */
  removeAttribute(attributeName: string): boolean;
  /** Unbinds every attribute. */
  clearAttributes(): boolean;
}

/** A browser factory (JS SDK `SplitIO.IBrowserSDK`). */
export interface SplitEdgeBrowserFactory extends Omit<SplitEdgeFactory, 'client'> {
  /** The client bound to `settings.core.key`, or to `key` (with `trafficType` bound for `track`). */
  client(key?: SplitKey, trafficType?: string): SplitEdgeBrowserClient;
}

/** The manager (JS SDK `SplitIO.IManager`). */
export interface SplitEdgeManager {
  split(featureFlagName: string): SplitView | null;
  splits(): SplitView[];
  names(): string[];
}

/** A split-edge instance: one engine, its client and manager, data updates and delivery. */
export interface SplitEdgeFactory {
  client(): SplitEdgeClient;
  manager(): SplitEdgeManager;
  /** Applies a SplitChange body; throws (keeping the previous data) when it is malformed. */
  updateSplitChanges(body: SplitChangeBody | string): SplitChangeSummary;
  /** Applies SegmentChange bodies; throws (keeping the previous data) when one is malformed. */
  updateSegmentChanges(...bodies: Array<SegmentChangeBody | string>): void;
  /** Applies large-segment key lists (SegmentChange bodies). */
  updateLargeSegmentChanges(...bodies: Array<SegmentChangeBody | string>): void;
  /** Pulls changes from Split's SDK API (since/till loop, segments) with `fetch`. */
  sync(): Promise<SyncResult>;
  /** Posts everything queued now. */
  flush(): Promise<FlushReport>;
  /** Delivery counters. */
  stats(): DeliveryStats;
  /** Flushes and stops every timer. */
  destroy(): Promise<void>;
  /** The package's `SplitSDKVersion`. */
  readonly version: string;
}
