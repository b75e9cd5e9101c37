/** Hosts without a file system: browsers (timers on) and Workers (no timers between requests). */
import type { Host } from './factory.js';

/** Browsers: timers, no files, the browser SDK's shape when `settings.core.key` is given. */
export const webHost: Host = { timers: true, name: 'web', browserShape: true };

/** Workers: no timers outside a request; call `flush()` (with `ctx.waitUntil`) instead. */
export const workersHost: Host = { timers: false, name: 'workers' };
