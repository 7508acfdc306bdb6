/**
 * The main server's side of an isolated plugin's routes: each request is
 * streamed to the plugin's process over its private socket and the answer
 * streamed back (status, headers, body), neither side buffered, so uploads and
 * downloads of any size pass at the pace of the slower end.
 */
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Context, Middleware } from 'koa';
import type { SugarError } from '../../errors.js';

/** Headers about one connection, not the message (RFC 9110 section 7.6.1): never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Set by the core alone: a client's own `X-Forwarded-For` or `X-Request-Id`
 * would let it pose as another laptop in the plugin's logs. `Expect` is
 * answered by the core's server, which already said 100 Continue.
 */
const SET_BY_CORE = new Set(['x-forwarded-for', 'x-request-id', 'expect']);

function passable(headers: IncomingHttpHeaders, dropped: ReadonlySet<string>): OutgoingHttpHeaders {
  // A header the Connection header names is hop-by-hop too.
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((name) => name.trim()).filter(Boolean));
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || dropped.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** What the plugin's process is sent: the client's headers less hop-by-hop ones, with the core's request id and the client's address. */
export function requestHeaders(incoming: IncomingHttpHeaders, requestId: string, clientAddress: string | undefined): OutgoingHttpHeaders {
  const out = passable(incoming, SET_BY_CORE);
  out['x-request-id'] = requestId;
  if (clientAddress) out['x-forwarded-for'] = clientAddress;
  return out;
}

/** What the client is sent of the plugin's answer: its headers less hop-by-hop ones (the core sets its own request id). */
export function answerHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  return passable(upstream, new Set(['x-request-id']));
}

/** Where an isolated plugin's process serves its routes, while it does. */
export interface Upstream {
  readonly socketPath: string;
  readonly agent: Agent;
}

/**
 * A koa middleware that hands the request to `upstream()`; when there is none
 * (the process is down or starting) or it fails before answering, the
 * request gets `unavailable()` (a 503 with the reason).
 */
export function proxyTo(upstream: () => Upstream | undefined, unavailable: (ctx: Context) => SugarError): Middleware {
  return (ctx) => {
    const target = upstream();
    if (!target) throw unavailable(ctx);
    return new Promise<void>((resolve, reject) => {
      const outgoing = request({
        socketPath: target.socketPath,
        agent: target.agent,
        method: ctx.method,
        path: ctx.url,
        headers: requestHeaders(ctx.req.headers, String(ctx.state.requestId ?? ''), ctx.req.socket.remoteAddress),
      });
      outgoing.once('error', () => reject(unavailable(ctx)));
      outgoing.once('response', (answer) => {
        outgoing.removeAllListeners('error');
        outgoing.on('error', () => {});
        // Written here rather than through koa's body, so headers and bytes are exactly the plugin's.
        ctx.status = answer.statusCode ?? 502;
        ctx.respond = false;
        ctx.res.writeHead(ctx.status, answerHeaders(answer.headers));
        // A client that hangs up, or a process that dies mid-answer, cuts the other side too.
        pipeline(answer, ctx.res).then(resolve, () => resolve());
      });
      pipeline(ctx.req, outgoing).catch(() => outgoing.destroy());
    });
  };
}
