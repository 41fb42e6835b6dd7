// Owns running `pathhelm top`: opening the source, the one-shot snapshot (non-TTY / --json) and the
// interactive Ink session (alternate screen, synchronized redraw, clean exit).
//
// Example:
//   const ctx = await openTop({ db: '.pathhelm/pathhelm.db', model: 'models/default.json' });
//   if (!process.stdout.isTTY) process.stdout.write(snapshotText(ctx, { width: 100, height: 30 }) + '\n');
//   else await runInteractive(ctx, { intervalMs: 500, color: !process.env.NO_COLOR });

import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink';
import { PathHelmError } from '../errors.js';
import { TopApp } from './App.js';
import { INITIAL_UI, mainLines, plainText, type Meta, type Size } from './layout.js';
import { loadModelSummary, type ModelSummaryResult } from './model-summary.js';
import { TopModel } from './model.js';
import { DbSource, UrlSource, type TopSource } from './source.js';

export interface TopOptions {
  /** Decision log to read (read-only). */
  db?: string;
  /** Gateway base URL whose admin API to poll instead of the db. */
  url?: string;
  /** Model file whose training summary the client detail compares against (null: none). */
  model?: string | null;
  now?: number;
}

export interface TopContext {
  source: TopSource;
  model: TopModel;
  meta: Meta;
  modelSummary: ModelSummaryResult;
}

/** True when `NO_COLOR` asks for no colours (any non-empty value, per no-color.org). */
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

/** Opens the source and seeds the model. Throws PH_ERR_DB when the decision log is missing. */
export async function openTop(opts: TopOptions): Promise<TopContext> {
  let source: TopSource;
  if (opts.url) {
    source = new UrlSource(opts.url);
  } else {
    if (!opts.db) throw new PathHelmError('PH_ERR_USAGE', 'pass --db FILE or --url ADMIN_URL');
    if (!existsSync(opts.db)) {
      throw new PathHelmError('PH_ERR_DB', `no decision log at ${opts.db}: start \`pathhelm serve\` first, or pass --db FILE`);
    }
    source = new DbSource(opts.db);
  }
  const model = new TopModel();
  try {
    await source.init(model, opts.now ?? Date.now());
  } catch (err) {
    source.close();
    throw err;
  }
  const modelPath = opts.model ?? null;
  const modelSummary = await loadModelSummary(modelPath);
  const meta: Meta = {
    source: source.label,
    model: modelPath && existsSync(modelPath) ? basename(modelPath) : null,
    uptimeMs: null,
  };
  return { source, model, meta, modelSummary };
}

/** The main screen as plain text (what a non-TTY `top` prints once). */
export function snapshotText(ctx: TopContext, size: Size, now: number = Date.now()): string {
  const view = ctx.model.view(now, { maxClients: 1000, maxFeed: 300 });
  const meta = { ...ctx.meta, uptimeMs: ctx.source.uptimeMs(now), model: ctx.source.modelLabel() ?? ctx.meta.model };
  const ui = { ...INITIAL_UI, pane: 'none' as const }; // no selection highlight in a snapshot
  const lines = mainLines(view, ui, meta, size, now, ctx.model.keyNames);
  return plainText(lines.slice(0, -1)); // no key hints: nothing to press
}

/** The same snapshot as data (`top --json`). */
export function snapshotJson(ctx: TopContext, now: number = Date.now()): unknown {
  const v = ctx.model.view(now, { maxClients: 20, maxFeed: 50 });
  return {
    source: ctx.source.label,
    mode: v.mode,
    model: ctx.source.modelLabel() ?? ctx.meta.model,
    uptimeMs: ctx.source.uptimeMs(now),
    firstTs: v.firstTs,
    lastId: v.lastId,
    /** Counts cover the decisions since countsSinceTs (the last SEED_ROWS rows at start, then every new one). */
    countsSinceTs: v.countsSinceTs,
    total: v.total,
    byDecision: v.byDecision,
    requestsPerSecond: v.rate,
    perSecond: v.perSecond.slice(-60),
    latency: { p50: v.p50, p99: v.p99 },
    topClients: v.clients,
    recent: v.feed,
  };
}

export interface InteractiveOptions {
  intervalMs: number;
  color: boolean;
}

/** Runs the live view until `q` / ctrl-c. Uses the alternate screen so the shell is restored after. */
export async function runInteractive(ctx: TopContext, opts: InteractiveOptions): Promise<void> {
  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[H');
  const restore = () => out.write('\x1b[?1049l');
  process.once('exit', restore);
  try {
    const app = render(
      createElement(TopApp, {
        source: ctx.source,
        model: ctx.model,
        meta: ctx.meta,
        modelSummary: ctx.modelSummary,
        intervalMs: opts.intervalMs,
        color: opts.color,
      }),
      {
        // Ink 6.8's incremental mode moves the cursor one row short when the frame ends with a newline
        // (our frame is height-1 rows), which smears rows. The standard mode rewrites the frame in one
        // write wrapped in synchronized-output escapes (DEC 2026), so terminals show no flicker.
        incrementalRendering: false,
        exitOnCtrlC: true,
        patchConsole: true,
        maxFps: 10,
      },
    );
    await app.waitUntilExit();
    app.cleanup();
  } finally {
    process.off('exit', restore);
    restore();
    ctx.source.close();
  }
}
