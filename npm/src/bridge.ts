/**
 * What the OpenFeature providers (`split-edge/openfeature`, `split-edge/openfeature/web`) reach
 * in a factory beyond its public API: one resolution per call through the engine, in the
 * engine's OpenFeature mapping. A registered symbol, so the ES module and CommonJS builds of
 * the package meet on the same key.
 */
export const RESOLVE: unique symbol = Symbol.for('split-edge.openfeature.resolve') as never;

/** The value kinds OpenFeature resolves. */
export type ValueKind = 'boolean' | 'string' | 'number' | 'object';

/** What the engine answers: OFREP's entry shape. */
export type EngineResolution =
  | { key: string; value: unknown; variant: string; reason: string; metadata: Record<string, string | number | boolean> }
  | { key: string; errorCode: string; errorDetails: string };

/** A factory the providers can resolve with. */
export interface Resolver {
  [RESOLVE](kind: ValueKind, flag: string, context: string): EngineResolution;
}
