/** Runs the `microrecon` CLI in-process, capturing what it prints (shared by the CLI tests). */
import { vi } from 'vitest';
import { main } from '../src/cli/main.js';

export async function runCli(...args: string[]): Promise<{ code: number; err: string; out: string }> {
  const err: string[] = [], out: string[] = [];
  const e = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const l = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  try {
    return { code: await main(['node', 'microrecon', ...args]), err: err.join('\n'), out: out.join('\n') };
  } finally {
    e.mockRestore();
    l.mockRestore();
  }
}
