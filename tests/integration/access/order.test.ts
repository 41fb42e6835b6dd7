// The gateway's pipeline runs the access passes first and in order: identity → deny list → auth →
// (ban check) → rate limits → behaviour.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPasses } from '../../../src/gateway/passes.js';
import { openDb } from '../../../src/telemetry/db.js';
import { testConfig } from './harness.js';

describe('buildPasses', () => {
  it('puts identity, denylist, auth and rate-limit in order ahead of everything else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ph-order-'));
    const db = openDb(join(dir, 'o.db'));
    try {
      const names = buildPasses(testConfig(dir, 'http://127.0.0.1:9'), { db }).map((p) => p.name);
      expect(names.slice(0, 3)).toEqual(['identity', 'denylist', 'auth']);
      const rl = names.indexOf('rate-limit');
      expect(rl).toBeGreaterThan(2);
      expect(names.slice(3, rl).every((n) => n !== 'identity' && n !== 'auth')).toBe(true);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
