import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    // The suite runs on the compact synthetic universe (~30k contracts): the real size (~112k,
    // the default for npm start and bench) would make every simulator start 2–3× slower.
    // Tests of the real size ask for it explicitly (test/synthetic-master-real-size.test.ts).
    env: { OPTCHAIN_SIM_UNIVERSE: 'compact' },
  },
});
