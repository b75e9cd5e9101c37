import type { Settings, SplitEdgeFactory } from './esm/types.js';
export type * from './esm/types.js';
/** Creates an instance (JS SDK `SplitFactory`). In the browser entry, call `init()` first. */
export declare function SplitFactory(settings?: Settings): SplitEdgeFactory;
/** The package version. */
export declare const version: string;
