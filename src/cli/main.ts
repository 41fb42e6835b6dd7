// Owns the `pathhelm` program: registers every command and maps errors to messages and exit codes.
//
// Example:
//   $ pathhelm serve --demo
//   $ pathhelm keys add mobile-app --rate 50/1s

import { Command, CommanderError } from 'commander';
import { isPathHelmError } from '../errors.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('pathhelm')
    .description('A security gateway for HTTP APIs: rules, rate limits and an explainable Isolation Forest.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

/** Prints one clear line for a failure and returns the exit code to use. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed help/version/usage errors.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isPathHelmError(err)) {
    process.stderr.write(`pathhelm: ${err.message} [${err.code}]\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`pathhelm: unexpected error: ${message}\n`);
  return 1;
}

/**
 * A reader that went away (`pathhelm report | head`, a supervisor that closed the log pipe) is not a failure: EPIPE on
 * stdout/stderr is ignored, so `serve` keeps forwarding and a short command ends normally. Other stream errors
 * still surface.
 */
function ignoreClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
ignoreClosedReader(process.stdout);
ignoreClosedReader(process.stderr);

const code = await main();
if (code !== 0) process.exitCode = code;
