import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Native kernels use every core already; running files one at a time keeps timings and memory sane.
    fileParallelism: false,
    reporters: ['default'],
  },
});
