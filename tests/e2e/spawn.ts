// Shared by the end-to-end tests: spawning the built `pathhelm` binary (serve until its ready line, simulate --json)
// and killing whatever a test left running.
//
// Example:
//   const procs = new Procs();                         // afterAll(() => procs.killAll())
//   const { child, url, out } = await startServe(['--demo', '--port', '0'], { cwd: dir, procs });
//   const r = await runSimulate(['--target', url, '--duration', '10s'], { cwd: dir, procs });
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimulateResult } from '../../src/sim/simulate.js';

export const BIN = fileURLToPath(new URL('../../bin/pathhelm.js', import.meta.url));

/** The children a test file started, killed at the end whatever happened. */
export class Procs {
  private readonly list: ChildProcess[] = [];
  add(child: ChildProcess): ChildProcess {
    this.list.push(child);
    return child;
  }
  killAll(): void {
    for (const c of this.list) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export interface SpawnOptions {
  cwd: string;
  procs?: Procs;
  env?: NodeJS.ProcessEnv;
  /** How long serve may take to print its ready line (default 20 s: a busy CI box starts node slowly). */
  readyTimeoutMs?: number;
}

export interface Served {
  child: ChildProcess;
  /** http://127.0.0.1:PORT from the ready line. */
  url: string;
  /** Everything serve printed so far (stdout and stderr). */
  out: () => string;
}

/** Spawns `pathhelm serve ARGS` and resolves once it printed `ready on http://127.0.0.1:PORT`. */
export function startServe(args: string[], opts: SpawnOptions): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.procs?.add(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not get ready: ' + out)), opts.readyTimeoutMs ?? 20_000);
    const check = () => {
      const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve({ child, url: m[1], out: () => out });
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

/** Runs `pathhelm simulate --json ARGS` to the end and parses its report. */
export function runSimulate(args: string[], opts: SpawnOptions): Promise<SimulateResult> {
  const child = spawn(process.execPath, [BIN, 'simulate', '--json', ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  opts.procs?.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as SimulateResult) : reject(new Error(`simulate exited ${code}: ${err}`))));
  });
}

/** SIGTERM, then waits until the process has exited (a no-op when it already has). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
