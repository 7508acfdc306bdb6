/**
 * One rsync run on behalf of a laptop, in the SSH process: the server's rsync
 * started with the argument vector the daemon checked (no shell), in the
 * laptop's folder, with a bare environment, its stdin/stdout/stderr joined to
 * the SSH channel. The exit status is sent back as the channel's once the
 * daemon has been told how the run ended (sendExitStatus).
 */
import { spawn } from 'node:child_process';
import type { ServerChannel } from 'ssh2';
import { BackupErrors } from './errors.js';

export interface RsyncRun {
  /** The rsync binary. */
  readonly rsyncPath: string;
  /** Everything after the binary: `--server`, options, `.`, paths. */
  readonly args: readonly string[];
  /** The laptop's folder. */
  readonly cwd: string;
  /**
   * HOME for rsync: an empty folder of the server's, since rsync reads
   * option aliases from `$HOME/.popt` and no laptop may choose them.
   */
  readonly home: string;
}

/** How a run ended. */
export interface RsyncOutcome {
  /** rsync's exit code, or null when it was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Bytes from the laptop, and to it (rsync's stream, compressed as it travels). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Last lines rsync wrote to stderr, for the log. */
  readonly stderr: string;
}

const STDERR_KEPT = 2000;

/** Start rsync for `channel`; resolves when rsync has exited. `abort()` ends it early. */
export function runRsync(channel: ServerChannel, run: RsyncRun): { done: Promise<RsyncOutcome>; abort(): void } {
  // Forked from the SSH process, which is small: the fork costs little, and only this process's loop waits for it.
  const child = spawn(run.rsyncPath, [...run.args], {
    cwd: run.cwd,
    env: { PATH: '/usr/bin:/bin', HOME: run.home, LC_ALL: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let bytesIn = 0;
  let bytesOut = 0;
  let stderr = '';
  channel.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
  child.stdout.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    channel.stderr.write(chunk);
  });
  // rsync may exit while the laptop still sends; what it did not read is dropped.
  child.stdin.on('error', () => {});
  channel.pipe(child.stdin);
  child.stdout.pipe(channel, { end: false });

  const done = new Promise<RsyncOutcome>((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      resolve({ code, signal, bytesIn, bytesOut, stderr: stderr.trim() });
    };
    child.on('error', (err) => {
      // rsync was removed or broken after start (a package upgrade half done): say so with the code start-up uses.
      const error = BackupErrors.NO_RSYNC(run.rsyncPath, err.message);
      stderr = `${error.code}: ${error.message}`;
      channel.stderr.write(`sugar-server: ${stderr}\n`);
      finish(null, null);
    });
    child.on('close', finish);
  });
  // The laptop went away: rsync has no one to talk to.
  channel.on('close', () => child.kill('SIGTERM'));
  return { done, abort: () => child.kill('SIGTERM') };
}

/** Tell the laptop rsync's exit status (255 for a signal), after everything rsync wrote, and close the channel. */
export function sendExitStatus(channel: ServerChannel, code: number | null): void {
  // An empty write completes only after everything written before it, so the
  // exit status never overtakes the end of rsync's output.
  channel.write(Buffer.alloc(0), () => {
    channel.exit(code ?? 255);
    channel.end();
  });
}
