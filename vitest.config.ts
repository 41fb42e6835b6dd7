// Test runner configuration: unit, integration (real sockets) and e2e (built binary) suites.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './tests/summary-reporter.ts'],
  },
});
