/** bench/stale-dist.mjs: the benches warn when dist/ is older than src/ instead of measuring an old build. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
// @ts-expect-error plain ESM helper of the bench, no type declarations
import { isDistStale, warnIfStaleDist } from '../../bench/stale-dist.mjs';

function fakeRoot(distTime: Date, srcTime: Date): string {
  const root = mkdtempSync(join(tmpdir(), 'stale-dist-'));
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  writeFileSync(join(root, 'dist', 'index.js'), '');
  writeFileSync(join(root, 'src', 'deep', 'a.ts'), '');
  utimesSync(join(root, 'dist', 'index.js'), distTime, distTime);
  utimesSync(join(root, 'src', 'deep', 'a.ts'), srcTime, srcTime);
  return root;
}

describe('warnIfStaleDist', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); vi.restoreAllMocks(); });

  it('warns when a nested source file is newer than the build', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const root = fakeRoot(new Date('2026-01-01'), new Date('2026-01-02'));
    roots.push(root);
    expect(warnIfStaleDist(root)).toBe(true);
    expect(err).toHaveBeenCalledWith(expect.stringMatching(/dist\/ is older than src\//));
  });

  it('stays quiet when the build is newer', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const root = fakeRoot(new Date('2026-01-02'), new Date('2026-01-01'));
    roots.push(root);
    expect(warnIfStaleDist(root)).toBe(false);
    expect(err).not.toHaveBeenCalled();
  });
});

describe('isDistStale (the CLI tests rebuild with it)', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true }); });

  it('judges the named bundle: missing or older than a nested source is stale, newer is not', () => {
    const root = fakeRoot(new Date('2026-01-02'), new Date('2026-01-01'));
    roots.push(root);
    expect(isDistStale(root)).toBe(false);
    expect(isDistStale(root, 'cli.js')).toBe(true); // missing
    writeFileSync(join(root, 'dist', 'cli.js'), '');
    utimesSync(join(root, 'dist', 'cli.js'), new Date('2025-12-31'), new Date('2025-12-31'));
    expect(isDistStale(root, 'cli.js')).toBe(true); // older than src/deep/a.ts
    utimesSync(join(root, 'dist', 'cli.js'), new Date('2026-01-03'), new Date('2026-01-03'));
    expect(isDistStale(root, 'cli.js')).toBe(false);
  });
});
