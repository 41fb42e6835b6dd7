// Owns the live model of `serve`: loading it at start (a clear error when missing or bad), hot reload when the
// file changes (fs.watch on its directory, so editors' and `mv`'s atomic replaces are seen) or on demand
// (SIGHUP → reloadModels()), refusing a bad new file and keeping the old one, and swapping atomically.
//
// Example:
//   const holder = new ModelHolder('models/default.json', { blockThreshold: null, flagThreshold: null }, loadModel);
//   holder.load();                 // throws PH_ERR_MODEL naming the file and the problem
//   holder.watch();                // reload on change; holder.scorer is swapped in one assignment
//   onModelEvent((e) => console.error(e.message));
//
// Swapping: requests read `holder.scorer` once per request, so a request is scored entirely by the old or
// entirely by the new model; parsing happens before the swap and nothing is dropped.

import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { PathHelmError } from '../errors.js';
import { BehaviourScorer, type ScorerOptions, type ScoringModel } from './scorer.js';

/** Parses a model file (the forest module's loadModel + feature check). Sync; throws PH_ERR_MODEL. */
export type ModelLoader = (path: string, text?: string) => ScoringModel;

export interface ModelEvent {
  kind: 'loaded' | 'reloaded' | 'refused';
  path: string;
  message: string;
  at: number;
}

type Listener = (e: ModelEvent) => void;
const listeners = new Set<Listener>();
const holders = new Set<ModelHolder>();

/** Subscribes to load/reload/refusal events of every live model holder (serve prints them). Returns unsubscribe. */
export function onModelEvent(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Reloads every live model holder (what `serve` does on SIGHUP). Resolves when all attempts finished. */
export async function reloadModels(): Promise<void> {
  await Promise.all([...holders].map((h) => h.reload('SIGHUP')));
}

function emit(e: ModelEvent): void {
  for (const fn of listeners) {
    try {
      fn(e);
    } catch {
      // a listener's failure must not break reloading
    }
  }
}

export class ModelHolder {
  readonly path: string;
  /** The scorer requests use; replaced in one assignment on a successful reload. */
  scorer: BehaviourScorer | null = null;
  /** Reloads that succeeded / were refused. */
  reloads = 0;
  refusals = 0;
  lastError: string | null = null;
  private readonly opts: ScorerOptions;
  private readonly loader: ModelLoader;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private pending: Promise<void> | null = null;
  private again = false;

  constructor(path: string, opts: ScorerOptions, loader: ModelLoader) {
    this.path = resolve(path);
    this.opts = opts;
    this.loader = loader;
  }

  /** Loads the model synchronously (start-up). Throws PH_ERR_MODEL with the file name on any problem. */
  load(): BehaviourScorer {
    const scorer = this.parse(undefined);
    this.scorer = scorer;
    holders.add(this);
    emit({ kind: 'loaded', path: this.path, message: `model ${this.path} loaded (block at ${scorer.blockThreshold.toFixed(4)}, flag at ${scorer.flagThreshold.toFixed(4)})`, at: Date.now() });
    return scorer;
  }

  private parse(text: string | undefined): BehaviourScorer {
    let model: ScoringModel;
    try {
      model = this.loader(this.path, text);
    } catch (err) {
      if (err instanceof PathHelmError) {
        throw new PathHelmError('PH_ERR_MODEL', err.message.includes(this.path) ? err.message : `${this.path}: ${err.message}`, { cause: err });
      }
      const why = err instanceof Error ? err.message : String(err);
      throw new PathHelmError('PH_ERR_MODEL', `cannot load the model ${this.path}: ${why}`, { cause: err });
    }
    return new BehaviourScorer(model, this.opts);
  }

  /**
   * Re-reads and parses the file, then swaps. A bad file is refused (the old model stays) and reported.
   * Concurrent calls coalesce. Resolves to true when the new model is in use.
   */
  reload(trigger = 'change'): Promise<void> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = (async () => {
      do {
        this.again = false;
        let text: string;
        try {
          text = await readFile(this.path, 'utf8');
          const next = this.parse(text);
          this.scorer = next; // the atomic swap
          this.reloads++;
          this.lastError = null;
          emit({ kind: 'reloaded', path: this.path, message: `model ${this.path} reloaded (${trigger}; block at ${next.blockThreshold.toFixed(4)}, flag at ${next.flagThreshold.toFixed(4)})`, at: Date.now() });
        } catch (err) {
          this.refusals++;
          const why = err instanceof Error ? err.message : String(err);
          this.lastError = why;
          emit({ kind: 'refused', path: this.path, message: `model reload refused (${trigger}), keeping the previous model: ${why}`, at: Date.now() });
        }
      } while (this.again);
    })().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Watches the model's directory and reloads (debounced by `debounceMs`) when the file changes. */
  watch(debounceMs = 150): void {
    if (this.watcher) return;
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file !== null && file !== undefined && String(file) !== name) return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.debounce = null;
          void this.reload('file changed');
        }, debounceMs);
        this.debounce.unref();
      });
      this.watcher.on('error', () => this.unwatch());
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.lastError = `cannot watch ${this.path}: ${why}`;
    }
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
  }

  /** Stops watching and leaves the SIGHUP set. */
  close(): void {
    this.unwatch();
    holders.delete(this);
  }
}
