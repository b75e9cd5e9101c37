// Headless Chromium for the browser tests: Debian's `chromium` (or SPLIT_EDGE_CHROMIUM) driven by
// playwright-core, with the launch flags of ../shared/toolchain.md and a fresh profile each time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Chromium binary. */
export const CHROMIUM = process.env.SPLIT_EDGE_CHROMIUM || '/usr/bin/chromium';

/** The flags every test launches it with. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Launches Chromium with a fresh profile (`options` are playwright's, e.g. `viewport`).
 * Resolves to `{ context, close() }`; `close()` also removes the profile.
 */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'split-edge-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000, ...options,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
