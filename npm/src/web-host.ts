/** Hosts without a file system: browsers (timers on) and Workers (no timers between requests). */
import type { Host } from './factory.js';

/** Browsers and bundlers: timers, no files. */
export const webHost: Host = { timers: true, name: 'web' };

/** Workers: no timers outside a request; call `flush()` (with `ctx.waitUntil`) instead. */
export const workersHost: Host = { timers: false, name: 'workers' };
