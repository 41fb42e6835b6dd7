// Owns the parsers for human-friendly config and flag values: durations, byte sizes, rate windows, IPs and CIDRs.
//
// Example:
//   parseDuration('30d');   // 2_592_000_000 (ms)
//   parseSize('16kb');      // 16_384 (bytes, binary units)
//   parseRate('50/1s');     // { limit: 50, windowMs: 1000 }
//   parseCidr('10.0.0.0/8') // { family: 4, bytes: Uint8Array[10,0,0,0], prefix: 8 }
//
// The throwing parsers raise PathHelmError (PH_ERR_USAGE by default, so `keys add --rate 5/x` maps to a
// usage error); the `try*` variants return undefined instead and are what config validation uses.

import { isIPv4, isIPv6 } from 'node:net';
import { PathHelmError, type ErrorCode } from '../errors.js';
import type { RateWindow } from './types.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i;
const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i;

export const DURATION_HINT = 'a number of milliseconds or a string like "500ms", "10s", "5m", "1h", "1d"';
export const SIZE_HINT = 'a number of bytes or a string like "512b", "16kb", "10mb", "1gb" (1kb = 1024 bytes)';
export const RATE_HINT = 'a string like "100/1s", "3000/10m" (requests/duration) or { limit, windowMs }';

/** Duration in ms, or undefined when `input` is not a duration. Numbers pass through (negative included). */
export function tryParseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = DURATION_RE.exec(input);
  if (!m) return undefined;
  const unit = m[2] === undefined ? 1 : DURATION_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/** Size in bytes, or undefined when `input` is not a size. */
export function tryParseSize(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = SIZE_RE.exec(input);
  if (!m) return undefined;
  const unit = m[2] === undefined ? 1 : SIZE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/**
 * Rate window from "LIMIT/DURATION" ("100/1s", "50/s", "3000/10m"); undefined when malformed.
 * A bare unit after the slash means one of it ("50/s" = 50 per second).
 */
export function tryParseRate(input: unknown): RateWindow | undefined {
  if (typeof input !== 'string') return undefined;
  const slash = input.indexOf('/');
  if (slash < 0) return undefined;
  const limitText = input.slice(0, slash).trim();
  if (!/^\d+$/.test(limitText)) return undefined;
  let durText = input.slice(slash + 1).trim();
  if (/^[a-z]+$/i.test(durText)) durText = `1${durText}`;
  const windowMs = tryParseDuration(durText);
  if (windowMs === undefined) return undefined;
  return { limit: Number(limitText), windowMs };
}

/** Parses a duration; throws PathHelmError naming `what` when malformed or not > 0. Example: parseDuration('30d'). */
export function parseDuration(input: string | number, what = 'duration', code: ErrorCode = 'PH_ERR_USAGE'): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) throw new PathHelmError(code, `${what} must be ${DURATION_HINT}, got ${show(input)}`);
  if (!(ms > 0)) throw new PathHelmError(code, `${what} must be > 0 ms, got ${show(input)}`);
  return ms;
}

/** Parses a byte size; throws PathHelmError naming `what` when malformed or negative. Example: parseSize('10mb'). */
export function parseSize(input: string | number, what = 'size', code: ErrorCode = 'PH_ERR_USAGE'): number {
  const bytes = tryParseSize(input);
  if (bytes === undefined) throw new PathHelmError(code, `${what} must be ${SIZE_HINT}, got ${show(input)}`);
  if (!(bytes >= 0) || !Number.isInteger(bytes)) {
    throw new PathHelmError(code, `${what} must be a whole number of bytes >= 0, got ${show(input)}`);
  }
  return bytes;
}

/** Parses "LIMIT/DURATION"; throws PathHelmError naming `what` when malformed. Example: parseRate('50/1s'). */
export function parseRate(input: string, what = 'rate', code: ErrorCode = 'PH_ERR_USAGE'): RateWindow {
  const rate = tryParseRate(input);
  if (rate === undefined) throw new PathHelmError(code, `${what} must be ${RATE_HINT}, got ${show(input)}`);
  if (!(rate.limit >= 1)) throw new PathHelmError(code, `${what} limit must be >= 1 request, got ${show(input)}`);
  if (!(rate.windowMs > 0)) throw new PathHelmError(code, `${what} window must be > 0 ms, got ${show(input)}`);
  return rate;
}

/** Formats a duration for humans: 1500 → "1.5s", 600000 → "10m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % (size / 10) === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

// ---------------------------------------------------------------- IP addresses and CIDRs

export interface ParsedCidr {
  family: 4 | 6;
  /** Network address bytes (4 or 16). */
  bytes: Uint8Array;
  /** Prefix length (32/128 for a single address). */
  prefix: number;
}

/** Address bytes (4 or 16) of a literal IPv4/IPv6 address (no zone id), or undefined. */
export function parseIp(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return Uint8Array.from(text.split('.'), Number);
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    // Embedded IPv4 ("::ffff:1.2.3.4"): rewrite its four bytes as two hex groups.
    const v4 = text.slice(lastColon + 1).split('.').map(Number);
    head = `${text.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const out = new Uint8Array(16);
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...new Array<string>(8 - l.length - r.length).fill('0'), ...r];
  if (groups.length !== 8) return undefined;
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i], 16);
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  return out;
}

/**
 * A CIDR ("10.0.0.0/8", "2001:db8::/32") or a single address (prefix 32/128).
 * Returns an error string (with a fix) instead of throwing, for config messages.
 */
export function parseCidr(text: string): ParsedCidr | string {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIp(addrText);
  if (!bytes) return `is not a valid IP address or CIDR (e.g. "203.0.113.7", "10.0.0.0/8", "2001:db8::/32")`;
  const family: 4 | 6 = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, bytes, prefix: max };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return `has an invalid prefix length "/${prefixText}"; IPv${family} prefixes are /0 to /${max}`;
  }
  const prefix = Number(prefixText);
  const network = maskBytes(bytes, prefix);
  for (let i = 0; i < bytes.length; i++) {
    if (network[i] !== bytes[i]) {
      return `has host bits set after /${prefix}; did you mean "${formatIp(network)}/${prefix}"?`;
    }
  }
  return { family, bytes, prefix };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bytes[i] & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Formats 4 or 16 address bytes (IPv6 in its compressed form). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
