// Owns the version string, read once from package.json.
//
// Example: import { VERSION } from './version.js'; // '0.1.0'
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION: string = pkg.version;
