// Owns the `pathhelm bans` command (placeholder until its issue lands).
import type { Command } from 'commander';
import { PathHelmError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('bans')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() => {
      throw new PathHelmError('PH_ERR_USAGE', '`pathhelm bans` is not built yet');
    });
}
