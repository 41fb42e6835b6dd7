// Tests the live per-client tracker: creation, cap with LRU-ish eviction, window reuse.
import { describe, expect, it } from 'vitest';
import { BehaviourTracker } from '../../../src/behaviour/tracker.js';

const ev = (t: number) => ({ t, method: 'GET', path: '/a', status: 200, decision: 'ALLOW' as const });

describe('BehaviourTracker', () => {
  it('creates one state per client and returns the same one again', () => {
    const tr = new BehaviourTracker({ windowMs: 60_000, maxClients: 10 });
    const a = tr.get('a', 0);
    a.window.push(ev(0));
    expect(tr.get('a', 1)).toBe(a);
    expect(tr.get('a', 1).window.size).toBe(1);
    expect(tr.size).toBe(1);
    expect(tr.peek('b')).toBeUndefined();
  });

  it('never holds more than maxClients and evicts the least recently seen client', () => {
    const tr = new BehaviourTracker({ windowMs: 8_000, maxClients: 3 });
    tr.get('a', 0);
    tr.get('b', 0);
    tr.get('c', 0);
    tr.get('a', 5_000); // touched after windowMs/8 → moves to the recent end
    tr.get('d', 5_001);
    expect(tr.size).toBe(3);
    expect(tr.peek('b')).toBeUndefined();
    expect(tr.peek('a')).toBeDefined();
    expect(tr.evictions).toBe(1);
    for (let i = 0; i < 1000; i++) tr.get(`x${i}`, 6_000 + i);
    expect(tr.size).toBe(3);
  });

  it('reuses the evicted window, emptied, for the new client', () => {
    const tr = new BehaviourTracker({ windowMs: 60_000, maxClients: 1 });
    const a = tr.get('a', 0);
    a.window.push(ev(0));
    a.consecutive = 2;
    const b = tr.get('b', 1);
    expect(b.window).toBe(a.window);
    expect(b.window.size).toBe(0);
    expect(b.consecutive).toBe(0);
    expect(b.id).toBe('b');
  });

  it('forgets a client on delete', () => {
    const tr = new BehaviourTracker({ windowMs: 60_000, maxClients: 5 });
    tr.get('a', 0).window.push(ev(0));
    expect(tr.delete('a')).toBe(true);
    expect(tr.get('a', 1).window.size).toBe(0);
  });
});
