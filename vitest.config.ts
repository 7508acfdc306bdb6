import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // CI reads the counts from vitest's own JSON report.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test/.tmp/vitest-report.json' }]] : ['default'],
    // Temporary files of the whole run go under one folder, removed at the end.
    globalSetup: ['test/harness/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['core/src/**/*.test.ts', 'sugaroid/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          // Unit tests first: they are quick and say the most when something breaks.
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file boots real daemons; two at a time fits the 2-core machine.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'soak',
          // Last and alone: it reads the daemon's event-loop lag, memory and
          // descriptors, which suites running beside it would disturb.
          sequence: { groupOrder: 2 },
          include: ['test/soak/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 60_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
