// Tests bans: escalation, expiry, lifting, the ban pass, and persistence through the SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BanManager, banPass } from '../../../src/policy/bans.js';
import { BanStore, liftBan, listBans } from '../../../src/policy/bans-store.js';
import { openDb, type Db } from '../../../src/telemetry/db.js';
import type { RequestContext } from '../../../src/gateway/pipeline.js';

const MIN = 60_000;

function ctx(clientId: string, now: number, allowListed = false): RequestContext {
  return { clientId, now, allowListed } as unknown as RequestContext;
}

describe('BanManager', () => {
  it('bans for baseMs, then doubles per repeat offence up to maxMs', () => {
    const b = new BanManager({ baseMs: 5 * MIN, maxMs: 30 * MIN });
    let now = 0;
    const durations: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ban = b.ban('1.2.3.4', 'anomaly', now);
      durations.push(ban.expires - ban.created);
      expect(b.check('1.2.3.4', ban.expires - 1)).toBe(ban);
      expect(b.check('1.2.3.4', ban.expires)).toBeUndefined();
      now = ban.expires + MIN; // offends again a minute after the ban ended
    }
    expect(durations).toEqual([5, 10, 20, 30, 30].map((m) => m * MIN));
  });

  it('starts again at baseMs when the last ban ended more than maxMs ago, or was lifted', () => {
    const b = new BanManager({ baseMs: 5 * MIN, maxMs: 30 * MIN });
    const first = b.ban('c', 'anomaly', 0);
    const second = b.ban('c', 'anomaly', first.expires + 31 * MIN);
    expect(second.offences).toBe(1);
    b.lift('c', second.created + 1);
    const third = b.ban('c', 'anomaly', second.created + 2);
    expect(third.offences).toBe(1);
    expect(third.expires - third.created).toBe(5 * MIN);
  });

  it('lifts a standing ban and reports nothing to lift otherwise', () => {
    const b = new BanManager({ baseMs: MIN, maxMs: 10 * MIN });
    b.ban('c', 'anomaly', 0);
    expect(b.list(1).map((x) => x.clientId)).toEqual(['c']);
    expect(b.lift('c', 1)?.lifted).toBe(1);
    expect(b.check('c', 2)).toBeUndefined();
    expect(b.lift('c', 3)).toBeUndefined();
    expect(b.list(4)).toEqual([]);
  });

  it('keeps at most maxEntries clients of history', () => {
    const b = new BanManager({ baseMs: MIN, maxMs: 10 * MIN, maxEntries: 100 });
    for (let i = 0; i < 1000; i++) b.ban(`c${i}`, 'anomaly', i);
    expect(b.size).toBeLessThanOrEqual(100);
    expect(b.check('c999', 1000)).toBeDefined();
  });
});

describe('ban pass', () => {
  it('refuses a banned client with 403 banned and Retry-After, never an allow-listed one', () => {
    const b = new BanManager({ baseMs: 5 * MIN, maxMs: 30 * MIN });
    const pass = banPass(b);
    expect(pass.run(ctx('c', 0))).toBeUndefined();
    b.ban('c', 'anomaly', 0);
    const v = pass.run(ctx('c', 1000));
    expect(v).toMatchObject({ decision: 'BLOCK', status: 403, reason: 'banned' });
    expect(v?.headers).toEqual([['retry-after', '299']]);
    expect(pass.run(ctx('c', 1000, true))).toBeUndefined();
    expect(pass.run(ctx('other', 1000))).toBeUndefined();
  });
});

describe('BanStore', () => {
  let dir: string;
  const dbs: Db[] = [];
  afterEach(() => {
    for (const d of dbs.splice(0)) d.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  function open(): Db {
    const d = openDb(join(dir, 'ph.db'));
    dbs.push(d);
    return d;
  }

  it('persists bans off the request path and reloads them (with escalation history) after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-bans-'));
    const db = open();
    const store = new BanStore(db);
    const b1 = new BanManager({ baseMs: 5 * MIN, maxMs: 60 * MIN, sink: store });
    const now = Date.now();
    b1.ban('a', 'anomaly', now, '[{"feature":"rps"}]');
    expect(listBans(db, now)).toHaveLength(0); // not written synchronously
    await new Promise((r) => setImmediate(r));
    expect(listBans(db, now + 1)).toMatchObject([{ clientId: 'a', reason: 'anomaly', offences: 1, detail: '[{"feature":"rps"}]' }]);

    // restart: a new manager sees the standing ban, and the next offence escalates
    const b2 = new BanManager({ baseMs: 5 * MIN, maxMs: 60 * MIN, sink: new BanStore(db) });
    expect(new BanStore(db).loadInto(b2, now + 1000)).toBe(1);
    expect(b2.check('a', now + 1000)).toBeDefined();
    const again = b2.ban('a', 'anomaly', now + 6 * MIN);
    expect(again.offences).toBe(2);
    expect(again.expires - again.created).toBe(10 * MIN);
  });

  it('sees a lift written by another process on the next poll', () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-bans-'));
    const db = open();
    const store = new BanStore(db);
    const bans = new BanManager({ baseMs: 5 * MIN, maxMs: 60 * MIN, sink: store });
    const now = Date.now();
    bans.ban('a', 'anomaly', now);
    store.flush();
    store.loadInto(bans, now);
    expect(store.poll(bans, now)).toEqual([]); // nothing new

    const cli = open(); // `pathhelm bans lift a` in another process
    expect(liftBan(cli, 'a', now + 10)).toBe(1);
    expect(liftBan(cli, 'a', now + 11)).toBe(0);
    const changed = store.poll(bans, now + 20);
    expect(changed.map((b) => [b.clientId, b.lifted])).toEqual([['a', now + 10]]);
    expect(bans.check('a', now + 20)).toBeUndefined();
    expect(listBans(cli, now + 20)).toEqual([]);
    expect(listBans(cli, now + 20, { all: true })).toHaveLength(1);
  });
});
