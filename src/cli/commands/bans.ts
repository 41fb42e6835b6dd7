// Owns the `pathhelm bans` command: list standing bans, lift one (a running `serve` sees it within ~1 s).
//
// Example:
//   $ pathhelm bans list
//   $ pathhelm bans list --json --all
//   $ pathhelm bans lift 127.0.0.9
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { banTable, formatTable, liftBanInDb, listBansInDb } from '../../behaviour/bans-cli.js';

interface Common {
  db?: string;
  config?: string;
}

export function register(program: Command): void {
  const bans = program.command('bans').description('show and lift temporary bans of anomalous clients');
  bans
    .command('list')
    .description('standing bans (client, reason, offence number, time left, the features that drove it)')
    .option('--json', 'print JSON')
    .option('--all', 'include expired and lifted bans (history)')
    .option('--db <file>', 'SQLite decision log (default: config `db`)')
    .option('--config <file>', 'config file (default: search the current directory)')
    .action(async (opts: Common & { json?: boolean; all?: boolean }) => {
      const config = await loadConfig({ configFile: opts.config, overrides: { db: opts.db } });
      const now = Date.now();
      const list = listBansInDb(config.db, { all: opts.all, now });
      if (opts.json) {
        process.stdout.write(JSON.stringify(list.map((b) => ({ ...b, detail: b.detail ? (JSON.parse(b.detail) as unknown) : null })), null, 2) + '\n');
        return;
      }
      if (list.length === 0) {
        process.stdout.write(opts.all ? 'no bans recorded\n' : 'no standing bans\n');
        return;
      }
      process.stdout.write(formatTable(banTable(list, now)));
    });
  bans
    .command('lift')
    .description('lift the standing ban of CLIENT (a key id or a client address)')
    .argument('<client>', 'client id as shown by `bans list`')
    .option('--db <file>', 'SQLite decision log (default: config `db`)')
    .option('--config <file>', 'config file (default: search the current directory)')
    .action(async (client: string, opts: Common) => {
      const config = await loadConfig({ configFile: opts.config, overrides: { db: opts.db } });
      liftBanInDb(config.db, client);
      process.stdout.write(`lifted the ban of ${client} (a running gateway applies it within about a second)\n`);
    });
}
