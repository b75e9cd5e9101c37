/**
 * The browser SDK's shape (`SplitIO.IBrowserSDK`) over a split-edge factory: the key given in
 * `settings.core.key` is bound to `factory.client()`, `factory.client(otherKey)` gives a client
 * bound to another key (the same engine and data), evaluations take no key, and attributes
 * can be bound to a client (`setAttribute(s)`, `getAttribute(s)`, `removeAttribute`,
 * `clearAttributes`), merged under the call's own. Readiness and events are the factory's.
 */
import type {
  Attributes,
  AttributeType,
  BrowserSettings,
  EvaluationOptions,
  EventNames,
  FlushReport,
  Properties,
  ReadinessStatus,
  SdkEvent,
  SdkEventListener,
  SdkReadyMetadata,
  SplitChangeBody,
  SplitChangeSummary,
  SegmentChangeBody,
  SplitEdgeBrowserClient,
  SplitEdgeBrowserFactory,
  SplitEdgeClient,
  SplitEdgeFactory,
  SplitEdgeManager,
  SplitKey,
  DeliveryStats,
  SyncResult,
  TreatmentWithConfig,
  Treatments,
  TreatmentsWithConfig,
} from './types.js';

/** How the browser clients log (the factory's logger, at its level). */
export type LogAs = (level: 'ERROR' | 'WARN', message: string) => void;

/** Client-side synchronization's keys (a real SDK key): each client's key is synchronized. */
export interface SyncKeys {
  /** Binds a matching key; resolves with whether its memberships are in from Split. */
  register(key: string): Promise<boolean>;
  /** Unbinds a matching key. */
  unregister(key: string): void;
  /** Resolves once the key's memberships are in from Split. */
  fetched(key: string): Promise<void>;
}

/** The matching key of a key as memberships are asked for (a non-empty string), or undefined. */
export function matchingKeyOf(key: SplitKey): string | undefined {
  const k: unknown = key !== null && typeof key === 'object' ? key.matchingKey : key;
  const s = typeof k === 'number' && Number.isFinite(k) ? String(k) : k;
  return typeof s === 'string' && s.length > 0 && s.length <= 250 ? s : undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** The JS SDK's attribute check (`validateAttribute`): a non-empty name, a string, finite number, boolean or array value. */
function validAttribute(log: LogAs, method: string, name: unknown, value: unknown): boolean {
  if (typeof name !== 'string' || name.length === 0) {
    log('WARN', `${method}: you passed an invalid attribute name, attribute name must be a non-empty string.`);
    return false;
  }
  const ok = typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || Array.isArray(value);
  if (!ok) log('WARN', `${method}: you passed an invalid attribute value for ${name}. Acceptable types are: string, number, boolean and array of strings.`);
  return ok;
}

function validAttributes(log: LogAs, method: string, attributes: unknown): attributes is Attributes {
  if (!isPlainObject(attributes)) {
    log('ERROR', `${method}: attributes must be a plain object.`);
    return false;
  }
  let ok = true;
  for (const name of Object.keys(attributes)) if (!validAttribute(log, method, name, attributes[name])) ok = false;
  return ok;
}

/** A client bound to a key (and, optionally, a traffic type for `track`). */
class BrowserClient implements SplitEdgeBrowserClient {
  private attributes: Attributes = {};
  private bound = false;
  private destroyed = false;
  /** With a gate: whether this client's own SDK_READY has come (the factory's and its key's memberships). */
  private gateOpen: boolean;
  /** SDK_READY listeners waiting for the gate. */
  private readonly readyListeners = new Set<SdkEventListener>();
  private readonly ownReady: Promise<SdkReadyMetadata> | undefined;
  /** Rejects when a gated client is not ready by `startup.readyTimeout`. */
  private readonly timedOut: Promise<never> | undefined;

  /** This client's readiness (a gated client's own, bounded by its timeout). */
  private own(): Promise<SdkReadyMetadata> | undefined {
    const own = this.ownReady;
    if (own === undefined) return undefined;
    return this.timedOut === undefined ? own : Promise.race([own, this.timedOut]);
  }

  /**
   * `gate`, for a client whose key is synchronized apart (client-side synchronization of
   * another key): this client is ready once the factory is and the key's memberships are in.
   */
  constructor(
    private readonly inner: SplitEdgeClient,
    private readonly key: SplitKey,
    private readonly trafficType: string | undefined,
    private readonly log: LogAs,
    private readonly onDestroy: () => Promise<void>,
    gate?: Promise<void>,
    readyTimeoutMs = 0,
  ) {
    this.gateOpen = gate === undefined;
    if (gate !== undefined) {
      if (readyTimeoutMs > 0) {
        // As the SDK's shared clients: whenReady() rejects when the key is not in by readyTimeout.
        this.timedOut = new Promise<never>((_, reject) => {
          const timer = setTimeout(() => {
            if (!this.gateOpen) reject(new Error('Split SDK has emitted SDK_READY_TIMED_OUT event.'));
          }, readyTimeoutMs);
          const t = timer as { unref?: () => void };
          if (typeof t.unref === 'function') t.unref();
        });
        this.timedOut.catch(() => undefined);
      }
      const factoryReady = new Promise<SdkReadyMetadata>((resolve) => {
        if (inner.getStatus().isReady) void inner.whenReady().then(resolve, () => undefined);
        else inner.once(inner.Event.SDK_READY, (m) => resolve(m as SdkReadyMetadata));
      });
      this.ownReady = Promise.all([factoryReady, gate]).then(([metadata]) => {
        this.gateOpen = true;
        if (!this.destroyed) {
          for (const listener of [...this.readyListeners]) {
            try {
              listener(metadata);
            } catch (e) {
              this.log('WARN', `a ${inner.Event.SDK_READY} listener threw: ${String(e)}`);
            }
          }
        }
        this.readyListeners.clear();
        return metadata;
      });
    }
  }

  /** Whether `event` is this client's own SDK_READY (a gated client's). */
  private ownEvent(event: SdkEvent): boolean {
    return this.ownReady !== undefined && event === this.inner.Event.SDK_READY;
  }

  get Event(): EventNames {
    return this.inner.Event;
  }

  /** The call's attributes over the bound ones (the call's win), as the SDK combines them. */
  private merged(attributes: Attributes | undefined): Attributes | undefined {
    return this.bound ? { ...this.attributes, ...(attributes ?? {}) } : attributes;
  }

  private refused(method: string): boolean {
    if (this.destroyed) this.log('ERROR', `${method}: Client has already been destroyed - no calls possible.`);
    return this.destroyed;
  }

  getTreatment(featureFlagName: string, attributes?: Attributes, options?: EvaluationOptions): string {
    if (this.refused('getTreatment')) return 'control';
    return this.inner.getTreatment(this.key, featureFlagName, this.merged(attributes), options);
  }

  getTreatmentWithConfig(featureFlagName: string, attributes?: Attributes, options?: EvaluationOptions): TreatmentWithConfig {
    if (this.refused('getTreatmentWithConfig')) return { treatment: 'control', config: null };
    return this.inner.getTreatmentWithConfig(this.key, featureFlagName, this.merged(attributes), options);
  }

  getTreatments(featureFlagNames: string[], attributes?: Attributes, options?: EvaluationOptions): Treatments {
    if (this.refused('getTreatments')) return {};
    return this.inner.getTreatments(this.key, featureFlagNames, this.merged(attributes), options);
  }

  getTreatmentsWithConfig(featureFlagNames: string[], attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig {
    if (this.refused('getTreatmentsWithConfig')) return {};
    return this.inner.getTreatmentsWithConfig(this.key, featureFlagNames, this.merged(attributes), options);
  }

  getTreatmentsByFlagSet(flagSet: string, attributes?: Attributes, options?: EvaluationOptions): Treatments {
    if (this.refused('getTreatmentsByFlagSet')) return {};
    return this.inner.getTreatmentsByFlagSet(this.key, flagSet, this.merged(attributes), options);
  }

  getTreatmentsByFlagSets(flagSets: string[], attributes?: Attributes, options?: EvaluationOptions): Treatments {
    if (this.refused('getTreatmentsByFlagSets')) return {};
    return this.inner.getTreatmentsByFlagSets(this.key, flagSets, this.merged(attributes), options);
  }

  getTreatmentsWithConfigByFlagSet(flagSet: string, attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig {
    if (this.refused('getTreatmentsWithConfigByFlagSet')) return {};
    return this.inner.getTreatmentsWithConfigByFlagSet(this.key, flagSet, this.merged(attributes), options);
  }

  getTreatmentsWithConfigByFlagSets(flagSets: string[], attributes?: Attributes, options?: EvaluationOptions): TreatmentsWithConfig {
    if (this.refused('getTreatmentsWithConfigByFlagSets')) return {};
    return this.inner.getTreatmentsWithConfigByFlagSets(this.key, flagSets, this.merged(attributes), options);
  }

  /**
   * `track(trafficType, eventType, value?, properties?)`; with a bound traffic type
   * (`settings.core.trafficType`, or `factory.client(key, trafficType)`),
   * `track(eventType, value?, properties?)`.
   */
  track(...args: unknown[]): boolean {
    if (this.refused('track')) return false;
    const [trafficType, rest] = this.trafficType !== undefined ? [this.trafficType, args] : [args[0], args.slice(1)];
    const [eventType, value, properties] = rest;
    return this.inner.track(this.key, trafficType as string, eventType as string, value as number | null | undefined, properties as Properties | null | undefined);
  }

  setAttribute(attributeName: string, attributeValue: AttributeType): boolean {
    if (!validAttribute(this.log, 'setAttribute', attributeName, attributeValue)) return false;
    this.attributes[attributeName] = attributeValue;
    this.bound = true;
    return true;
  }

  getAttribute(attributeName: string): AttributeType | undefined {
    return this.attributes[String(attributeName)];
  }

  setAttributes(attributes: Attributes): boolean {
    if (!validAttributes(this.log, 'setAttributes', attributes)) return false;
    Object.assign(this.attributes, attributes);
    this.bound = Object.keys(this.attributes).length > 0;
    return true;
  }

  getAttributes(): Attributes {
    return { ...this.attributes };
  }

  removeAttribute(attributeName: string): boolean {
    if (!Object.prototype.hasOwnProperty.call(this.attributes, attributeName)) return false;
    delete this.attributes[attributeName];
    this.bound = Object.keys(this.attributes).length > 0;
    return true;
  }

  clearAttributes(): boolean {
    this.attributes = {};
    this.bound = false;
    return true;
  }

  on(event: SdkEvent, listener: SdkEventListener): this {
    if (this.ownEvent(event)) {
      if (typeof listener !== 'function') throw new TypeError('the listener must be a function');
      if (!this.gateOpen) this.readyListeners.add(listener);
      return this;
    }
    this.inner.on(event, listener);
    return this;
  }

  once(event: SdkEvent, listener: SdkEventListener): this {
    if (this.ownEvent(event)) return this.on(event, listener);
    this.inner.once(event, listener);
    return this;
  }

  off(event: SdkEvent, listener: SdkEventListener): this {
    this.readyListeners.delete(listener);
    this.inner.off(event, listener);
    return this;
  }

  ready(): Promise<void> {
    const own = this.own();
    return own === undefined ? this.inner.ready() : Promise.all([this.inner.ready(), own]).then(() => undefined);
  }

  whenReady(): Promise<SdkReadyMetadata> {
    const own = this.own();
    return own === undefined ? this.inner.whenReady() : Promise.all([this.inner.whenReady(), own]).then(([m]) => m);
  }

  whenReadyFromCache(): Promise<SdkReadyMetadata> {
    return this.inner.whenReadyFromCache();
  }

  getStatus(): ReadinessStatus {
    const inner = this.inner.getStatus();
    const status = this.gateOpen ? inner : { ...inner, isReady: false };
    return this.destroyed ? { ...status, isDestroyed: true, isOperational: false } : status;
  }

  flush(): Promise<FlushReport> {
    return this.inner.flush();
  }

  /** The factory's main client destroys the factory; another client only itself (after a flush). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.onDestroy();
  }
}

/** A key's identity for `factory.client(key)`'s cache. */
function keyId(key: SplitKey, trafficType: string | undefined): string {
  const k = typeof key === 'object' && key !== null ? `${String(key.matchingKey)}\u0000${String(key.bucketingKey)}` : String(key);
  return `${k}\u0001${trafficType ?? ''}`;
}

/** The browser-shaped factory over a server-shaped one. */
export class BrowserFactory implements SplitEdgeBrowserFactory {
  private readonly clients = new Map<string, BrowserClient>();
  private readonly main: BrowserClient;
  private readonly mainKey: string | undefined;
  /** Clients per synchronized matching key (a key is unbound with its last client). */
  private readonly keyClients = new Map<string, number>();
  private readonly readyTimeoutMs: number;

  /** `syncKeys`: client-side synchronization (a real SDK key); every client's key is synchronized. */
  constructor(private readonly inner: SplitEdgeFactory, settings: BrowserSettings, private readonly log: LogAs, private readonly syncKeys?: SyncKeys) {
    const key = settings.core.key;
    if (key === undefined || key === null) throw new TypeError('split-edge: settings.core.key is required in the browser shape (the key of factory.client())');
    this.mainKey = matchingKeyOf(key);
    const timeout = settings.startup?.readyTimeout ?? 10;
    this.readyTimeoutMs = typeof timeout === 'number' && timeout > 0 ? timeout * 1000 : 0;
    this.main = new BrowserClient(inner.client(), key, settings.core.trafficType, log, () => inner.destroy());
    this.clients.set(keyId(key, settings.core.trafficType), this.main);
  }

  get version(): string {
    return this.inner.version;
  }

  client(key?: SplitKey, trafficType?: string): SplitEdgeBrowserClient {
    if (key === undefined) return this.main;
    const id = keyId(key, trafficType);
    let client = this.clients.get(id);
    if (!client) {
      const inner = this.inner;
      const synced = this.syncKeys !== undefined ? matchingKeyOf(key) : undefined;
      const own = synced !== undefined && synced !== this.mainKey ? synced : undefined;
      let gate: Promise<void> | undefined;
      if (own !== undefined && this.syncKeys) {
        this.keyClients.set(own, (this.keyClients.get(own) ?? 0) + 1);
        void this.syncKeys.register(own);
        gate = this.syncKeys.fetched(own);
      }
      client = new BrowserClient(inner.client(), key, trafficType, this.log, async () => {
        this.clients.delete(id);
        if (own !== undefined && this.syncKeys) {
          const left = (this.keyClients.get(own) ?? 1) - 1;
          if (left > 0) this.keyClients.set(own, left);
          else {
            this.keyClients.delete(own);
            this.syncKeys.unregister(own);
          }
        }
        await inner.flush();
      }, gate, this.readyTimeoutMs);
      this.clients.set(id, client);
    }
    return client;
  }

  manager(): SplitEdgeManager {
    return this.inner.manager();
  }

  updateSplitChanges(body: SplitChangeBody | string): SplitChangeSummary {
    return this.inner.updateSplitChanges(body);
  }

  updateSegmentChanges(...bodies: Array<SegmentChangeBody | string>): void {
    this.inner.updateSegmentChanges(...bodies);
  }

  updateLargeSegmentChanges(...bodies: Array<SegmentChangeBody | string>): void {
    this.inner.updateLargeSegmentChanges(...bodies);
  }

  sync(): Promise<SyncResult> {
    return this.inner.sync();
  }

  flush(): Promise<FlushReport> {
    return this.inner.flush();
  }

  stats(): DeliveryStats {
    return this.inner.stats();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
