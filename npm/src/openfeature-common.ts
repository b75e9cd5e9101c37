/**
 * What the server and web OpenFeature providers share: resolution through the engine's
 * OpenFeature mapping (one wasm call per flag), `track`, and the provider events read from the
 * factory's own. Imports nothing from OpenFeature at run time: each provider brings its SDK's
 * event emitter.
 */
import type { EvaluationContext, FlagMetadata, JsonValue, ResolutionDetails, TrackingEventDetails } from '@openfeature/core';
import { RESOLVE, type EngineResolution, type Resolver, type ValueKind } from './bridge.js';
import type { Properties, SplitEdgeFactory, SyncResult } from './types.js';

/** Options of the providers. */
export interface SplitEdgeProviderOptions {
  /**
   * The traffic type of events sent by `track` when the context has no `trafficType`
   * (default `'user'`).
   */
  trafficType?: string;
  /** Whether closing the provider (`OpenFeature.close()`) destroys the factory (default `true`). */
  destroyOnClose?: boolean;
}

/** An OpenFeature SDK's provider event emitter (server or web). */
interface Emitter {
  emit(event: string, details?: { message?: string; errorCode?: never }): void;
}

/** OpenFeature's provider event names (the same in both SDKs). */
const READY = 'PROVIDER_READY';
const CONFIGURATION_CHANGED = 'PROVIDER_CONFIGURATION_CHANGED';
const ERROR = 'PROVIDER_ERROR';

/** The providers' name in OpenFeature's provider metadata. */
export const PROVIDER_NAME = 'split-edge';

function isResolver(factory: unknown): factory is SplitEdgeFactory & Resolver {
  return typeof factory === 'object' && factory !== null && typeof (factory as Partial<Resolver>)[RESOLVE] === 'function';
}

/** A context as JSON for the engine: `Date` attributes become milliseconds since the epoch (what Split's datetime matchers read). */
function contextJson(context: EvaluationContext): string | undefined {
  let plain: Record<string, unknown> = context;
  for (const [k, v] of Object.entries(context)) {
    if (v instanceof Date) {
      if (plain === context) plain = { ...context };
      plain[k] = v.getTime();
    }
  }
  try {
    return JSON.stringify(plain);
  } catch {
    return undefined; // a cycle or a BigInt
  }
}

/** The provider logic over a factory. */
export class ProviderCore {
  private readonly factory: SplitEdgeFactory & Resolver;
  private unsubscribe: (() => void) | undefined;
  private failing = false;

  constructor(factory: SplitEdgeFactory, private readonly options: SplitEdgeProviderOptions = {}) {
    if (!isResolver(factory)) throw new TypeError('split-edge OpenFeature provider: pass a factory made by split-edge\'s SplitFactory');
    this.factory = factory;
  }

  /** Resolves a flag of `kind`; on failure the default value with the error code. */
  resolve<T>(kind: ValueKind, flagKey: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    const json = contextJson(context);
    const r: EngineResolution =
      json === undefined
        ? { key: flagKey, errorCode: 'INVALID_CONTEXT', errorDetails: 'the evaluation context cannot be serialised (a cycle or a BigInt)' }
        : this.factory[RESOLVE](kind, flagKey, json);
    if ('errorCode' in r) {
      return { value: defaultValue, reason: 'ERROR', errorCode: r.errorCode as ResolutionDetails<T>['errorCode'], errorMessage: r.errorDetails };
    }
    return { value: r.value as T, variant: r.variant, reason: r.reason, flagMetadata: r.metadata as FlagMetadata };
  }

  /** `track` as Split's: the targeting key, the context's `trafficType` (or the option's), the event name, `value` and the other details as properties. */
  track(eventName: string, context: EvaluationContext, details: TrackingEventDetails | undefined): void {
    const key = context.targetingKey;
    if (key === undefined || key === null) throw new Error('split-edge track: the context has no targetingKey');
    const trafficType = typeof context.trafficType === 'string' ? context.trafficType : (this.options.trafficType ?? 'user');
    let value: number | null = null;
    let properties: Properties | null = null;
    if (details) {
      const { value: v, ...rest } = details;
      if (v !== undefined) value = v;
      const entries = Object.entries(rest);
      if (entries.length > 0) {
        properties = {};
        for (const [k, p] of entries) properties[k] = p instanceof Date ? p.getTime() : (p as Properties[string]);
      }
    }
    const ok = this.factory.client().track(key, trafficType, eventName, value, properties);
    if (!ok) throw new Error(`split-edge track: Split rejected the event ${JSON.stringify(eventName)} (see the split-edge log)`);
  }

  /** Waits for the first data, then turns the factory's events into provider events. */
  async initialize(events: Emitter): Promise<void> {
    await this.factory.client().ready();
    if (this.unsubscribe) return;
    const client = this.factory.client();
    const onUpdate = (): void => events.emit(CONFIGURATION_CHANGED);
    const onSync = (detail: unknown): void => {
      const result = detail as SyncResult;
      if (!result.ok) {
        this.failing = true;
        const message = `split-edge: synchronization with Split failed: ${result.error ?? 'unknown error'}`;
        events.emit(ERROR, result.fatal === true ? { message, errorCode: 'PROVIDER_FATAL' as never } : { message });
      } else if (this.failing) {
        this.failing = false;
        events.emit(READY);
      }
    };
    client.on(client.Event.SDK_UPDATE, onUpdate);
    client.on(client.Event.SDK_SYNC, onSync);
    this.unsubscribe = () => {
      client.off(client.Event.SDK_UPDATE, onUpdate);
      client.off(client.Event.SDK_SYNC, onSync);
    };
  }

  /** Stops the events and, unless told otherwise, destroys the factory (flushing what is queued). */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.options.destroyOnClose !== false) await this.factory.destroy();
  }
}

/** What the server and web providers have in common; each adds its SDK's emitter and the four resolvers. */
export abstract class ProviderBase {
  /** The provider's metadata. */
  readonly metadata = { name: PROVIDER_NAME } as const;
  /** Ready, configuration changed (after an update or a synchronization), error. */
  abstract readonly events: Emitter;
  /** @internal */
  protected readonly core: ProviderCore;

  /** A provider over a split-edge factory (`SplitFactory(settings)`). */
  constructor(factory: SplitEdgeFactory, options?: SplitEdgeProviderOptions) {
    this.core = new ProviderCore(factory, options);
  }

  /** Resolves when the factory has its first data. */
  initialize(): Promise<void> {
    return this.core.initialize(this.events);
  }

  /** Stops the events; destroys the factory unless `destroyOnClose: false`. */
  onClose(): Promise<void> {
    return this.core.close();
  }

  /** Split's `track`: the targeting key, the context's `trafficType` (or the option's), `value` and properties from the details. */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails?: TrackingEventDetails): void {
    this.core.track(trackingEventName, context, trackingEventDetails);
  }
}

export type { JsonValue };
