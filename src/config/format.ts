// Owns rendering a (masked) configuration for people: a small YAML emitter for `pathhelm config`.
//
// Example:
//   process.stdout.write(toYaml(maskSecrets(config)));
//   // port: 8000
//   // rateLimit:
//   //   ip:
//   //     - limit: 100
//   //       windowMs: 1000  # 1s

import { formatDuration } from './parse.js';

const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./@:+-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return PLAIN.test(v) && !RESERVED.test(v) && !v.includes(': ') ? v : JSON.stringify(v);
  return String(v);
}

/** A human reading of durations and sizes as a trailing comment: `upstreamTimeoutMs: 30000  # 30s`. */
function hint(key: string, v: unknown): string {
  if (typeof v !== 'number') return '';
  if (key.endsWith('Ms') && v >= 1000) return `  # ${formatDuration(v)}`;
  if (key.endsWith('Bytes') && v >= 1024) return `  # ${formatSize(v)}`;
  return '';
}

function formatSize(bytes: number): string {
  for (const [unit, size] of [['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes >= size && bytes % (size / 8) === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** YAML text for plain data (objects, arrays, strings, numbers, booleans, null). */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`;
    let out = '';
    for (const item of value) {
      if (isObject(item) && Object.keys(item).length > 0) {
        const body = toYaml(item, indent + 2);
        out += `${pad}- ${body.slice(indent + 2)}`;
      } else out += `${pad}- ${scalar(item)}\n`;
    }
    return out;
  }
  if (isObject(value)) {
    let out = '';
    for (const [k, v] of Object.entries(value)) {
      if (Array.isArray(v)) out += v.length === 0 ? `${pad}${k}: []\n` : `${pad}${k}:\n${toYaml(v, indent + 2)}`;
      else if (isObject(v)) out += Object.keys(v).length === 0 ? `${pad}${k}: {}\n` : `${pad}${k}:\n${toYaml(v, indent + 2)}`;
      else out += `${pad}${k}: ${scalar(v)}${hint(k, v)}\n`;
    }
    return out;
  }
  return `${pad}${scalar(value)}\n`;
}
