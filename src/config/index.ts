// Owns the public surface of src/config: import configuration helpers from here.
//
// Example:
//   import { loadConfig, resolveGatewayToken, parseRate } from '../config/index.js';
//   const config = await loadConfig({ configFile: opts.config, overrides: { port: 8080 } });

export * from './types.js';
export { loadConfig, validateConfig, maskSecrets, configSource, secretSource, SEARCH_PLACES, ENV_VARS, MASK, type DeepPartial, type LoadOptions, type LoadMeta, type SecretSource } from './load.js';
export { stateDir, gatewayTokenFile, resolveGatewayToken, describeGatewayToken, GATEWAY_TOKEN_FILE, GATEWAY_TOKEN_ENV, type GatewayTokenSource, type ResolvedGatewayToken } from './state.js';
export { parseDuration, parseSize, parseRate, parseIp, parseCidr, formatIp, formatDuration, tryParseDuration, tryParseSize, tryParseRate, type ParsedCidr } from './parse.js';
export { deepFreeze, levenshtein, suggest, KEY_ID_RE } from './validate.js';
