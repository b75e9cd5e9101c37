/** The package's public types and the factory type; each environment's entry adds the values. */
export type * from './types.js';
export { createSdk, VERSION } from './factory.js';
export type { Glue, Host, RawEngine } from './factory.js';
