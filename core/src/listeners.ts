/**
 * Ports the core owns: the main HTTP server and the extra TCP/HTTP ports plugins
 * ask for. Each tracks its connections so that closing can drain in-flight work
 * for a bounded time and then cut what is left.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type Koa from 'koa';
import { ServerErrors, withCause } from './errors.js';
import type { Logger } from './log.js';

/**
 * A school's laptops boot together at 8 o'clock: hundreds connect in the same
 * second. Node's default backlog (511) would drop the rest of the SYNs and make
 * them wait a retransmit; the kernel still caps this at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/** Where a port ended up bound. */
export interface BoundListener {
  readonly address: string;
  /** The port actually bound (differs from the spec's when it asked for 0). */
  readonly port: number;
}

/** Ports this process holds, by number, and who holds them: a clash names the holder. */
const holders = new Map<number, string>();

export class OwnedPort {
  private readonly sockets = new Set<Socket>();
  private bound: BoundListener | undefined;

  /** `name`, and the package asking for it when a plugin does: what a clash names. */
  readonly label: string;

  private constructor(
    readonly name: string,
    private readonly server: Server | HttpServer,
    owner?: string,
    /** Its sockets are handed, unread, to another process, which closes them itself. */
    private readonly handsOver = false,
  ) {
    this.label = owner ? `${name} (${owner})` : name;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** An HTTP port serving `app`; `owner` is the plugin package asking for it. */
  static http(name: string, app: Koa, owner?: string): OwnedPort {
    const server = createHttpServer(app.callback());
    // Behind no proxy on a school LAN: keep idle keep-alive sockets short-lived.
    server.keepAliveTimeout = 5_000;
    return new OwnedPort(name, server, owner);
  }

  /** An HTTPS port serving `app` with the given PEM key and certificate. */
  static https(name: string, app: Koa, tls: { key: string; cert: string }): OwnedPort {
    // Without noDelay, a response's header and body TLS records wait on the client's delayed ACK (40 ms a page).
    const server = createHttpsServer({ key: tls.key, cert: tls.cert, noDelay: true }, app.callback());
    server.keepAliveTimeout = 5_000;
    return new OwnedPort(name, server);
  }

  /**
   * A TCP port; socket errors are logged here so a rude client never takes the
   * process down. `pauseOnConnect` leaves each socket unread, for handing it to
   * another process (an isolated plugin's) before a byte is taken from it.
   */
  static tcp(name: string, log: Logger, onConnection: (socket: Socket) => void, owner?: string, options: { pauseOnConnect?: boolean } = {}): OwnedPort {
    const server = createTcpServer({ pauseOnConnect: options.pauseOnConnect === true }, (socket) => {
      socket.on('error', (err) => log.debug({ err, listener: name }, 'connection error'));
      try {
        onConnection(socket);
      } catch (err) {
        log.error({ err, listener: name }, 'connection handler threw; connection closed');
        socket.destroy();
      }
    });
    return new OwnedPort(name, server, owner, options.pauseOnConnect === true);
  }

  get address(): BoundListener | undefined {
    return this.bound;
  }

  async listen(port: number, address: string): Promise<BoundListener> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port, host: address, exclusive: true, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', onError);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      const holder = err.code === 'EADDRINUSE' ? holders.get(port) : undefined;
      if (holder) throw withCause(ServerErrors.PORT_TAKEN(this.label, `${address}:${port}`, holder), err);
      const why = err.code === 'EADDRINUSE' ? 'the port is in use by another program' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : err.message;
      throw withCause(ServerErrors.LISTEN(this.name, `${address}:${port}`, why), err);
    });
    const info = this.server.address() as AddressInfo;
    this.bound = { address: info.address, port: info.port };
    holders.set(info.port, this.label);
    return this.bound;
  }

  /**
   * Stop accepting, let open connections finish for up to `drainMs`, then cut
   * them. A hand-over port (`pauseOnConnect`) only stops accepting: its
   * connections are the other process's to finish.
   */
  async close(drainMs: number): Promise<void> {
    if (!this.server.listening) return;
    if (this.bound && holders.get(this.bound.port) === this.label) holders.delete(this.bound.port);
    if (this.handsOver) {
      // Stop listening, and leave the connections to the process that holds them. Node's server would wait for
      // that process to report them closed, and forever once it has exited (Node 20 counts no process then).
      this.server.close();
      for (const socket of this.sockets) socket.destroy();
      return;
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections go idle as their last response ends; reap them as they do.
    const http = this.server as HttpServer;
    const reap = typeof http.closeIdleConnections === 'function' ? setInterval(() => http.closeIdleConnections(), 25) : undefined;
    http.closeIdleConnections?.();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, drainMs);
    });
    await Promise.race([closed, deadline]);
    clearTimeout(timer);
    clearInterval(reap);
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

/** Address to reach a server bound to `address` from this machine. */
export function localAddressFor(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

export function urlFor(address: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const host = localAddressFor(address);
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
