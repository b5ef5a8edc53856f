/**
 * The browser example (examples/browser-wasm) in headless Chromium: the page reconstructs a 64³ volume from the
 * bundled slice on the wasm backend and reports success; cross-origin isolated it runs the threaded variant,
 * without the isolation headers the single-threaded SIMD one. Needs Debian's `chromium` (CI installs it) and
 * the devDependency playwright-core; without them the suite is reported as skipped, loudly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const CHROMIUM = process.env.MICRORECON_CHROMIUM ?? '/usr/bin/chromium';
// flags from shared/NOTES-TOOLCHAIN.md (no network, no first-run work)
const FLAGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];

let playwright: typeof import('playwright-core') | null = null;
try {
  playwright = await import('playwright-core');
} catch {}
const missing = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : !playwright ? 'playwright-core is not installed' : null;

describe('browser example (headless Chromium)', () => {
  if (missing) {
    console.warn(`[browser] SKIPPED: ${missing}`);
    it.skip(`UNAVAILABLE: ${missing}`, () => {});
    return;
  }
  const servers: Server[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'microrecon-chromium-'));
  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(root, 'examples/browser-wasm/build.mjs')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(profile, { recursive: true, force: true });
  });

  for (const isolation of [true, false])
    it(`reconstructs a 64³ volume, ${isolation ? 'cross-origin isolated (threads)' : 'not isolated (single thread)'}`, async () => {
      const { serve } = await import('../../examples/browser-wasm/serve.mjs');
      const server: Server = await serve({ isolation });
      servers.push(server);
      const port = (server.address() as { port: number }).port;
      const context = await playwright!.chromium.launchPersistentContext(join(profile, String(isolation)), {
        executablePath: CHROMIUM, headless: true, args: FLAGS,
      });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`http://127.0.0.1:${port}/examples/browser-wasm/index.html`);
        await page.waitForFunction(() => (window as { microreconResult?: unknown }).microreconResult, undefined, { timeout: 90_000 });
        const r = await page.evaluate(() => (window as unknown as { microreconResult: Record<string, unknown> }).microreconResult);
        console.log(`[browser] ${JSON.stringify(r)}`);
        expect(r.ok, String(r.error)).toBe(true);
        expect(errors).toEqual([]);
        expect(r.shape).toEqual([64, 64, 64]);
        expect(r.crossOriginIsolated).toBe(isolation);
        expect(r.variant).toBe(isolation ? 'simd-threads' : 'simd');
        // single mode: z = 0 of the volume is the input slice
        expect(r.firstSliceAgreement).toBeGreaterThan(0.99);
        expect(await page.textContent('#status')).toMatch(/^success/);
      } finally {
        await context.close();
      }
    });
});
