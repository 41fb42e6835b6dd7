// Owns IP address handling on the hot path: allocation-free IPv4/IPv6 parsing, IPv4-mapped
// normalisation, precompiled CIDR sets and IPv6 prefix grouping.
//
// Example:
//   const trusted = CidrSet.compile(['10.0.0.0/8', 'fd00::/8']);
//   trusted.has('10.1.2.3');              // true
//   normalizeIp('::ffff:1.2.3.4');        // '1.2.3.4'
//   ipv6Group('2001:db8:1:2:3:4:5:6', 64) // '2001:db8:1:2::/64'

import { PathHelmError } from '../errors.js';

/** Scratch words for the last parsed address (IPv4 in word 0; IPv6 in words 0..3, big-endian). */
const SCRATCH = new Uint32Array(4);
const HEX16 = new Uint16Array(8);

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses dotted-quad IPv4 in s[start, end) to an unsigned 32-bit number, or -1. No allocation. */
export function parseIPv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero ("01") is ambiguous (octal): reject
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/**
 * Parses IPv6 text in s[start, end) into out[0..3] (big-endian 32-bit words). Accepts `::`,
 * an embedded IPv4 tail and a zone id (`%eth0`, ignored). Returns false when malformed.
 */
export function parseIPv6(s: string, start: number, end: number, out: Uint32Array): boolean {
  const pct = s.indexOf('%', start);
  if (pct >= 0 && pct < end) end = pct;
  let n = 0; // hextets written
  let gap = -1; // index in HEX16 where '::' sits
  let i = start;
  if (end - start < 2) return false;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return true;
    }
  }
  while (i < end) {
    if (n === 8) return false;
    // Find the end of this group.
    let j = i;
    let val = 0;
    let isV4 = false;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) {
        isV4 = true;
        break;
      }
      const h = hexVal(c);
      if (h < 0 || j - i >= 4) return false;
      val = val * 16 + h;
      j++;
    }
    if (isV4) {
      if (n > 6) return false;
      const v4 = parseIPv4(s, i, end);
      if (v4 < 0) return false;
      HEX16[n++] = v4 >>> 16;
      HEX16[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (j === i) return false; // empty group
    HEX16[n++] = val;
    if (j === end) {
      i = end;
      break;
    }
    // s[j] === ':'
    if (j + 1 < end && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false; // second '::'
      gap = n;
      i = j + 2;
      if (i === end) break;
    } else {
      i = j + 1;
      if (i === end) return false; // trailing single ':'
    }
  }
  if (gap < 0 && n !== 8) return false;
  if (gap >= 0 && n > 7) return false;
  // Expand into 8 hextets, then pack into words.
  const zeros = 8 - n;
  let w = 0;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    let h: number;
    if (gap < 0) h = HEX16[k];
    else if (k < gap) h = HEX16[k];
    else if (k < gap + zeros) h = 0;
    else h = HEX16[k - zeros];
    if ((k & 1) === 0) hi = h;
    else out[w++] = ((hi << 16) | h) >>> 0;
  }
  return true;
}

/** 4 or 6 when `s` is an IP address (result in the module scratch words), else 0. */
function parseAny(s: string): 0 | 4 | 6 {
  if (s.indexOf(':') < 0) {
    const v = parseIPv4(s);
    if (v < 0) return 0;
    SCRATCH[0] = v;
    return 4;
  }
  return parseIPv6(s, 0, s.length, SCRATCH) ? 6 : 0;
}

function isMapped(w: Uint32Array): boolean {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
}

function v4ToString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * Normalises an address for identity: IPv4-mapped IPv6 (`::ffff:1.2.3.4`, any spelling) becomes
 * `1.2.3.4`; a zone id is dropped; anything else is returned unchanged. Allocation only when it changes.
 */
export function normalizeIp(ip: string): string {
  if (ip.indexOf(':') < 0) return ip;
  const pct = ip.indexOf('%');
  const s = pct >= 0 ? ip.slice(0, pct) : ip;
  // Fast path for Node's own spelling.
  if (s.length > 7 && (s.startsWith('::ffff:') || s.startsWith('::FFFF:')) && s.indexOf('.') > 0) {
    const v = parseIPv4(s, 7, s.length);
    if (v >= 0) return s.slice(7);
  }
  if (parseIPv6(s, 0, s.length, SCRATCH) && isMapped(SCRATCH)) return v4ToString(SCRATCH[3]);
  return s;
}

/** True when `s` is a valid IPv4 or IPv6 address. */
export function isIpAddress(s: string): boolean {
  return parseAny(s) !== 0;
}

/** Identity key for per-client state: IPv4 as is, IPv6 grouped by `prefixLength` (e.g. `2001:db8:1:2::/64`). */
export function ipv6Group(ip: string, prefixLength: number): string {
  if (ip.indexOf(':') < 0) return ip;
  if (prefixLength >= 128) return ip;
  if (!parseIPv6(ip, 0, ip.length, SCRATCH)) return ip;
  if (isMapped(SCRATCH)) return v4ToString(SCRATCH[3]);
  // Mask to the prefix, then print the 8 hextets with RFC 5952 zero compression: 2001:db8:1:2::/64.
  for (let g = 0; g < 8; g++) {
    const h = g & 1 ? SCRATCH[g >> 1] & 0xffff : SCRATCH[g >> 1] >>> 16;
    const bits = prefixLength - g * 16;
    HEX16[g] = bits >= 16 ? h : bits <= 0 ? 0 : h & ((0xffff << (16 - bits)) & 0xffff);
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let g = 0; g < 8; ) {
    if (HEX16[g] !== 0) {
      g++;
      continue;
    }
    let e = g;
    while (e < 8 && HEX16[e] === 0) e++;
    if (e - g > bestLen) {
      bestStart = g;
      bestLen = e - g;
    }
    g = e;
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += HEX16[g].toString(16);
  }
  return `${out}/${prefixLength}`;
}

function maskWord(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses an IP or CIDR to { family, words (masked base), prefix }; undefined when malformed. */
export function parseCidrRange(text: string): { family: 4 | 6; base: Uint32Array; prefix: number } | undefined {
  const s = text.trim();
  const slash = s.indexOf('/');
  const addr = slash >= 0 ? s.slice(0, slash) : s;
  let prefix: number;
  const fam = parseAny(addr);
  if (fam === 0) return undefined;
  const max = fam === 4 ? 32 : 128;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  } else prefix = max;
  if (fam === 4) {
    const base = new Uint32Array(1);
    base[0] = (SCRATCH[0] & maskWord(prefix)) >>> 0;
    return { family: 4, base, prefix };
  }
  const words = new Uint32Array(SCRATCH);
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is an IPv4 range after normalisation.
  if (isMapped(words) && prefix >= 96) {
    const base = new Uint32Array(1);
    base[0] = (words[3] & maskWord(prefix - 96)) >>> 0;
    return { family: 4, base, prefix: prefix - 96 };
  }
  for (let w = 0; w < 4; w++) words[w] = (words[w] & maskWord(prefix - w * 32)) >>> 0;
  return { family: 6, base: words, prefix };
}

/**
 * A set of IPs/CIDRs compiled once into integer ranges; `has(ip)` parses only the address.
 *
 * Example: CidrSet.compile(['127.0.0.1', '10.0.0.0/8', '::1']).has('10.9.9.9') // true
 */
export class CidrSet {
  private readonly v4: Uint32Array; // pairs: base, mask
  private readonly v6: Uint32Array; // 8 words per range: base[4], mask[4]
  readonly size: number;

  private constructor(v4: number[], v6: number[]) {
    this.v4 = Uint32Array.from(v4);
    this.v6 = Uint32Array.from(v6);
    this.size = v4.length / 2 + v6.length / 8;
  }

  /** Compiles entries; throws PH_ERR_CONFIG naming `key` and the bad entry. */
  static compile(entries: readonly string[], key = 'trustedProxies'): CidrSet {
    const v4: number[] = [];
    const v6: number[] = [];
    entries.forEach((e, i) => {
      const r = parseCidrRange(e);
      if (!r) throw new PathHelmError('PH_ERR_CONFIG', `${key}[${i}] must be an IP address or CIDR like "10.0.0.0/8" or "fd00::/8", got "${e}"`);
      if (r.family === 4) v4.push(r.base[0], maskWord(r.prefix));
      else {
        v6.push(r.base[0], r.base[1], r.base[2], r.base[3]);
        for (let w = 0; w < 4; w++) v6.push(maskWord(r.prefix - w * 32));
      }
    });
    return new CidrSet(v4, v6);
  }

  hasV4(v: number): boolean {
    const a = this.v4;
    for (let i = 0; i < a.length; i += 2) if (((v & a[i + 1]) >>> 0) === a[i]) return true;
    return false;
  }

  private hasV6(w: Uint32Array): boolean {
    const a = this.v6;
    for (let i = 0; i < a.length; i += 8) {
      if (
        ((w[0] & a[i + 4]) >>> 0) === a[i] &&
        ((w[1] & a[i + 5]) >>> 0) === a[i + 1] &&
        ((w[2] & a[i + 6]) >>> 0) === a[i + 2] &&
        ((w[3] & a[i + 7]) >>> 0) === a[i + 3]
      )
        return true;
    }
    return false;
  }

  /** True when the address (v4, v6 or v4-mapped v6) lies in any range. Malformed input → false. */
  has(ip: string): boolean {
    if (this.size === 0) return false;
    return this.hasRange(ip, 0, ip.length);
  }

  /** Like has() for ip = s[start, end), without slicing. */
  hasRange(s: string, start: number, end: number): boolean {
    let colon = false;
    for (let i = start; i < end; i++) if (s.charCodeAt(i) === 58) { colon = true; break; }
    if (!colon) {
      const v = parseIPv4(s, start, end);
      return v >= 0 && this.hasV4(v);
    }
    if (!parseIPv6(s, start, end, SCRATCH)) return false;
    if (isMapped(SCRATCH)) return this.hasV4(SCRATCH[3]);
    return this.hasV6(SCRATCH);
  }
}
