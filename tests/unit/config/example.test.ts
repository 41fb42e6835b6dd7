// The documented example config (config/pathhelm.config.example.yaml) names every key and sets it to its default.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../../src/config/types.js';

const EXAMPLE = fileURLToPath(new URL('../../../config/pathhelm.config.example.yaml', import.meta.url));

function leafKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? leafKeys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('config/pathhelm.config.example.yaml', () => {
  it('is valid and equals the embedded defaults', async () => {
    const c = await loadConfig({ configFile: EXAMPLE, env: {} });
    expect({ ...c, db: DEFAULT_CONFIG.db }).toEqual(DEFAULT_CONFIG);
    expect(c.db).toBe(join(dirname(EXAMPLE), '.pathhelm', 'pathhelm.db'));
  });

  it('documents every key (add new keys there with a comment)', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const missing = leafKeys(DEFAULT_CONFIG as unknown as Record<string, unknown>).filter((key) => {
      const leaf = key.split('.').pop()!;
      return !new RegExp(`^\\s*${leaf}:`, 'm').test(text);
    });
    expect(missing, `keys missing from ${EXAMPLE}`).toEqual([]);
  });
});
