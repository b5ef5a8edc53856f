// Runs the stand-alone C++ checks (native/tests/*_check.cpp, built into build/ by `npm install` in a checkout)
// once per instruction set, so the AVX-512, AVX2 and portable paths are all exercised against plain references.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = join(__dirname, '..', '..', 'build', 'tests');
// Each check exits non-zero on any failure (execFile then rejects) and prints a summary, matched here too.
const CHECKS: Record<string, RegExp> = {
  conv_check: /\d+ checks, 0 failures/,
  ops_check: /PASSED: \d+ checks, 0 failed/,
  metrics_check: /all metrics checks passed/,
  transport_check: /^ok {3}duct/m,
};
const ISAS = ['avx512', 'avx2', 'portable'];

describe('native C++ checks', () => {
  for (const [check, summary] of Object.entries(CHECKS)) {
    for (const isa of ISAS) {
      it(`${check} (MICRORECON_ISA=${isa})`, async () => {
        const bin = join(dir, check);
        expect(existsSync(bin), `${bin} is missing: run \`npm run build:native\` in a git checkout`).toBe(true);
        const { stdout } = await run(bin, [], { env: { ...process.env, MICRORECON_ISA: isa }, maxBuffer: 64 << 20, timeout: 300_000 });
        expect(stdout).toMatch(summary);
        expect(stdout).not.toMatch(/^FAIL/m);
      });
    }
  }
});
