/**
 * The SSH endpoint laptops run rsync over: an ssh2 server fed the sockets of
 * the port the core owns. It runs in the plugin's SSH process (ssh-process/),
 * so the transport's ciphers, key exchanges and signatures never hold the
 * daemon's event loop. Users are laptop serials and log in only with the key
 * they registered: the registry is asked (keyVerdict), the signature checked
 * here. A session may do one thing: exec an rsync server (exec). Shells, ptys,
 * subsystems (sftp), environment variables, agent and X11 forwarding, and TCP
 * or socket forwarding are all refused.
 */
import type { Socket } from 'node:net';
import ssh2, { type Algorithms, type Connection, type ServerChannel } from 'ssh2';
import { BackupErrors } from './errors.js';
import { signatureVerdict, type KeyOffer, type KeyVerdict } from './ssh-signature.js';

/** The log lines the endpoint writes: pino's call shape. */
type LogCall = (fields: Record<string, unknown>, message: string) => void;
export interface EndpointLog {
  readonly debug: LogCall;
  readonly info: LogCall;
  readonly warn: LogCall;
  readonly error: LogCall;
}

export interface SshEndpointOptions {
  /** Private host keys (OpenSSH text). */
  readonly hostKeys: readonly string[];
  readonly algorithms: Algorithms;
  readonly loginTimeoutMs: number;
  readonly maxConnections: number;
  readonly log: EndpointLog;
  /** Whether the offered key is the one registered for the user (a serial). */
  keyVerdict(offer: Pick<KeyOffer, 'username' | 'key'>): Promise<KeyVerdict>;
  /** Serve one exec request of laptop `serial`. */
  exec(serial: string, command: string, accept: () => ServerChannel): Promise<void>;
}

/** Key offers refused before the connection is closed, as sshd's MaxAuthTries. */
const MAX_AUTH_TRIES = 6;
/** Connections one laptop may hold at once; ds-backup opens one at a time. */
const MAX_CONNECTIONS_PER_LAPTOP = 4;

/** Session requests that are refused, by ssh2's event name. */
const REFUSED_SESSION_REQUESTS = ['pty', 'x11', 'env', 'auth-agent', 'shell', 'subsystem', 'sftp', 'signal', 'window-change'] as const;

type Reject = (() => void) | undefined;

export class SshEndpoint {
  private readonly server: ssh2.Server;
  private readonly connections = new Set<Connection>();
  /** Login timers of connections not yet authenticated, by remote address and port. */
  private readonly loggingIn = new Map<string, NodeJS.Timeout>();
  /** Authenticated connections, by serial. */
  private readonly perLaptop = new Map<string, number>();
  private sockets = 0;

  constructor(private readonly options: SshEndpointOptions) {
    this.server = new ssh2.Server(
      { hostKeys: [...options.hostKeys], algorithms: options.algorithms, ident: 'sugar-server' },
      (client, info) => this.serve(client, info.ip, connectionKey(info.ip, info.port)),
    );
  }

  /** Hand a socket from the core's port to the SSH server. */
  readonly accept = (socket: Socket): void => {
    const { log, loginTimeoutMs, maxConnections } = this.options;
    if (this.sockets >= maxConnections) {
      log.warn({ address: socket.remoteAddress, max: maxConnections }, 'SSH connection refused: max_connections reached');
      socket.destroy();
      return;
    }
    this.sockets++;
    // Timed on the socket: ssh2 reports a connection only once the client has said hello, and one that never does must go too.
    const key = connectionKey(socket.remoteAddress, socket.remotePort);
    const grace = setTimeout(() => {
      log.info({ address: socket.remoteAddress }, 'SSH client did not log in within login_timeout; closed');
      socket.destroy();
    }, loginTimeoutMs);
    this.loggingIn.set(key, grace);
    socket.once('close', () => {
      this.sockets--;
      clearTimeout(grace);
      this.loggingIn.delete(key);
    });
    this.server.injectSocket(socket);
  };

  /** Close every connection (the plugin is stopping). */
  close(): void {
    for (const client of this.connections) client.end();
  }

  private serve(client: Connection, address: string, key: string): void {
    const { log } = this.options;
    this.connections.add(client);
    let serial: string | null = null;
    let refusals = 0;
    let closed = false;

    client.on('authentication', (auth) => {
      if (auth.method !== 'publickey') {
        auth.reject(['publickey']);
        return;
      }
      // Answered once the daemon has; ssh2 holds the client's next attempts (up to 10) until then.
      void this.keyVerdict(auth).then((verdict) => {
        if (closed) return;
        if (verdict.accept) {
          if (auth.signature) serial = auth.username;
          auth.accept();
          return;
        }
        refusals++;
        log.info({ user: auth.username.slice(0, 64), keyType: auth.key.algo, address, reason: verdict.reason }, 'SSH key refused');
        auth.reject(['publickey']);
        if (refusals >= MAX_AUTH_TRIES) client.end();
      });
    });

    // A logged-in connection that runs nothing for login_timeout is closed, so idle ones cannot fill max_connections.
    let idle: NodeJS.Timeout | undefined;
    let running = 0;
    const waitForWork = () => {
      if (closed) return;
      idle = setTimeout(() => {
        log.info({ serial, address }, 'SSH connection ran no transfer within login_timeout; closed');
        client.end();
      }, this.options.loginTimeoutMs);
    };

    client.on('ready', () => {
      clearTimeout(this.loggingIn.get(key));
      this.loggingIn.delete(key);
      const laptop = serial!;
      const held = this.perLaptop.get(laptop) ?? 0;
      if (held >= MAX_CONNECTIONS_PER_LAPTOP) {
        log.warn({ serial: laptop, address, held }, 'SSH connection refused: the laptop already holds the most connections allowed');
        client.end();
        return;
      }
      this.perLaptop.set(laptop, held + 1);
      client.once('close', () => {
        const left = (this.perLaptop.get(laptop) ?? 1) - 1;
        if (left > 0) this.perLaptop.set(laptop, left);
        else this.perLaptop.delete(laptop);
      });
      log.info({ serial: laptop, address }, 'laptop logged in over SSH');
      waitForWork();
      client.on('session', (acceptSession) => this.session(laptop, acceptSession(), {
        started: () => {
          running++;
          clearTimeout(idle);
        },
        ended: () => {
          if (--running === 0) waitForWork();
        },
      }));
    });

    const refuseGlobal = (what: string) => (_accept: unknown, reject: Reject) => {
      log.info({ serial, address, code: BackupErrors.REQUEST_REFUSED.code }, BackupErrors.REQUEST_REFUSED(what).message);
      reject?.();
    };
    client.on('request', (_accept, reject, name) => refuseGlobal(`the global request ${name}`)(undefined, reject));
    client.on('tcpip', refuseGlobal('TCP forwarding'));
    client.on('openssh.streamlocal', refuseGlobal('socket forwarding'));
    client.on('error', (err) => log.debug({ err, address }, 'SSH connection error'));
    client.on('close', () => {
      closed = true;
      clearTimeout(idle);
      this.connections.delete(client);
    });
  }

  /** The registry's answer first; the signature, when one came, only for the laptop's own key. */
  private async keyVerdict(offer: KeyOffer): Promise<KeyVerdict> {
    const registered = await this.options.keyVerdict({ username: offer.username, key: { algo: offer.key.algo, data: offer.key.data } })
      .catch((err: Error) => ({ accept: false as const, reason: `the daemon could not be asked: ${err.message}` }));
    return registered.accept ? signatureVerdict(offer) : registered;
  }

  private session(serial: string, session: ssh2.Session, work: { started(): void; ended(): void }): void {
    const { log } = this.options;
    let used = false;
    for (const name of REFUSED_SESSION_REQUESTS) {
      session.on(name as 'pty', (_accept: unknown, reject: Reject) => {
        log.info({ serial, code: BackupErrors.REQUEST_REFUSED.code }, BackupErrors.REQUEST_REFUSED(`the session request "${name}"`).message);
        reject?.();
      });
    }
    session.on('exec', (accept, reject, info) => {
      // One command per session, as in sshd.
      if (used) {
        reject();
        return;
      }
      used = true;
      work.started();
      this.options.exec(serial, info.command, accept)
        .catch((err: unknown) => log.error({ err, serial }, 'transfer failed to run'))
        .finally(work.ended);
    });
  }
}

const connectionKey = (address: string | undefined, port: number | undefined) => `${address}|${port}`;
