// Owns the `pathhelm config` command: prints the effective configuration (secrets masked) and its source.
//
// Example:
//   $ pathhelm config                 # YAML, with the file used and where the gateway token comes from
//   $ pathhelm config --config prod.yaml --json
import type { Command } from 'commander';
import { configSource, loadConfig, maskSecrets, SEARCH_PLACES } from '../../config/load.js';
import { toYaml } from '../../config/format.js';
import { describeGatewayToken } from '../../config/state.js';

export function register(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration (defaults < config file < env < flags), secrets masked')
    .option('--config <file>', 'load this config file instead of searching the current directory')
    .option('--json', 'print JSON: { source, gatewayToken, config }')
    .addHelpText('after', `\nSearched in the current directory, first match wins:\n  ${SEARCH_PLACES.join(', ')} (key "pathhelm")\n`)
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = await loadConfig({ configFile: opts.config });
      const source = configSource(config);
      const gatewayToken = describeGatewayToken(config);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ source, gatewayToken, config: maskSecrets(config) }, null, 2)}\n`);
        return;
      }
      const header = [
        `# source: ${source ?? 'no config file found in the current directory; embedded defaults'}`,
        `# gateway token: ${gatewayToken}`,
        '# secrets are shown as "<set>" or null',
      ];
      process.stdout.write(`${header.join('\n')}\n${toYaml(maskSecrets(config))}`);
    });
}
