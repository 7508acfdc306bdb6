/**
 * The service manager's notification protocol (sd_notify(3)): READY=1 once
 * every enabled plugin has started or failed, RELOADING=1 … READY=1 around a
 * reload, STOPPING=1 on shutdown, WATCHDOG=1 while the event loop turns.
 *
 * The protocol is one datagram to the AF_UNIX socket in $NOTIFY_SOCKET. Node
 * has no unix datagram sockets, and the npm bindings for them are native
 * addons, so each message is handed to `systemd-notify`, which systemd ships
 * wherever it sets NOTIFY_SOCKET. It waits until the manager has read the
 * message (a barrier), so the unit says `NotifyAccess=all` and the message is
 * still attributed although the sender has exited.
 */
import { launch } from './launcher/index.js';

export interface NotifyLog {
  warn(details: object, message: string): void;
}

/** Messages are sent in order, one at a time; a failure is logged once and never stops the daemon. */
export class SystemdNotifier {
  private queue: Promise<void> = Promise.resolve();
  private watchdogTimer: NodeJS.Timeout | undefined;
  private warned = false;

  /**
   * @param socket the manager's socket, or undefined when nothing listens (then every call is a no-op)
   * @param watchdogUsec the manager's WatchdogSec in microseconds, when it asked for pings
   */
  constructor(
    private readonly socket: string | undefined,
    private readonly watchdogUsec: number | undefined,
    private readonly log: NotifyLog,
    private readonly command = 'systemd-notify',
  ) {}

  /**
   * From the environment systemd set, which is then removed so that the
   * daemon's children (rsync, ssh, isolated plugins) cannot speak for it.
   */
  static fromEnvironment(log: NotifyLog, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
    const socket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
    return new SystemdNotifier(socket, Number.isSafeInteger(usec) && usec > 0 && forUs ? usec : undefined, log);
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  ready(status: string): Promise<void> {
    return this.send('READY=1', `STATUS=${status}`);
  }

  reloading(): Promise<void> {
    return this.send('RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, 'STATUS=reloading the configuration');
  }

  stopping(): Promise<void> {
    this.stopWatchdog();
    return this.send('STOPPING=1', 'STATUS=stopping');
  }

  /** Ping at half the manager's interval, as sd_watchdog_enabled(3) advises; a blocked event loop misses them. */
  startWatchdog(): void {
    if (!this.enabled || this.watchdogUsec === undefined || this.watchdogTimer) return;
    const everyMs = Math.max(1, Math.floor(this.watchdogUsec / 2000));
    this.watchdogTimer = setInterval(() => void this.send('WATCHDOG=1'), everyMs);
    this.watchdogTimer.unref();
    void this.send('WATCHDOG=1');
  }

  stopWatchdog(): void {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  private send(...assignments: string[]): Promise<void> {
    if (!this.socket) return Promise.resolve();
    const socket = this.socket;
    this.queue = this.queue.then(() => this.run(socket, assignments));
    return this.queue;
  }

  private run(socket: string, assignments: string[]): Promise<void> {
    return new Promise((resolve) => {
      let stderr = '';
      // From the launcher's thread: a watchdog ping every half interval must not fork the daemon on its event loop.
      const child = launch(this.command, assignments, { env: { ...process.env, NOTIFY_SOCKET: socket } as Record<string, string>, stdin: false });
      child.stdout.resume();
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', (err) => this.failed(assignments, err.message, resolve));
      child.once('close', (code) => (code === 0 ? resolve() : this.failed(assignments, stderr.trim() || `exit code ${code}`, resolve)));
    });
  }

  private failed(assignments: string[], why: string, done: () => void): void {
    if (!this.warned) {
      this.warned = true;
      this.log.warn({ message: assignments.join(' '), why }, `could not notify the service manager (${this.command}: ${why}); further failures are not logged`);
    }
    done();
  }
}
