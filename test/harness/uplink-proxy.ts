/**
 * A transparent HTTP proxy on a school's uplink, on loopback: it forwards every
 * request to the real upstream and hands back its answer, unless the test has
 * told it to answer something else. This is the attacker of the trusted-feeds
 * suites: whoever sits on the path can replay, change or forge any answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Given the path asked for and the upstream's real answer, what to send instead (undefined: the real one). */
export type Rewrite = (path: string, real: Answer) => Answer | undefined;

/** Request headers a feed client sends that the upstream must see to answer conditionally. */
const FORWARDED_REQUEST = ['if-none-match', 'if-match', 'if-modified-since'];
const FORWARDED_RESPONSE = ['content-type', 'etag', 'last-modified', 'cache-control'];

export class UplinkProxy {
  private rewrite: Rewrite | null = null;
  /** Paths asked for, in order, so a test can tell the school did come through here. */
  readonly requests: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly upstream: string,
  ) {}

  /** A proxy in front of `upstream` (a daemon's base URL). */
  static async start(upstream: string): Promise<UplinkProxy> {
    const server = createServer();
    const proxy = new UplinkProxy(server, upstream);
    server.on('request', (req, res) => {
      proxy.forward(req, res).catch((err: Error) => {
        res.statusCode = 502;
        res.end(err.message);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, answer through `rewrite`; null: pass everything through again. */
  answer(rewrite: Rewrite | null): void {
    this.rewrite = rewrite;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.requests.push(path);
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
    const response = await fetch(new URL(path, this.upstream), { method: req.method ?? 'GET', headers, signal: AbortSignal.timeout(10_000) });
    const real: Answer = {
      status: response.status,
      headers: Object.fromEntries(FORWARDED_RESPONSE.flatMap((name) => (response.headers.has(name) ? [[name, response.headers.get(name)!]] : []))),
      body: Buffer.from(await response.arrayBuffer()),
    };
    const sent = this.rewrite?.(path, real) ?? real;
    res.writeHead(sent.status, { ...sent.headers, 'content-length': String(sent.body.length) });
    res.end(sent.body);
  }
}

/** A 200 answer of JSON bytes. */
export function jsonAnswer(body: Buffer | string, etag?: string): Answer {
  return { status: 200, headers: { 'content-type': 'application/json', ...(etag ? { etag } : {}) }, body: Buffer.from(body) };
}
