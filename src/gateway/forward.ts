// Owns forwarding to the backend: HTTP through an undici keep-alive Pool (bodies streamed both
// ways with backpressure, no buffering), WebSocket upgrades through http-proxy, the header rules
// of headers.ts, and the mapping of upstream failures to 502/504/reset.
//
// Example:
//   const fwd = createForwarder({ upstream: 'http://127.0.0.1:9000', gatewayToken, limits });
//   fwd.http(ex, upstreamHeaders, scan);          // after the passes allowed the request
//   fwd.upgrade(ex, socket, head);                // WebSocket: same header rules, logged decision
//   await fwd.close();

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';
import type { PathHelmConfig } from '../config/types.js';
import { PathHelmError } from '../errors.js';
import { type Exchange, kExchange, rawErrorResponse, sendError } from './exchange.js';
import { appendXff, type RequestScan, responseHeaders, rewriteUpgradeHeaders, rewriteUpgradeResponseHeaders } from './headers.js';

export interface ForwarderOptions {
  upstream: string;
  gatewayToken: string;
  limits: PathHelmConfig['limits'];
}

export interface Forwarder {
  /** Base URL of the backend. */
  readonly upstream: string;
  /** Sends the request upstream and streams the answer to ex.res. `headers` holds the pass-through headers. */
  http(ex: Exchange, headers: string[], scan: RequestScan): void;
  /** Tunnels a WebSocket upgrade (the caller records the decision when the socket closes). */
  upgrade(ex: Exchange, socket: Duplex, head: Buffer): void;
  /** Open WebSocket tunnels (for shutdown). */
  readonly tunnels: Set<Duplex>;
  close(): Promise<void>;
}

class BodyTooLargeError extends Error {
  readonly code = 'PH_BODY_TOO_LARGE';
}

/** Events of undici's dispatch handler (legacy raw-headers API: no header object parsing). */
class UpstreamCall {
  readonly ex: Exchange;
  abortFn: ((err?: Error) => void) | null = null;
  resumeFn: (() => void) | null = null;
  cancelled = false;
  overLimit = false;
  t1: number;

  constructor(ex: Exchange, t1: number) {
    this.ex = ex;
    this.t1 = t1;
  }

  cancel(): void {
    this.cancelled = true;
    if (this.abortFn !== null) this.abortFn(new Error('client closed the connection'));
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.cancelled) abort(new Error('client closed the connection'));
    else this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    const ex = this.ex;
    ex.upstreamStatus = statusCode;
    ex.upstreamMs = performance.now() - this.t1;
    this.resumeFn = resume;
    const res = ex.res;
    if (res.destroyed) return true;
    const rh = ex.responseHeaders;
    const headers = responseHeaders(rawHeaders, ex.requestId, rh.length === 0 ? undefined : rh);
    if (ex.core.closing) res.shouldKeepAlive = false;
    ex.status = statusCode;
    res.writeHead(statusCode, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const ex = this.ex;
    ex.bytesOut += chunk.length;
    if (ex.res.write(chunk)) return true;
    ex.res.once('drain', onResponseDrain);
    return false;
  }

  onComplete(): void {
    this.ex.completed = true;
    this.ex.res.end();
  }

  onBodySent(chunk: Buffer | string): void {
    this.ex.bytesIn += chunk.length;
  }

  onError(err: Error & { code?: string }): void {
    const ex = this.ex;
    if (ex.done || this.cancelled) return; // the client went away first; finish() recorded it
    const res = ex.res;
    if (this.overLimit || err instanceof BodyTooLargeError) {
      sendError(ex, 413, 'BLOCK', 'body_too_large', 'the request body exceeds limits.maxBodyBytes', undefined, true);
      return;
    }
    const sock = res.socket;
    if (sock === null || sock.destroyed || ex.req.destroyed && !ex.req.complete) {
      ex.reason = 'client_abort';
      res.destroy();
      return;
    }
    const code = err.code;
    if (!res.headersSent) {
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        sendError(ex, 504, 'ALLOW', 'upstream_timeout', 'the backend did not answer in time', undefined, !ex.req.complete);
      } else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') {
        sendError(ex, 502, 'ALLOW', 'upstream_reset', 'the backend closed the connection before answering', undefined, !ex.req.complete);
      } else {
        sendError(ex, 502, 'ALLOW', 'upstream_unavailable', 'the backend is unavailable (' + (code ?? err.message) + ')', undefined, !ex.req.complete);
      }
      return;
    }
    // Mid-stream: the status line is out, so the only honest signal is closing the connection.
    ex.reason = code === 'UND_ERR_BODY_TIMEOUT' ? 'upstream_timeout' : 'upstream_reset';
    res.destroy();
  }
}

function onResponseDrain(this: ServerResponse): void {
  const call = (this as unknown as { [kExchange]: Exchange })[kExchange].upstream as UpstreamCall | null;
  if (call !== null && call.resumeFn !== null) call.resumeFn();
}

/** Streams a chunked request body while counting it against limits.maxBodyBytes. */
async function* limitedBody(req: IncomingMessage, max: number, call: UpstreamCall): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > max) {
      call.overLimit = true;
      throw new BodyTooLargeError('request body exceeds limits.maxBodyBytes');
    }
    yield chunk;
  }
}

export function createForwarder(opts: ForwarderOptions): Forwarder {
  let url: URL;
  try {
    url = new URL(opts.upstream);
  } catch {
    throw new PathHelmError('PH_ERR_CONFIG', `upstream must be a URL like http://127.0.0.1:9000, got ${JSON.stringify(opts.upstream)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PathHelmError('PH_ERR_CONFIG', `upstream must use http: or https:, got ${url.protocol}`);
  }
  const prefix = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const limits = opts.limits;
  const token = opts.gatewayToken;
  const maxBody = limits.maxBodyBytes;
  const pool = new Pool(url.origin, {
    connections: limits.upstreamConnections,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    headersTimeout: limits.upstreamTimeoutMs,
    bodyTimeout: limits.upstreamTimeoutMs,
    connectTimeout: Math.min(10_000, limits.upstreamTimeoutMs || 10_000),
  });
  const proxy = httpProxy.createProxyServer({ target: url.origin, ws: true, xfwd: false, prependPath: true });
  const tunnels = new Set<Duplex>();

  proxy.on('proxyReqWs', (proxyReq, req, socket) => {
    const ex = (req as unknown as { [kExchange]: Exchange })[kExchange];
    const t1 = performance.now();
    // Registered before http-proxy's own listeners, so the 101/refusal head is rewritten first.
    proxyReq.on('upgrade', (proxyRes, proxySocket) => {
      ex.upstreamStatus = proxyRes.statusCode ?? 101;
      ex.status = 101;
      ex.upstreamMs = performance.now() - t1;
      rewriteUpgradeResponseHeaders(proxyRes.headers, ex.requestId);
      // http-proxy pipes the two sockets but does not tear one down when the other dies.
      socket.once('close', () => proxySocket.destroy());
      proxySocket.once('close', () => socket.destroy());
    });
    proxyReq.on('response', (proxyRes) => {
      ex.upstreamStatus = proxyRes.statusCode ?? 0;
      ex.status = proxyRes.statusCode ?? 0;
      ex.upstreamMs = performance.now() - t1;
      ex.reason = 'upgrade_refused';
      rewriteUpgradeResponseHeaders(proxyRes.headers, ex.requestId);
    });
  });

  return {
    upstream: opts.upstream,
    tunnels,

    http(ex, headers, scan) {
      const req = ex.req;
      headers.push(
        'x-forwarded-for', appendXff(scan.xff, ex.peerIp),
        'x-forwarded-proto', 'http',
        'x-request-id', ex.requestId,
        'x-gateway-token', token,
      );
      if (scan.host !== undefined) headers.push('x-forwarded-host', scan.host);
      const call = new UpstreamCall(ex, performance.now());
      ex.upstream = call;
      let body: IncomingMessage | AsyncIterable<Buffer> | null = null;
      if (scan.chunked) body = maxBody > 0 ? limitedBody(req, maxBody, call) : req;
      else if (scan.contentLength > 0) body = req;
      const url = req.url!;
      pool.dispatch(
        {
          path: prefix === '' ? url : prefix + url,
          method: req.method as 'GET',
          headers,
          body: body as never,
        },
        call as never,
      );
    },

    upgrade(ex, socket, head) {
      const req = ex.req;
      (req as unknown as { [kExchange]: Exchange })[kExchange] = ex;
      rewriteUpgradeHeaders(req.headers, ex.peerIp, ex.requestId, token);
      tunnels.add(socket);
      socket.once('close', () => tunnels.delete(socket));
      socket.on('error', () => socket.destroy());
      proxy.ws(req, socket, head, { target: url.origin + prefix }, (err: Error & { code?: string }) => {
        if (ex.status === 0 && !socket.destroyed && socket.writable) {
          const timeout = err.code === 'ETIMEDOUT';
          const status = timeout ? 504 : 502;
          const reason = timeout ? 'upstream_timeout' : 'upstream_unavailable';
          ex.status = status;
          ex.reason = reason;
          socket.end(rawErrorResponse(status, reason, 'the backend is unavailable (' + (err.code ?? err.message) + ')', ex.requestId));
        } else {
          if (ex.reason === null) ex.reason = 'upstream_reset';
          socket.destroy();
        }
      });
    },

    async close() {
      for (const s of tunnels) s.destroy();
      proxy.close();
      await pool.close().catch(() => pool.destroy());
    },
  };
}
