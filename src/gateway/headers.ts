// Owns the header rules of the forwarding path: hop-by-hop stripping (RFC 9110 §7.6.1, plus
// headers named in Connection), X-Forwarded-*, the gateway token and X-Request-ID, both directions.
//
// Example:
//   const scan = scanRequestHeaders(req.rawHeaders, out);   // fills `out` with pass-through headers
//   out.push('x-forwarded-for', appendXff(scan.xff, clientIp), 'x-gateway-token', token, ...);
//   const resHeaders = responseHeaders(undiciRawHeaders, requestId); // for res.writeHead(status, resHeaders)

/** What a request header means to the gateway. */
const enum Kind {
  Drop = 1, // hop-by-hop or set by the gateway: never forwarded as received
  Connection,
  RequestId,
  Xff,
  Host,
  ContentLength,
  TransferEncoding,
}

const REQUEST_KINDS = new Map<string, Kind>([
  ['connection', Kind.Connection],
  ['keep-alive', Kind.Drop],
  ['proxy-connection', Kind.Drop],
  ['proxy-authorization', Kind.Drop],
  ['proxy-authenticate', Kind.Drop],
  ['te', Kind.Drop],
  ['trailer', Kind.Drop],
  ['transfer-encoding', Kind.TransferEncoding],
  ['upgrade', Kind.Drop],
  // Expect: 100-continue is answered by node:http itself; undici refuses to send it upstream.
  ['expect', Kind.Drop],
  // Set by the gateway; client copies are never trusted.
  ['x-gateway-token', Kind.Drop],
  ['x-forwarded-proto', Kind.Drop],
  ['x-forwarded-host', Kind.Drop],
  ['x-request-id', Kind.RequestId],
  ['x-forwarded-for', Kind.Xff],
  ['host', Kind.Host],
  ['content-length', Kind.ContentLength],
]);

/** Connection options that name no header (never stripped as "named in Connection"). */
const CONNECTION_OPTIONS = new Set(['close', 'keep-alive', 'upgrade']);

/** Result of one pass over the request's raw headers. Reused fields, no per-header allocation. */
export interface RequestScan {
  /** Last inbound X-Request-ID (unvalidated), or undefined. */
  requestId: string | undefined;
  /** Inbound X-Forwarded-For values joined with ', ', or undefined. */
  xff: string | undefined;
  host: string | undefined;
  /** Declared Content-Length, -1 when absent, NaN when malformed. */
  contentLength: number;
  /** True when Transfer-Encoding was sent (a body of unknown length follows). */
  chunked: boolean;
}

function lowerName(name: string): string {
  // Most clients send lower-case or Title-Case names; toLowerCase returns the same string when
  // nothing changes, so this allocates only for Title-Case.
  return name.toLowerCase();
}

/**
 * Copies the forwardable request headers from `raw` (node's rawHeaders: [name, value, ...]) into
 * `out` as a flat [name, value, ...] list and reports the headers the gateway acts on.
 */
export function scanRequestHeaders(raw: string[], out: string[], scan: RequestScan): void {
  scan.requestId = undefined;
  scan.xff = undefined;
  scan.host = undefined;
  scan.contentLength = -1;
  scan.chunked = false;
  let connection: string | undefined;
  const n = raw.length;
  for (let i = 0; i < n; i += 2) {
    const name = raw[i];
    const kind = REQUEST_KINDS.get(lowerName(name));
    if (kind === undefined) {
      out.push(name, raw[i + 1]);
      continue;
    }
    switch (kind) {
      case Kind.Drop:
        break;
      case Kind.Connection:
        connection = connection === undefined ? raw[i + 1] : connection + ',' + raw[i + 1];
        break;
      case Kind.RequestId:
        scan.requestId = raw[i + 1];
        break;
      case Kind.Xff:
        scan.xff = scan.xff === undefined ? raw[i + 1] : scan.xff + ', ' + raw[i + 1];
        break;
      case Kind.Host:
        scan.host = raw[i + 1];
        out.push(name, raw[i + 1]);
        break;
      case Kind.ContentLength: {
        const v = raw[i + 1];
        scan.contentLength = v.length > 0 && v.length <= 15 && isDigits(v) ? Number(v) : NaN;
        out.push(name, v);
        break;
      }
      case Kind.TransferEncoding:
        scan.chunked = true;
        break;
    }
  }
  if (connection !== undefined) stripConnectionNamed(out, connection, 0);
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** True when `v` is exactly one of the connection options that name no header (any case): nothing to strip. */
function onlyOption(v: string): boolean {
  const n = v.length;
  if (n !== 10 && n !== 5 && n !== 7) return false;
  const c = v.charCodeAt(0) | 32;
  if (n === 10 && c === 107) return v === 'keep-alive' || v.toLowerCase() === 'keep-alive';
  if (n === 5 && c === 99) return v === 'close' || v.toLowerCase() === 'close';
  if (n === 7 && c === 117) return v === 'upgrade' || v.toLowerCase() === 'upgrade';
  return false;
}

/** Removes from a flat [name, value, ...] list (from index `from`) the headers named in `connection`. */
export function stripConnectionNamed(out: string[], connection: string, from: number): void {
  if (onlyOption(connection)) return; // the common `Connection: keep-alive` / `close`: no split, no Set
  let names: Set<string> | undefined;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t && !CONNECTION_OPTIONS.has(t)) (names ??= new Set()).add(t);
  }
  if (!names) return;
  let w = from;
  for (let r = from; r < out.length; r += 2) {
    if (names.has(out[r].toLowerCase())) continue;
    out[w] = out[r];
    out[w + 1] = out[r + 1];
    w += 2;
  }
  out.length = w;
}

/** X-Forwarded-For value: inbound chain (if any) with the client address appended. */
export function appendXff(inbound: string | undefined, clientAddress: string): string {
  return inbound === undefined || inbound === '' ? clientAddress : inbound + ', ' + clientAddress;
}

// Response header names are compared as bytes to avoid decoding every name.
const RESPONSE_DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-request-id',
  'x-gateway-token',
]);

// Response header names the gateway drops, bucketed by length and compared case-insensitively in place:
// Title-Case names from the backend (Content-Type, Date, ...) are never lower-cased into a copy.
const DROP_BY_LENGTH: string[][] = [];
for (const n of RESPONSE_DROP) (DROP_BY_LENGTH[n.length] ??= []).push(n);

/** The lower-case RESPONSE_DROP entry equal to `name` ignoring ASCII case, or null. Allocation-free. */
function droppedName(name: string): string | null {
  const bucket = DROP_BY_LENGTH[name.length];
  if (bucket === undefined) return null;
  for (let b = 0; b < bucket.length; b++) {
    const cand = bucket[b];
    let i = 0;
    for (; i < cand.length; i++) {
      let c = name.charCodeAt(i);
      if (c >= 65 && c <= 90) c |= 32;
      if (c !== cand.charCodeAt(i)) break;
    }
    if (i === cand.length) return cand;
  }
  return null;
}

/** node's Buffer#latin1Slice: decodes without argument normalisation (undocumented but stable). */
export interface Latin1 {
  latin1Slice(start: number, end: number): string;
}

const LONGEST_DROP = 19; // 'proxy-authorization'.length

// Decoded response header names and values, by content: most responses repeat the names and many of the values
// of the one before (Content-Type, Content-Length per endpoint, Date within a second, Connection, Keep-Alive), so
// a direct-mapped table of the last string seen per slot, verified byte by byte, saves decoding them (10 header
// Buffers: ~590 → ~230 ns when they repeat; a value that never repeats costs the lookup, ~15 ns, on top of its
// decode). Bounded: 256 strings of at most 64 characters.
const DECODE_SLOTS = 256;
const DECODE_MAX = 64;
const decoded: string[] = new Array<string>(DECODE_SLOTS).fill('');

/** `b` decoded as latin1, from the table when the slot holds the same bytes. */
function latin1Cached(b: Buffer): string {
  const n = b.length;
  if (n === 0) return '';
  if (n > DECODE_MAX) return (b as unknown as Latin1).latin1Slice(0, n);
  // Slot from the length and four sampled bytes; the full comparison below makes a collision a miss, never a mix-up.
  const h = Math.imul(n, 0x9e3779b1) ^ Math.imul(b[0] | (b[n >> 1] << 8) | (b[n - 1] << 16) | (b[n >> 2] << 24), 0x85ebca6b);
  const slot = h >>> 24;
  const s = decoded[slot];
  if (s.length === n) {
    let i = 0;
    while (i < n && s.charCodeAt(i) === b[i]) i++;
    if (i === n) return s;
  }
  const fresh = (b as unknown as Latin1).latin1Slice(0, n);
  decoded[slot] = fresh;
  return fresh;
}

/**
 * Response headers for the client from undici's raw headers ([name, value, ...] Buffers):
 * hop-by-hop, Connection-named, upstream X-Request-ID and any gateway token echo removed, then
 * `X-Request-ID: requestId` and `extra` appended. Returns a flat list for res.writeHead().
 */
export function responseHeaders(
  raw: Buffer[] | string[],
  requestId: string,
  extra: Array<[string, string]> | undefined,
): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  const n = raw.length;
  for (let i = 0; i < n; i += 2) {
    const nameRaw = raw[i];
    const name = typeof nameRaw === 'string' ? nameRaw : latin1Cached(nameRaw);
    const v = raw[i + 1];
    const value = typeof v === 'string' ? v : latin1Cached(v as Buffer);
    if (name.length <= LONGEST_DROP) {
      const dropped = droppedName(name);
      if (dropped !== null) {
        if (dropped === 'connection') connection = connection === undefined ? value : connection + ',' + value;
        continue;
      }
    }
    out.push(name, value);
  }
  if (connection !== undefined) stripConnectionNamed(out, connection, 0);
  out.push('x-request-id', requestId);
  if (extra !== undefined) {
    for (let i = 0; i < extra.length; i++) out.push(extra[i][0], extra[i][1]);
  }
  return out;
}

/**
 * Applies the same request rules to a header object (for WebSocket upgrades through http-proxy):
 * keeps `connection: upgrade` and `upgrade`, drops other hop-by-hop and Connection-named headers,
 * sets X-Forwarded-*, X-Request-ID and the gateway token.
 */
export function rewriteUpgradeHeaders(
  headers: Record<string, string | string[] | undefined>,
  clientAddress: string,
  requestId: string,
  gatewayToken: string,
): void {
  const connection = headers.connection;
  if (typeof connection === 'string') {
    for (const token of connection.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && !CONNECTION_OPTIONS.has(t)) delete headers[t];
    }
  }
  for (const h of ['keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'expect']) {
    delete headers[h];
  }
  headers.connection = 'upgrade';
  const xff = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = appendXff(Array.isArray(xff) ? xff.join(', ') : xff, clientAddress);
  headers['x-forwarded-proto'] = 'http';
  if (headers.host !== undefined) headers['x-forwarded-host'] = headers.host;
  else delete headers['x-forwarded-host'];
  headers['x-request-id'] = requestId;
  headers['x-gateway-token'] = gatewayToken;
}

/** The same response rules for a header object (the 101 or refusal of an upgrade). */
export function rewriteUpgradeResponseHeaders(headers: Record<string, string | string[] | undefined>, requestId: string): void {
  const connection = headers.connection;
  if (typeof connection === 'string') {
    for (const token of connection.split(',')) {
      const t = token.trim().toLowerCase();
      if (t && !CONNECTION_OPTIONS.has(t)) delete headers[t];
    }
  }
  for (const h of ['keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'x-gateway-token']) {
    delete headers[h];
  }
  headers['x-request-id'] = requestId;
}
