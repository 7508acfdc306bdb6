/**
 * A loopback HTTP server in front of a real Mothership daemon that passes its
 * answers on, or misbehaves as a failing upstream does: answers slowly, cuts
 * bodies short, or resets connections. Only the network in between is faked;
 * both ends are real daemons.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type UpstreamMode = 'pass' | 'slow' | 'truncate' | 'reset';

export class FaultyUpstream {
  mode: UpstreamMode = 'pass';
  /** How long `slow` holds each answer. */
  slowMs = 1500;
  /** Requests seen in each mode. */
  readonly seen: Record<UpstreamMode, number> = { pass: 0, slow: 0, truncate: 0, reset: 0 };

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(target: string): Promise<FaultyUpstream> {
    const upstream = new URL(target);
    let proxy!: FaultyUpstream;
    const server = createServer((req, res) => {
      const mode = proxy.mode;
      proxy.seen[mode]++;
      if (mode === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } }, (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          if (mode === 'truncate' && body.length > 1) {
            // The whole length announced, half of it sent, then the connection closes.
            res.writeHead(answer.statusCode ?? 502, headers);
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
            return;
          }
          const send = () => res.writeHead(answer.statusCode ?? 502, headers).end(body);
          if (mode === 'slow') setTimeout(send, proxy.slowMs);
          else send();
        });
      });
      forward.on('error', () => res.socket?.destroy());
      req.pipe(forward);
    });
    server.keepAliveTimeout = 1;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultyUpstream(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
