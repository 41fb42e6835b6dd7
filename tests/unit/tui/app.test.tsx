// Component frames of the live view (ink-testing-library) over a real read-only decision log:
// header, table and feed; rows arriving; keys (pause, filter input, sort, tab, enter → detail, esc, help).
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { TopApp } from '../../../src/tui/App.js';
import { Frame } from '../../../src/tui/Frame.js';
import { TopModel } from '../../../src/tui/model.js';
import { DbSource } from '../../../src/tui/source.js';
import { insertDecisions, tempDb } from './fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(frame: () => string | undefined, pred: (f: string) => boolean, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const f = frame() ?? '';
    if (pred(f)) return f;
    await sleep(20);
  }
  throw new Error(`frame never matched; last frame:\n${frame()}`);
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function setup() {
  const { db, file } = tempDb();
  insertDecisions(db, [
    { clientIp: '10.0.0.1', path: '/api/one' },
    { clientIp: '10.0.0.1', path: '/api/two' },
    { clientIp: '203.0.113.9', path: '/wp-login.php', decision: 'BLOCK', reason: 'anomaly', status: 403, score: 0.95,
      features: JSON.stringify({ rps: 30 }), explain: JSON.stringify([{ feature: 'rps', value: 30, sd: 9, attribution: 0.5 }]) },
  ]);
  const source = new DbSource(file);
  const model = new TopModel();
  await source.init(model, Date.now());
  const app = render(
    <TopApp
      source={source}
      model={model}
      meta={{ source: `db ${file}`, model: null, uptimeMs: null }}
      modelSummary={{ summary: null, note: 'no model configured' }}
      intervalMs={50}
      color={false}
      size={{ width: 80, height: 24 }}
    />,
  );
  cleanups.push(() => {
    app.unmount();
    source.close();
  });
  await sleep(150); // Ink attaches its stdin listener in an effect after the first frame
  return { db, app, frame: () => app.lastFrame() };
}

describe('TopApp', () => {
  it('renders header, clients and feed in 80x24, and new rows as they are written', async () => {
    const { db, frame } = await setup();
    const f = await waitFor(frame, (t) => t.includes('/wp-login.php'));
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
    expect(f).toMatch(/ALLOW 2\s+THROTTLE 0\s+BLOCK 1/);
    expect(f).toMatch(/CLIENTS \(2\)/);
    expect(f).toMatch(/10\.0\.0\.1\s+-\s+2\s+0%\s+0%/);
    insertDecisions(db, [{ clientIp: '10.7.7.7', path: '/api/fresh' }]);
    const g = await waitFor(frame, (t) => t.includes('/api/fresh'));
    expect(g).toMatch(/ALLOW 3/);
  });

  it('p pauses (new rows wait) and resumes', async () => {
    const { db, app, frame } = await setup();
    await waitFor(frame, (t) => t.includes('/wp-login.php'));
    app.stdin.write('p');
    await waitFor(frame, (t) => t.includes('PAUSED'));
    insertDecisions(db, [{ clientIp: '10.7.7.7', path: '/api/paused' }]);
    await sleep(300);
    expect(frame()).not.toContain('/api/paused');
    app.stdin.write(' ');
    await waitFor(frame, (t) => t.includes('/api/paused') && !t.includes('PAUSED'));
  });

  it('/ opens the filter input; enter applies it; esc clears it', async () => {
    const { app, frame } = await setup();
    await waitFor(frame, (t) => t.includes('/wp-login.php'));
    app.stdin.write('/');
    await waitFor(frame, (t) => t.includes('enter apply'));
    for (const ch of 'block') app.stdin.write(ch);
    await waitFor(frame, (t) => t.includes('/block▏'));
    app.stdin.write('\r');
    const f = await waitFor(frame, (t) => t.includes('filter: block'));
    const feed = f.slice(f.indexOf('FEED'));
    expect(feed).toContain('/wp-login.php');
    expect(feed).not.toContain('/api/one');
    expect(f).toMatch(/CLIENTS \(1\)/);
    app.stdin.write('\u001B');
    await waitFor(frame, (t) => !t.includes('filter: block') && t.includes('/api/one'));
  });

  it('s cycles the sort; tab + enter opens the feed row\'s client detail; esc goes back', async () => {
    const { app, frame } = await setup();
    await waitFor(frame, (t) => t.includes('/wp-login.php'));
    app.stdin.write('s');
    const sorted = await waitFor(frame, (t) => t.includes('sort: blocked'));
    const table = sorted.slice(sorted.indexOf('CLIENTS'), sorted.indexOf('FEED'));
    expect(table.indexOf('203.0.113.9')).toBeLessThan(table.indexOf('10.0.0.1'));
    app.stdin.write('\t'); // feed pane; the newest row (the BLOCK) is selected
    await sleep(50);
    app.stdin.write('\r');
    const d = await waitFor(frame, (t) => t.includes('CLIENT 203.0.113.9') && t.includes('RECENT REQUESTS') && t.includes('anomaly ×1'));
    expect(d).toContain('top features: rps=30 (+9.0 sd)');
    expect(d).toContain('no model configured');
    app.stdin.write('\u001B');
    await waitFor(frame, (t) => t.includes('FEED') && t.includes('CLIENTS'));
  });

  it('enter on the clients table opens the selected client; ? shows help', async () => {
    const { app, frame } = await setup();
    await waitFor(frame, (t) => t.includes('/wp-login.php'));
    app.stdin.write('\r'); // busiest client first
    await waitFor(frame, (t) => t.includes('CLIENT 10.0.0.1') && t.includes('never throttled or blocked'));
    app.stdin.write('?');
    const h = await waitFor(frame, (t) => t.includes('HELP'));
    expect(h).toContain('pause / resume');
    app.stdin.write('\u001B');
    await waitFor(frame, (t) => t.includes('CLIENT 10.0.0.1'));
  });
});

describe('Frame', () => {
  it('keeps one row per line and renders no colour escapes when colour is off (NO_COLOR)', () => {
    const { lastFrame } = render(
      <Frame color={false} lines={[[{ text: 'ALLOW', color: 'green' }, { text: ' ok' }], [], [{ text: 'BLOCK', color: 'red', bold: true }]]} />,
    );
    const f = lastFrame()!;
    expect(f.split('\n')).toHaveLength(3);
    expect(f).not.toMatch(/\x1b\[3\dm/);
    expect(f.replace(/\x1b\[[0-9;]*m/g, '')).toBe('ALLOW ok\n\nBLOCK');
  });
});
