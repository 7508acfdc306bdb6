/**
 * A service manager's notification socket, for tests: a real AF_UNIX datagram
 * socket (python3 binds it; Node cannot) that records each message as systemd
 * would read it, closing any file descriptor passed along (systemd-notify's
 * barrier waits for exactly that).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const RECEIVER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - len(data) % 4])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"message": msg.decode()}), flush=True)
`;

export interface Notification {
  /** The assignments of one datagram, e.g. { READY: '1', STATUS: '…' }. */
  readonly fields: Record<string, string>;
  /** When it arrived (Date.now(), comparable with the daemon log's `time`). */
  readonly at: number;
}

export class NotifySocket {
  readonly messages: Notification[] = [];
  private waiters: { test: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];

  private constructor(readonly path: string, private readonly dir: string, private readonly child: ChildProcess) {}

  static async open(): Promise<NotifySocket> {
    const dir = await mkdtemp(join(tmpdir(), 'sugar-server-notify-'));
    const path = join(dir, 'notify.sock');
    const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const socket = new NotifySocket(path, dir, child);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the notify receiver exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { bound?: true; message?: string };
        if (event.bound) return resolve();
        socket.received(event.message!);
      });
    });
    return socket;
  }

  /** Datagrams other than systemd-notify's own barriers. */
  get notifications(): Notification[] {
    return this.messages.filter((n) => !('BARRIER' in n.fields));
  }

  /** The first notification (past or future) that passes `test`, after the first `skip` notifications. */
  next(test: (fields: Record<string, string>) => boolean, skip = 0, timeoutMs = 20_000): Promise<Notification> {
    const wanted = (n: Notification) => !('BARRIER' in n.fields) && this.notifications.indexOf(n) >= skip && test(n.fields);
    const past = this.notifications.find(wanted);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such notification within ${timeoutMs} ms; got ${JSON.stringify(this.notifications.map((n) => n.fields))}`)), timeoutMs);
      this.waiters.push({ test: wanted, resolve: (n) => (clearTimeout(timer), resolve(n)) });
    });
  }

  async close(): Promise<void> {
    this.child.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private received(text: string): void {
    const fields = Object.fromEntries(text.split('\n').filter(Boolean).map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1)];
    }));
    const notification = { fields, at: Date.now() };
    this.messages.push(notification);
    this.waiters = this.waiters.filter((w) => (w.test(notification) ? (w.resolve(notification), false) : true));
  }
}
