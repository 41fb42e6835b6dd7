// Unit tests for src/config/format.ts: the YAML shown by `pathhelm config` parses back to the same data.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { toYaml } from '../../../src/config/format.js';
import { maskSecrets } from '../../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../../src/config/types.js';
import { validateConfig } from '../../../src/config/validate.js';

// js-yaml ships with cosmiconfig; used here only as an independent parser to check our output.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

describe('toYaml', () => {
  it('round-trips the default config', () => {
    expect(yaml.load(toYaml(DEFAULT_CONFIG))).toEqual(DEFAULT_CONFIG);
  });

  it('quotes strings that YAML would misread and keeps masked secrets as strings', () => {
    const c = validateConfig(
      { gatewayToken: 'a-long-enough-secret-token', host: '::', allow: ['10.0.0.0/8', 'ph_4fZq81Kx'], auth: { publicPaths: ['/docs/*', '/health'] } },
      'x',
    );
    const text = toYaml(maskSecrets(c));
    expect(text).toContain('gatewayToken: "<set>"');
    expect(text).toContain('  ip:\n    - limit: 100\n      windowMs: 1000  # 1s\n');
    expect(text).toContain('  maxHeaderBytes: 16384  # 16kb\n');
    expect(text).toContain('  upstreamTimeoutMs: 30000  # 30s\n');
    expect(text).toContain('  flushIntervalMs: 100\n');
    expect(yaml.load(text)).toEqual(maskSecrets(c));
    expect(toYaml({ a: 'true', b: '8080x', c: 'x: y', d: null, e: [], f: {} })).toBe('a: "true"\nb: "8080x"\nc: "x: y"\nd: null\ne: []\nf: {}\n');
  });
});
