import type { BrowserSettings, Settings, SplitEdgeBrowserFactory, SplitEdgeFactory } from './esm/types.js';
export type * from './esm/types.js';
/** What `init` accepts: the .wasm's URL, a fetch Response, its bytes or a compiled module. */
export type InitInput = string | URL | Request | Response | BufferSource | WebAssembly.Module;
/** Loads the wasm (once); by default fetches `split_edge_wasm_bg.wasm` next to this module. */
export declare function init(input?: InitInput | Promise<InitInput>): Promise<void>;
/** Instantiates the wasm synchronously from bytes or a compiled module. */
export declare function initSync(input: BufferSource | WebAssembly.Module): void;
/**
 * Creates an instance (JS SDK `SplitFactory`); `init()` must have completed. With
 * `settings.core.key`, the browser SDK's shape: `factory.client()` is bound to that key.
 */
export declare function SplitFactory(settings: BrowserSettings): SplitEdgeBrowserFactory;
/** Without `settings.core.key`: the server-side shape (a key on every call), as in Node. */
export declare function SplitFactory(settings?: Settings): SplitEdgeFactory;
/** The package version. */
export declare const version: string;
