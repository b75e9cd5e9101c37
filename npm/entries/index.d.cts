import type { Settings, SplitEdgeFactory } from './cjs/types.js';
export type * from './cjs/types.js';
/** Creates an instance (JS SDK `SplitFactory`). */
export declare function SplitFactory(settings?: Settings): SplitEdgeFactory;
/** The package version. */
export declare const version: string;
