// Integration: separate processes (like `pathhelm backend` and `pathhelm serve` started together) racing to
// create the gateway token agree on one token. Uses the built dist/ (npm test builds first).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const STATE = fileURLToPath(new URL('../../../dist/config/state.js', import.meta.url));
const VALIDATE = fileURLToPath(new URL('../../../dist/config/validate.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ph-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function racer(db: string, startAt: number): Promise<{ token: string; source: string }> {
  const script = `
    const { resolveGatewayToken } = await import(${JSON.stringify(STATE)});
    const { validateConfig } = await import(${JSON.stringify(VALIDATE)});
    const config = validateConfig({ db: ${JSON.stringify(db)} }, 'race');
    while (Date.now() < ${startAt}) {}
    const r = resolveGatewayToken(config, {});
    process.stdout.write(JSON.stringify({ token: r.token, source: r.source }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`racer exited ${code}: ${err}`))));
  });
}

it('8 processes creating the token at the same moment all get the same one', async () => {
  expect(existsSync(STATE), 'run `npm run build` first').toBe(true);
  for (let round = 0; round < 2; round++) {
    const db = join(dir, `round${round}`, 'ph.db');
    const startAt = Date.now() + 500;
    const results = await Promise.all(Array.from({ length: 8 }, () => racer(db, startAt)));
    const tokens = new Set(results.map((r) => r.token));
    expect(tokens.size).toBe(1);
    expect(results.filter((r) => r.source === 'generated')).toHaveLength(1);
    expect(results.filter((r) => r.source === 'state-file')).toHaveLength(7);
    expect(readdirSync(join(dir, `round${round}`))).toEqual(['gateway-token']);
  }
});
