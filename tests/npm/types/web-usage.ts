// A browser consumer of `split-edge/web` (DOM lib, no Node types). Checked by types.test.mjs; never run.
import { init, initSync, SplitFactory as WebFactory, version as webVersion } from 'split-edge/web';
import type { BrowserStorage, InitInput, SdkReadyMetadata, SplitEdgeBrowserFactory, SplitEdgeFactory } from 'split-edge/web';
async function web(bytes: Uint8Array, mod: WebAssembly.Module): Promise<void> {
  const input: InitInput = new URL('https://example.com/split_edge_wasm_bg.wasm');
  await init(input);
  await init();
  initSync(bytes);
  initSync(mod);
  const f: SplitEdgeFactory = WebFactory({ core: { authorizationKey: 'localhost' } });
  console.log(f.client().getTreatment('k', 'f'), webVersion);
}
void web;

// The browser shape with client-side synchronization and the localStorage cache.
async function browserShape(): Promise<void> {
  const storage: BrowserStorage = { type: 'LOCALSTORAGE', prefix: 'app', expirationDays: 5, clearOnInit: true };
  const f: SplitEdgeBrowserFactory = WebFactory({ core: { authorizationKey: 'client-side-key', key: 'alice' }, storage });
  const fromCache: SdkReadyMetadata = await f.client().whenReadyFromCache();
  const at: number | undefined = fromCache.lastUpdateTimestamp;
  const other = f.client('bob');
  await other.whenReady();
  console.log(at, fromCache.initialCacheLoad, other.getTreatment('flag'));
  WebFactory({ core: { authorizationKey: 'k' }, sync: { clientSide: { keys: ['alice', 'bob'] } } });
  // @ts-expect-error the storage type is MEMORY or LOCALSTORAGE
  WebFactory({ core: { key: 'alice' }, storage: { type: 'INDEXEDDB' } });
  // @ts-expect-error expirationDays is a number of days
  WebFactory({ core: { key: 'alice' }, storage: { type: 'LOCALSTORAGE', expirationDays: '10' } });
  // @ts-expect-error clientSide keys are strings
  WebFactory({ sync: { clientSide: { keys: [1] } } });
}
void browserShape;
