// A browser consumer of `split-edge/web` (DOM lib, no Node types). Checked by types.test.mjs; never run.
import { init, initSync, SplitFactory as WebFactory, version as webVersion } from 'split-edge/web';
import type { InitInput, SplitEdgeFactory } from 'split-edge/web';
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
