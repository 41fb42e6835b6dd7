// Tests simulate's planning and argument checks (the traffic itself is covered by tests/e2e/behaviour.test.ts).
import { describe, expect, it } from 'vitest';
import { attackerProfiles, clientAddress, planClients, simulate } from '../../../src/sim/simulate.js';

describe('simulate', () => {
  it('gives every client its own 127.x.y.z address, ordinary clients and attackers in separate ranges', () => {
    const plans = planClients({ target: 'http://127.0.0.1:1', durationMs: 30_000, clients: 300, attackers: ['scraper', 'scanner'], keys: [] });
    const ips = plans.map((p) => p.ip);
    expect(new Set(ips).size).toBe(302);
    expect(ips[0]).toBe('127.1.0.1');
    expect(ips[299]).toBe('127.1.1.50');
    expect(plans.filter((p) => p.kind === 'attacker').map((p) => p.ip)).toEqual([clientAddress(2, 0), clientAddress(2, 1)]);
  });

  it('is deterministic for a seed and hands out keys round-robin, ordinary clients first', () => {
    const o = { target: 'http://127.0.0.1:1', durationMs: 30_000, clients: 3, attackers: ['burst'], keys: ['k1', 'k2'], seed: 5 };
    const a = planClients(o);
    const b = planClients(o);
    expect(a.map((p) => [p.profile.name, p.requests.length])).toEqual(b.map((p) => [p.profile.name, p.requests.length]));
    expect(a.map((p) => p.keyIndex)).toEqual([0, 1, 0, 1]);
  });

  it('picks attacker sessions busy enough to be judged within the duration', () => {
    const plans = planClients({ target: 'http://127.0.0.1:1', durationMs: 30_000, clients: 0, attackers: ['scraper', 'stuffing', 'burst', 'scanner'], keys: [] });
    for (const p of plans) expect(p.requests.filter((r) => r.at < 30_000).length).toBeGreaterThanOrEqual(40);
  });

  it('gives the slow bot a session it can be judged in within 45 s (26 requests: the regular-crawl rule refuses the 26th)', () => {
    for (let seed = 0; seed < 100; seed++) {
      const p = planClients({ target: 'http://127.0.0.1:1', durationMs: 45_000, clients: 8, attackers: ['slow-bot'], keys: [], seed })[8];
      expect(p.profile.name).toBe('slow_bot');
      expect(p.requests.filter((r) => p.staggerMs + r.at < 45_000).length, `seed ${seed}`).toBeGreaterThanOrEqual(26);
    }
  });

  it('maps attacker aliases and refuses unknown ones', () => {
    expect(attackerProfiles(['stuffing', 'slow-bot']).map((p) => p.name)).toEqual(['credential_stuffer', 'slow_bot']);
    expect(() => attackerProfiles(['ddos'])).toThrow(/unknown attacker "ddos"/);
  });

  it('only drives loopback IPv4 targets', async () => {
    await expect(simulate({ target: 'http://example.com', durationMs: 1000, clients: 1, attackers: [], keys: [] })).rejects.toThrow(/loopback/);
    await expect(simulate({ target: 'not a url', durationMs: 1000, clients: 1, attackers: [], keys: [] })).rejects.toThrow(/--target/);
  });
});
