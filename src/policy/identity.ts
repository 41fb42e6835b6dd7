// Owns client identity: which address a request comes from (socket, or X-Forwarded-For behind
// trusted proxies) and the key its per-client state is kept under (IPv6 grouped by prefix).
//
// Example:
//   const id = new ClientIdentity(CidrSet.compile(['10.0.0.0/8']), 64);
//   id.resolve('10.0.0.5', '203.0.113.7, 10.0.0.9'); // '203.0.113.7'
//   id.resolve('198.51.100.1', '1.1.1.1');           // '198.51.100.1' (untrusted peer: XFF ignored)
//   id.key('2001:db8:1:2:aaaa::1');                   // '2001:db8:1:2::/64'

import { CidrSet, ipv6Group, isIpAddress, normalizeIp } from './ip.js';

export class ClientIdentity {
  constructor(
    readonly trusted: CidrSet,
    readonly ipv6PrefixLength: number,
  ) {}

  /**
   * The client address: the socket peer, unless the peer is a trusted proxy; then the right-most
   * X-Forwarded-For entry that is not itself a trusted proxy (all trusted → the left-most entry).
   * A malformed entry stops the walk at the last good hop. Result is normalised (mapped v4 → v4).
   */
  resolve(peer: string, xff: string | string[] | undefined): string {
    const addr = normalizeIp(peer);
    if (xff === undefined || this.trusted.size === 0 || !this.trusted.has(addr)) return addr;
    const h = typeof xff === 'string' ? xff : xff.join(',');
    let current = addr;
    let end = h.length;
    while (end > 0) {
      const comma = h.lastIndexOf(',', end - 1);
      let s = comma + 1;
      let e = end;
      end = comma < 0 ? 0 : comma;
      while (s < e && (h.charCodeAt(s) === 32 || h.charCodeAt(s) === 9)) s++;
      while (e > s && (h.charCodeAt(e - 1) === 32 || h.charCodeAt(e - 1) === 9)) e--;
      if (s === e) continue; // empty entry (", ,")
      const entry = stripPort(h, s, e);
      if (entry === null || !isIpAddress(entry)) return current;
      const ip = normalizeIp(entry);
      if (!this.trusted.has(ip)) return ip;
      current = ip;
    }
    return current;
  }

  /** Per-client state key for an address: IPv4 as is, IPv6 by prefix. */
  key(ip: string): string {
    return ip.indexOf(':') < 0 ? ip : ipv6Group(ip, this.ipv6PrefixLength);
  }
}

/** Entry text without `[v6]:port` brackets or a `v4:port` suffix; null when malformed. */
function stripPort(h: string, s: number, e: number): string | null {
  if (h.charCodeAt(s) === 91) {
    // [v6] or [v6]:port
    const close = h.indexOf(']', s);
    if (close < 0 || close >= e) return null;
    return h.slice(s + 1, close);
  }
  const first = h.indexOf(':', s);
  if (first >= 0 && first < e) {
    const second = h.indexOf(':', first + 1);
    if (second < 0 || second >= e) return h.slice(s, first); // v4:port
  }
  return h.slice(s, e);
}
