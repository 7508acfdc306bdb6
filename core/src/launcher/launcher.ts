/**
 * Starting child processes without holding up the event loop.
 *
 * Node's `spawn` forks the whole daemon and then waits for the child to exec.
 * With a daemon of a few hundred MiB on a busy two-core school server that
 * is tens of milliseconds per child, all of it on the event loop, and Node
 * takes one new connection per listening port per turn of the loop: during a
 * wave of backups (an rsync, a `cp -al` and a `find` or two per laptop) port
 * 191 and the HTTP port fell minutes behind while the loop itself looked
 * healthy. Here the children are started and fed by a thread of their own;
 * the daemon's thread only passes messages.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ErrorInfo, FromRunner, StreamName, ToRunner } from './protocol.js';
import { serveLaunches } from './runner.js';

const WORKER = new URL('./worker.js', import.meta.url);
/** Bytes of a child's stdin sent ahead of its pipe taking them: enough to keep rsync busy, little to hold. */
const STDIN_AHEAD_BYTES = 1024 * 1024;

export interface LaunchOptions {
  readonly cwd?: string;
  /** The child's whole environment (nothing is inherited when given). */
  readonly env?: Readonly<Record<string, string>>;
  /** Give the child a stdin pipe (default); false gives it /dev/null. */
  readonly stdin?: boolean;
}

/** A child started by the launcher: the parts of Node's `ChildProcess` the daemon uses. */
export interface LaunchedProcess extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Known once the child has started. */
  readonly pid: number | undefined;
  /** Send `signal` (SIGTERM by default); false when the child has already ended. */
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  /** After its output has been read to the end, as Node's `close`. */
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

interface Link {
  post(message: ToRunner, transfer?: ArrayBuffer[]): void;
  ref(): void;
  unref(): void;
  close(): Promise<void>;
}

class Child extends EventEmitter implements LaunchedProcess {
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  pid: number | undefined;
  private closed = false;
  private ahead = 0;
  private waitingWrite: (() => void) | undefined;
  private readonly paused = { stdout: false, stderr: false };

  constructor(
    private readonly id: number,
    private readonly post: (message: ToRunner, transfer?: ArrayBuffer[]) => void,
    withStdin: boolean,
  ) {
    super();
    this.stdout = this.output('stdout');
    this.stderr = this.output('stderr');
    this.stdin = withStdin
      ? new Writable({
          write: (chunk: Buffer, _encoding, done) => {
            if (this.closed) return done();
            const copy = new Uint8Array(chunk);
            this.post({ type: 'write', id, chunk: copy }, [copy.buffer as ArrayBuffer]);
            this.ahead += copy.byteLength;
            if (this.ahead < STDIN_AHEAD_BYTES) done();
            else this.waitingWrite = done;
          },
          final: (done) => {
            if (!this.closed) this.post({ type: 'end-stdin', id });
            done();
          },
        })
      : null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.closed) return false;
    this.post({ type: 'kill', id: this.id, signal });
    return true;
  }

  /** One message from the launcher thread about this child. */
  receive(message: FromRunner): void {
    switch (message.type) {
      case 'spawned':
        this.pid = message.pid;
        return;
      case 'data': {
        const stream = this[message.stream];
        const more = stream.push(Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
        if (!more && !this.paused[message.stream]) {
          this.paused[message.stream] = true;
          this.post({ type: 'pause', id: this.id, stream: message.stream });
        }
        return;
      }
      case 'written':
        this.ahead -= message.bytes;
        this.releaseWriter();
        return;
      case 'error':
        this.emit('error', rebuildError(message.error));
        return;
      case 'close':
        this.end(message.code, message.signal);
        return;
    }
  }

  /** The child is gone (or the launcher thread is): end its streams, then say `close`. */
  end(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    this.ahead = 0;
    this.releaseWriter();
    let open = 2;
    const ended = () => {
      if (--open === 0) this.emit('close', code, signal);
    };
    for (const stream of [this.stdout, this.stderr]) {
      // Wait for what a reader has yet to take; a stream nobody reads holds nothing up.
      const beingRead = stream.readableFlowing !== null && !stream.readableEnded && !stream.destroyed;
      if (beingRead) stream.once('end', ended).once('close', () => stream.readableEnded || ended());
      stream.push(null);
      if (!beingRead) ended();
    }
  }

  private output(name: StreamName): Readable {
    return new Readable({
      read: () => {
        if (!this.paused[name] || this.closed) return;
        this.paused[name] = false;
        this.post({ type: 'resume', id: this.id, stream: name });
      },
    });
  }

  private releaseWriter(): void {
    if (this.waitingWrite && this.ahead < STDIN_AHEAD_BYTES) {
      const done = this.waitingWrite;
      this.waitingWrite = undefined;
      done();
    }
  }
}

/**
 * Starts children from a thread of its own (a worker once built; in this thread
 * over a message channel when run from sources, as the unit tests do). The
 * thread holds the process open only while a child runs.
 */
export interface LauncherOptions {
  /** The thread's script (the built `worker.js` beside this file by default). */
  readonly worker?: URL;
}

export class ProcessLauncher {
  private link: Link | undefined;
  private readonly children = new Map<number, Child>();
  private nextId = 1;

  constructor(private readonly options: LauncherOptions = {}) {}

  launch(program: string, args: readonly string[], options: LaunchOptions = {}): LaunchedProcess {
    const link = this.connect();
    const id = this.nextId++;
    const withStdin = options.stdin !== false;
    const child = new Child(id, (message, transfer) => link.post(message, transfer), withStdin);
    this.children.set(id, child);
    child.once('close', () => {
      this.children.delete(id);
      if (this.children.size === 0) this.link?.unref();
    });
    link.ref();
    link.post({ type: 'spawn', id, program, args: [...args], ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.env ? { env: { ...options.env } } : {}), stdin: withStdin });
    return child;
  }

  /** End the thread; children still running are killed first. */
  async close(): Promise<void> {
    const link = this.link;
    if (!link) return;
    for (const child of this.children.values()) child.kill('SIGKILL');
    this.link = undefined;
    await link.close();
  }

  private connect(): Link {
    const script = this.options.worker ?? WORKER;
    this.link ??= existsSync(script) ? this.workerLink(script) : this.inThreadLink();
    return this.link;
  }

  private receive = (message: FromRunner) => this.children.get(message.id)?.receive(message);

  private workerLink(script: URL): Link {
    const worker = new Worker(script);
    worker.on('message', this.receive);
    const lost = (why: string) => {
      if (this.link !== link) return;
      this.link = undefined;
      // Every child it held is now out of reach: say so to whoever waits on them.
      for (const child of [...this.children.values()]) {
        child.emit('error', Object.assign(new Error(`the process launcher thread ${why}`), { code: 'ERR_LAUNCHER_LOST' }));
        child.end(null, null);
      }
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with ${code}`));
    const link: Link = {
      post: (message, transfer) => worker.postMessage(message, transfer),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      close: async () => {
        await worker.terminate();
      },
    };
    worker.unref();
    return link;
  }

  private inThreadLink(): Link {
    const { port1, port2 } = new MessageChannel();
    serveLaunches(port2 as unknown as MessagePort & { on(event: 'message', listener: (message: never) => void): unknown });
    port1.on('message', this.receive);
    port1.unref();
    port2.unref();
    return {
      post: (message, transfer) => port1.postMessage(message, transfer),
      ref: () => port1.ref(),
      unref: () => port1.unref(),
      close: async () => {
        port1.close();
        port2.close();
      },
    };
  }
}

function rebuildError(info: ErrorInfo): NodeJS.ErrnoException {
  return Object.assign(new Error(info.message), {
    ...(info.code ? { code: info.code } : {}),
    ...(info.errno !== undefined ? { errno: info.errno } : {}),
    ...(info.syscall ? { syscall: info.syscall } : {}),
    ...(info.path ? { path: info.path } : {}),
  });
}

/** The daemon's one launcher: a thread per process is enough for every plugin. */
let shared: ProcessLauncher | undefined;

/**
 * Start `program` with `args` (an argument vector, never a shell) from the
 * launcher thread; the event loop only passes its input and output on.
 */
export function launch(program: string, args: readonly string[], options: LaunchOptions = {}): LaunchedProcess {
  shared ??= new ProcessLauncher();
  return shared.launch(program, args, options);
}
