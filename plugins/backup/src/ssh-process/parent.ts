/**
 * The daemon's side of the backup plugin's SSH process: it forks the process
 * (child.ts) once per plugin start, hands it each connection the core accepts
 * on the SSH port, unread, answers its calls (keys against the registry,
 * transfers' plans and ends) and writes its log lines to the plugin's log.
 * A process that dies is started again (at once, then after longer waits
 * while it keeps dying) and never takes the daemon with it; connections that
 * come while it is down are closed, which ssh and ds-backup take as "try
 * later". Stopping the plugin stops it, and kills it if it does not go.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { answer, type Logger } from 'sugar-server';
import { BackupErrors } from '../errors.js';
import { fieldsReceived, type FromSsh, type SshCall, type SshInit, type ToSsh } from './messages.js';

/** The built entry beside this file; run from sources (the unit tests), its TypeScript through tsx. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const ENTRY = fileURLToPath(new URL(FROM_SOURCES ? './child.ts' : './child.js', import.meta.url));
/** coreutils' `nice` (Essential in Debian): the process starts lowered, every thread and child of it too. */
const NICE_PATH = '/usr/bin/nice';

/** Waits before starting a process that died again, by how many times in a row it died young. */
const RESTART_DELAYS_MS = [0, 1_000, 5_000, 30_000];
/** A process that served this long before it died was not dying young: the waits start over. */
const STEADY_MS = 60_000;
/** How long a stopping process has to close its connections before it is killed. */
const STOP_GRACE_MS = 2_000;

export interface SshProcessDeps {
  readonly init: SshInit;
  /** Run the process (and so every rsync it starts) at this niceness; 0 as the daemon runs. */
  readonly nice: number;
  /** The plugin's log: the process's lines are written here. */
  readonly log: Logger;
  /** Answer a call of the SSH process. */
  answer(call: SshCall): Promise<unknown>;
  /** The process ended while it served; what it ran ended with it. */
  lost(why: string): void;
}

/** What /status shows of the process. */
export interface SshProcessStatus {
  readonly pid: number | null;
  /** Times it was started again after dying, since the plugin started. */
  readonly restarts: number;
}

export class SshProcess {
  private child: ChildProcess | undefined;
  /** The running process's exit, awaited by stop. */
  private exited: Promise<void> = Promise.resolve();
  private serving = false;
  private stopping = false;
  private restarts = 0;
  private diedYoung = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly deps: SshProcessDeps) {}

  /** Fork the process; resolves once it serves, throws BACKUP_ERR_SSH_PROCESS when it cannot. */
  start(): Promise<void> {
    return this.spawn();
  }

  /** Hand a socket of the SSH port to the process, or close it while there is none. */
  readonly accept = (socket: Socket): void => {
    const child = this.child;
    if (!child?.connected || !this.serving) {
      socket.destroy();
      return;
    }
    child.send({ kind: 'connection' } satisfies ToSsh, socket, {}, (err) => err && socket.destroy());
  };

  status(): SshProcessStatus {
    return { pid: this.serving ? (this.child?.pid ?? null) : null, restarts: this.restarts };
  }

  /** Stop the process (its connections are closed, rsync ended); killed past STOP_GRACE_MS. Resolves once it has exited. */
  stop(): Promise<void> {
    this.stopped ??= this.end();
    return this.stopped;
  }

  private async end(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    if (child.connected) child.send({ kind: 'stop' } satisfies ToSsh, undefined, {}, () => {});
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(kill);
  }

  private spawn(): Promise<void> {
    const { log, nice } = this.deps;
    // Node's fork() with a prefix: lowered from its first instruction, so no thread or rsync
    // it starts escapes the niceness (renicing after the start would catch only the main thread).
    const node = [process.execPath, ...(FROM_SOURCES ? ['--import', 'tsx'] : []), ENTRY];
    const [command, ...args] = nice > 0 ? [NICE_PATH, '-n', String(nice), ...node] : node;
    const child = spawn(command!, args, {
      serialization: 'advanced',
      // Lines come over IPC; stderr is kept for what only Node itself would say (a fatal error).
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child = child;
    const started = Date.now();
    let ready = false;
    let resolveExit!: () => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));

    return new Promise<void>((resolve, reject) => {
      let gone = false;
      const ended = (why: string) => {
        if (gone) return;
        gone = true;
        resolveExit();
        if (this.child === child) {
          this.child = undefined;
          this.serving = false;
        }
        const error = BackupErrors.SSH_PROCESS(why);
        if (!ready) reject(error);
        else if (!this.stopping) this.died(error, Date.now() - started);
      };
      child.on('message', (message: FromSsh) => {
        switch (message.kind) {
          case 'ready':
            ready = true;
            this.serving = !this.stopping;
            resolve();
            return;
          case 'log':
            log[message.level](fieldsReceived(message.fields), message.message);
            return;
          case 'call':
            void answer(message, (call) => this.deps.answer(call), (reply) => {
              if (child.connected) child.send(reply satisfies ToSsh, undefined, {}, () => {});
            });
            return;
        }
      });
      child.on('error', (err) => {
        // Never started (no pid): that is its end. Otherwise a message that could not go: the process is on its way out.
        if (child.pid === undefined) ended(`could not be started: ${err.message}`);
        else log.debug({ err }, 'SSH process: message not delivered');
      });
      child.once('exit', (code, signal) => ended(signal ? `was killed by ${signal}` : `exited with code ${code}`));
      child.send({ kind: 'init', init: this.deps.init } satisfies ToSsh, undefined, {}, () => {});
    });
  }

  /** The process died while serving: say so, let go of what it ran, and start another. */
  private died(error: Error & { code: string }, livedMs: number): void {
    this.diedYoung = livedMs >= STEADY_MS ? 0 : this.diedYoung + 1;
    const delay = RESTART_DELAYS_MS[Math.min(Math.max(this.diedYoung - 1, 0), RESTART_DELAYS_MS.length - 1)]!;
    this.deps.log.error({ code: error.code, restartInMs: delay }, `${error.message}; the connections it served were cut, and it is started again`);
    this.deps.lost(error.message);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn().then(
        () => {
          this.restarts++;
          this.deps.log.info({ sshPid: this.child?.pid, restarts: this.restarts }, 'SSH process started again');
        },
        (err: Error & { code: string }) => {
          if (!this.stopping) this.died(err, 0);
        },
      );
    }, delay);
  }
}
