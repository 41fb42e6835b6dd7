// Owns the interactive `pathhelm top` screen: the poll loop (a few times per second, skipped while
// paused), the key bindings (htop/k9s/mitmproxy style) and which view is shown. Layout lives in
// layout.ts, data in model.ts/source.ts; this file only wires them to Ink.
//
// Example:
//   render(<TopApp source={src} model={model} meta={meta} modelSummary={ms} intervalMs={500} color />,
//          { exitOnCtrlC: true });

import { useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ClientDetail } from '../telemetry/queries.js';
import { Frame } from './Frame.js';
import {
  detailLines,
  helpLines,
  INITIAL_UI,
  mainLayout,
  mainLines,
  type DetailData,
  type Meta,
  type Size,
  type UiState,
} from './layout.js';
import type { ModelSummaryResult } from './model-summary.js';
import { parseFilter, SORT_KEYS, type TopModel } from './model.js';
import type { TopSource } from './source.js';

export interface TopAppProps {
  source: TopSource;
  model: TopModel;
  meta: Meta;
  modelSummary: ModelSummaryResult;
  /** Poll/refresh period; the CLI keeps it at >= 200 ms (a few refreshes per second at most). */
  intervalMs: number;
  color: boolean;
  /** Fixed size (tests); by default the terminal's, following resizes. */
  size?: Size;
  now?: () => number;
  initialUi?: Partial<UiState>;
}

type Screen = 'main' | 'detail' | 'help';

interface Target {
  clientIp: string;
  keyId: string | null;
}

function useTerminalSize(fixed: Size | undefined): Size {
  const { stdout } = useStdout();
  const read = (): Size => fixed ?? { width: stdout.columns || 80, height: stdout.rows || 24 };
  const [size, setSize] = useState<Size>(read);
  useEffect(() => {
    if (fixed) return;
    // A terminal that shrinks pushes our rows up and Ink's first redraw (the old frame, new width) lands
    // relative to a moved cursor. We own the (alternate) screen: clear it and home the cursor so the
    // re-laid-out frame is drawn from the top row.
    const onResize = () => {
      stdout.write('\x1b[2J\x1b[H');
      setSize(read());
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

export function TopApp(props: TopAppProps) {
  const { source, model, modelSummary, intervalMs, color } = props;
  const now = props.now ?? Date.now;
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const [ui, setUi] = useState<UiState>({ ...INITIAL_UI, ...props.initialUi });
  const [screen, setScreen] = useState<Screen>('main');
  const [prevScreen, setPrevScreen] = useState<Screen>('main');
  const [target, setTarget] = useState<Target | null>(null);
  const [detail, setDetail] = useState<ClientDetail | null>(null);
  const [tick, setTick] = useState(0);

  const paused = useRef(ui.paused);
  paused.current = ui.paused;
  const targetRef = useRef<Target | null>(null);
  targetRef.current = screen === 'detail' ? target : null;

  const loadDetail = useCallback(
    async (t: Target) => {
      try {
        setDetail(await source.detail(t.clientIp, t.keyId));
      } catch (err) {
        setUi((u) => ({ ...u, message: (err as Error).message }));
      }
    },
    [source],
  );

  useEffect(() => {
    let busy = false;
    let alive = true;
    const timer = setInterval(() => {
      if (busy || paused.current) return;
      busy = true;
      void (async () => {
        try {
          await source.poll(model, now());
          const t = targetRef.current;
          if (t) await loadDetail(t);
          if (alive) setUi((u) => (u.message ? { ...u, message: null } : u));
        } catch (err) {
          if (alive) setUi((u) => ({ ...u, message: (err as Error).message }));
        } finally {
          busy = false;
          if (alive) setTick((n) => n + 1);
        }
      })();
    }, intervalMs);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [source, model, intervalMs]);

  const filter = useMemo(() => parseFilter(ui.filter), [ui.filter]);
  const view = useMemo(
    () => model.view(now(), { filter, sort: ui.sort, maxClients: 1000, maxFeed: 300 }),
    [tick, filter, ui.sort, model],
  );
  const meta: Meta = {
    ...props.meta,
    uptimeMs: source.uptimeMs(now()),
    model: source.modelLabel() ?? props.meta.model,
  };

  const { clientRows, feedRows } = mainLayout(size);
  const visibleFeed = Math.min(view.feed.length, feedRows);

  // Keys can arrive faster than React re-renders (typing, pasted text, one chunk with several keys), so
  // the handler reads and writes a live copy of the UI state instead of the last render's closure.
  const live = useRef({ ui, screen, prevScreen });
  live.current = { ui, screen, prevScreen };
  const updateUi = (f: (u: UiState) => UiState) => {
    const next = f(live.current.ui);
    live.current = { ...live.current, ui: next };
    setUi(next);
  };
  const go = (next: Screen) => {
    const prev = live.current.screen;
    if (next === 'help') {
      live.current = { ...live.current, screen: next, prevScreen: prev };
      setPrevScreen(prev);
    } else {
      live.current = { ...live.current, screen: next };
    }
    setScreen(next);
  };

  const open = (t: Target) => {
    setTarget(t);
    setDetail(null);
    go('detail');
    void loadDetail(t);
  };

  useInput((input, key) => {
    const { ui, screen, prevScreen } = live.current;
    if (ui.editing) {
      if (key.return) updateUi((u) => ({ ...u, editing: false, filter: u.draft.trim(), clientSel: 0, feedSel: 0 }));
      else if (key.escape) updateUi((u) => ({ ...u, editing: false, draft: u.filter }));
      else if (key.backspace || key.delete) updateUi((u) => ({ ...u, draft: u.draft.slice(0, -1) }));
      else if (input && !key.ctrl && !key.meta) updateUi((u) => ({ ...u, draft: u.draft + input.replace(/[\r\n\t]/g, '') }));
      return;
    }
    if (input === 'q') {
      exit();
      return;
    }
    if (input === 'p' || input === ' ') {
      updateUi((u) => ({ ...u, paused: !u.paused }));
      setTick((n) => n + 1);
      return;
    }
    if (input === '?') {
      go(screen === 'help' ? prevScreen : 'help');
      return;
    }
    if (key.escape) {
      if (screen !== 'main') go(screen === 'help' && prevScreen === 'detail' ? 'detail' : 'main');
      else if (ui.filter) updateUi((u) => ({ ...u, filter: '', draft: '' }));
      return;
    }
    if (screen !== 'main') return;
    if (input === '/') {
      updateUi((u) => ({ ...u, editing: true, draft: u.filter }));
    } else if (input === 's') {
      updateUi((u) => ({ ...u, sort: SORT_KEYS[(SORT_KEYS.indexOf(u.sort) + 1) % SORT_KEYS.length], clientSel: 0 }));
    } else if (key.tab) {
      updateUi((u) => ({ ...u, pane: u.pane === 'clients' ? 'feed' : 'clients' }));
    } else if (key.upArrow || input === 'k' || key.downArrow || input === 'j' || key.pageUp || key.pageDown) {
      const up = key.upArrow || input === 'k' || key.pageUp;
      const step = key.pageUp || key.pageDown ? (ui.pane === 'clients' ? clientRows : feedRows) : 1;
      updateUi((u) => {
        if (u.pane === 'clients') {
          const max = Math.max(0, view.clients.length - 1);
          return { ...u, clientSel: Math.max(0, Math.min(max, u.clientSel + (up ? -step : step))) };
        }
        const max = Math.max(0, visibleFeed - 1); // feedSel counts up from the newest row
        return { ...u, feedSel: Math.max(0, Math.min(max, u.feedSel + (up ? step : -step))) };
      });
    } else if (key.return) {
      if (ui.pane === 'clients') {
        const c = view.clients[Math.min(ui.clientSel, view.clients.length - 1)];
        if (c) open({ clientIp: c.clientIp, keyId: c.keyId });
      } else {
        const rows = view.feed.slice(-feedRows);
        const r = rows[rows.length - 1 - Math.min(ui.feedSel, rows.length - 1)];
        if (r) open({ clientIp: r.clientIp, keyId: r.keyId });
      }
    }
  });

  const t = now();
  const shown: UiState = ui.message ? ui : { ...ui, message: source.note?.() ?? null };
  let lines;
  if (screen === 'help') {
    lines = helpLines(shown, size);
  } else if (screen === 'detail' && target) {
    const agg = model.clientRow(target.clientIp, target.keyId);
    const data: DetailData = {
      detail: detail ?? { clientIp: target.clientIp, keyId: target.keyId, recent: [], reasons: [], latestScored: null, latestRefused: null, latestExplained: null },
      keyName: target.keyId !== null ? (model.keyNames.get(target.keyId) ?? null) : null,
      banned: agg?.banned ?? false,
      model: modelSummary.summary,
      modelNote: detail === null && source.label.startsWith('url ') ? 'client detail reads the decision log: run top with --db' : modelSummary.note,
    };
    lines = detailLines(data, agg, shown, size, t);
  } else {
    lines = mainLines(view, shown, meta, size, t, model.keyNames);
  }
  return <Frame lines={lines} color={color} />;
}
