/**
 * The browser shape's `storage: { type: 'LOCALSTORAGE' }`: rollout data kept in
 * `window.localStorage` between page loads, under the browser SDK's key layout
 * (`<prefix>` is `SPLITIO`, or `<custom>.SPLITIO`):
 *
 * | key | value |
 * |---|---|
 * | `<prefix>.split.<name>` | a flag definition (JSON, as Split served it) |
 * | `<prefix>.splits.till` / `<prefix>.rbsegments.till` | the flags' / rule-based segments' change number |
 * | `<prefix>.rbsegment.<name>` | a rule-based segment definition (JSON) |
 * | `<prefix>.splits.lastUpdated` | when the cache was last written (ms) |
 * | `<prefix>.hash` | the SDK key / flag filter / spec hash it was written for |
 * | `<prefix>.lastClear` | when it was last cleared (ms) |
 * | `<prefix>.<key>.segment.<name>`, `<prefix>.<key>.largeSegment.<name>` | `1`: the key is in that (large) segment |
 * | `<prefix>.<key>.segments.till`, `<prefix>.<key>.largeSegments.till` | the key's memberships change numbers |
 *
 * At start a cache is dropped (as the SDK drops it) when it is older than `expirationDays`,
 * written under another hash, or `clearOnInit` is set and it was not cleared in the last day.
 * Whatever is unreadable (a definition that is not JSON or not of its name, a change number
 * that is not a number, a definition the engine rejects) is logged and the rules cache is not
 * used; a membership entry other than `1` is ignored. Nothing here throws: storage errors (a
 * full quota) are logged.
 */
import type { BrowserStorage, LogLevel } from './types.js';

/** What the cache needs of the engine. */
export interface CacheEngine {
  applySplitChanges(json: string): unknown;
  restoreMemberships(key: string, body: string): void;
  memberships(key: string): string | undefined;
  splitNames(): string[];
  storageHash(): string;
  /** The sync status as JSON text (`{flagsChangeNumber, ruleBasedSegmentsChangeNumber, …}`). */
  syncStatus(): string;
}

/** The `Storage` methods used (window.localStorage has them). */
export interface StorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const DAY_MS = 86_400_000;
const DEFAULT_EXPIRATION_DAYS = 10;
const MEMBER = '1';

/** One list of a memberships body. */
interface WireList {
  cn?: number;
  k: Array<{ n: string }>;
}

type Log = (level: LogLevel, message: string) => void;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An integer stored as text, or undefined. */
function integer(text: string | null): number | undefined {
  if (text === null || !/^-?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The items of a splitChanges body's list (`ff.d` or the legacy `splits`; `rbs.d`). */
function items(body: unknown, kind: 'ff' | 'rbs'): unknown[] {
  if (!isRecord(body)) return [];
  const set = body[kind];
  if (isRecord(set) && Array.isArray(set.d)) return set.d;
  if (kind === 'ff' && Array.isArray(body.splits)) return body.splits;
  return [];
}

/** The browser SDK's `localStorage` cache of one factory. */
export class LocalStorageCache {
  private readonly prefix: string;
  private readonly expirationDays: number;

  constructor(
    private readonly storage: StorageLike,
    private readonly options: BrowserStorage,
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {
    this.prefix = options.prefix ? `${options.prefix}.SPLITIO` : 'SPLITIO';
    const days = options.expirationDays;
    this.expirationDays = typeof days === 'number' && Number.isFinite(days) && days >= 1 ? days : DEFAULT_EXPIRATION_DAYS;
  }

  /** `localStorage` when the page has it (a cache), else undefined (logged: memory only). */
  static open(options: BrowserStorage | undefined, log: Log): LocalStorageCache | undefined {
    if (options?.type !== 'LOCALSTORAGE') return undefined;
    let storage: StorageLike | undefined;
    try {
      storage = (globalThis as { localStorage?: StorageLike }).localStorage;
      if (storage) {
        const probe = '__splitio_probe__';
        storage.setItem(probe, probe);
        storage.removeItem(probe);
      }
    } catch {
      storage = undefined;
    }
    if (!storage) {
      log('WARN', 'storage:localstorage: LocalStorage API is unavailable. Falling back to default MEMORY storage');
      return undefined;
    }
    return new LocalStorageCache(storage, options, log);
  }

  private get(name: string): string | null {
    return this.storage.getItem(`${this.prefix}.${name}`);
  }

  private set(name: string, value: string): void {
    this.storage.setItem(`${this.prefix}.${name}`, value);
  }

  private remove(name: string): void {
    this.storage.removeItem(`${this.prefix}.${name}`);
  }

  /** The names (after `<prefix>.<head>`) of the stored keys under that head. */
  private names(head: string): string[] {
    const start = `${this.prefix}.${head}`;
    const out: string[] = [];
    for (let i = 0; i < this.storage.length; i++) {
      const k = this.storage.key(i);
      if (k !== null && k.startsWith(start)) out.push(k.slice(start.length));
    }
    return out;
  }

  /** Removes every stored key under the prefix but the hash and the last clear. */
  private clear(): void {
    const keep = new Set(['hash', 'lastClear']);
    for (const name of this.names('')) if (!keep.has(name)) this.remove(name);
  }

  /** Whether the cache must be dropped at start (the SDK's `validateCache`), updating the hash. */
  private stale(hash: string): boolean {
    const now = this.now();
    const lastUpdated = integer(this.get('splits.lastUpdated'));
    if (lastUpdated !== undefined && lastUpdated < now - DAY_MS * this.expirationDays) {
      this.log('INFO', `storage:localstorage: Cache expired more than ${this.expirationDays} days ago. Cleaning up cache`);
      return true;
    }
    if (this.get('hash') !== hash) {
      const there = integer(this.get('splits.till')) !== undefined;
      this.set('hash', hash);
      if (there) {
        this.log('INFO', 'storage:localstorage: SDK key, flags filter criteria, or flags spec version has changed. Cleaning up cache');
        return true;
      }
      return false;
    }
    if (this.options.clearOnInit) {
      const lastClear = integer(this.get('lastClear'));
      if (lastClear === undefined || lastClear < now - DAY_MS) {
        this.log('INFO', 'storage:localstorage: clearOnInit was set and cache was not cleared in the last 24 hours. Cleaning up cache');
        return true;
      }
    }
    return false;
  }

  /**
   * Validates the cache and loads it into the engine: the flags and rule-based segments, and the
   * memberships of `keys`. Returns when it was last updated if the flags came from it
   * (`SDK_READY_FROM_CACHE`), else undefined.
   */
  load(engine: CacheEngine, keys: Iterable<string>): number | undefined {
    try {
      if (this.stale(engine.storageHash())) {
        this.clear();
        this.set('lastClear', String(this.now()));
        return undefined;
      }
      const till = integer(this.get('splits.till'));
      if (till === undefined || till < 0) return undefined;
      const body = this.rulesBody(till);
      if (body === undefined) return undefined;
      try {
        engine.applySplitChanges(body);
      } catch (e) {
        this.drop(`the engine rejected the cached flags (${e instanceof Error ? e.message : String(e)})`);
        return undefined;
      }
      for (const key of keys) this.restoreKey(engine, key);
      return integer(this.get('splits.lastUpdated')) ?? 0;
    } catch (e) {
      this.log('ERROR', `storage:localstorage: ${String(e)}`);
      return undefined;
    }
  }

  /** A splitChanges body of the cached definitions, or undefined (logged) when one is unreadable. */
  private rulesBody(till: number): string | undefined {
    const lists: Record<'split.' | 'rbsegment.', string[]> = { 'split.': [], 'rbsegment.': [] };
    for (const head of ['split.', 'rbsegment.'] as const) {
      for (const name of this.names(head)) {
        const text = this.get(head + name);
        let parsed: unknown;
        try {
          parsed = text === null ? undefined : JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (!isRecord(parsed) || parsed.name !== name) {
          this.drop(`${this.prefix}.${head}${name} is not a definition of ${JSON.stringify(name)}`);
          return undefined;
        }
        lists[head].push(text as string);
      }
    }
    const rbTill = integer(this.get('rbsegments.till'));
    const rbs = rbTill === undefined ? '' : `,"rbs":{"d":[${lists['rbsegment.'].join(',')}],"s":-1,"t":${rbTill}}`;
    return `{"ff":{"d":[${lists['split.'].join(',')}],"s":-1,"t":${till}}${rbs}}`;
  }

  /** Logs why the cache is not used and clears it. */
  private drop(why: string): void {
    this.log('WARN', `storage:localstorage: the cache is ignored and cleared: ${why}`);
    this.clear();
  }

  /** Puts a key's cached memberships into the engine (nothing when none are cached). */
  restoreKey(engine: CacheEngine, key: string): void {
    try {
      const ms = this.list(key, 'segment', 'segments.till');
      const ls = this.list(key, 'largeSegment', 'largeSegments.till');
      if (ms === undefined && ls === undefined) return;
      engine.restoreMemberships(key, JSON.stringify({ ms: ms ?? { k: [] }, ls: ls ?? { k: [] } }));
    } catch (e) {
      this.log('WARN', `storage:localstorage: the cached memberships of ${JSON.stringify(key)} are ignored: ${String(e)}`);
    }
  }

  private list(key: string, kind: string, tillName: string): WireList | undefined {
    const names: string[] = [];
    for (const name of this.names(`${key}.${kind}.`)) {
      if (this.get(`${key}.${kind}.${name}`) === MEMBER) names.push(name);
      else this.log('WARN', `storage:localstorage: ignored ${this.prefix}.${key}.${kind}.${name} (not a membership entry)`);
    }
    const cn = integer(this.get(`${key}.${tillName}`));
    if (names.length === 0 && cn === undefined) return undefined;
    return cn === undefined ? { k: names.map((n) => ({ n })) } : { cn, k: names.map((n) => ({ n })) };
  }

  /**
   * Writes what a synchronization run applied: the definitions of the `splitChanges` bodies it
   * received (`bodies`, in order, those the engine accepted) as the engine now holds them, the
   * change numbers, and the memberships of `keys`.
   */
  save(engine: CacheEngine, bodies: string[], keys: Iterable<string>): void {
    try {
      const status = JSON.parse(engine.syncStatus()) as { flagsChangeNumber: number; ruleBasedSegmentsChangeNumber: number };
      const stored = integer(this.get('splits.till'));
      if (stored !== undefined && status.flagsChangeNumber < stored) {
        // The engine started over (a Split Proxy serving spec 1.3 again): so does the cache.
        for (const head of ['split.', 'rbsegment.']) for (const name of this.names(head)) this.remove(head + name);
      }
      const flags = new Map<string, string | null>();
      const rbs = new Map<string, string | null>();
      for (const text of bodies) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          continue;
        }
        for (const [kind, map] of [['ff', flags], ['rbs', rbs]] as const) {
          for (const item of items(body, kind)) {
            if (!isRecord(item) || typeof item.name !== 'string') continue;
            map.set(item.name, item.status === 'ARCHIVED' ? null : JSON.stringify(item));
          }
        }
      }
      const loaded = new Set(engine.splitNames());
      for (const [name, json] of flags) {
        if (json !== null && loaded.has(name)) this.set(`split.${name}`, json);
        else this.remove(`split.${name}`);
      }
      for (const name of this.names('split.')) if (!loaded.has(name)) this.remove(`split.${name}`);
      for (const [name, json] of rbs) {
        if (json !== null) this.set(`rbsegment.${name}`, json);
        else this.remove(`rbsegment.${name}`);
      }
      this.set('splits.till', String(status.flagsChangeNumber));
      this.set('rbsegments.till', String(status.ruleBasedSegmentsChangeNumber));
      for (const key of keys) this.saveKey(engine, key);
      this.set('hash', engine.storageHash());
      this.set('splits.lastUpdated', String(this.now()));
    } catch (e) {
      this.log('ERROR', `storage:localstorage: could not write the cache: ${String(e)}`);
    }
  }

  private saveKey(engine: CacheEngine, key: string): void {
    const text = engine.memberships(key);
    if (text === undefined) return;
    const body = JSON.parse(text) as { ms: WireList; ls: WireList };
    for (const [kind, tillName, list] of [['segment', 'segments.till', body.ms], ['largeSegment', 'largeSegments.till', body.ls]] as const) {
      const names = new Set(list.k.map((s) => s.n));
      for (const name of this.names(`${key}.${kind}.`)) if (!names.has(name)) this.remove(`${key}.${kind}.${name}`);
      for (const name of names) this.set(`${key}.${kind}.${name}`, MEMBER);
      if (list.cn !== undefined) this.set(`${key}.${tillName}`, String(list.cn));
      else this.remove(`${key}.${tillName}`);
    }
  }
}
