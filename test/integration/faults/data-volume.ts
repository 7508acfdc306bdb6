/**
 * A data folder on a small file system of the daemon's own: a tmpfs mounted
 * over `<root>/var/lib/sugar-server` inside a private mount namespace
 * (`unshare -m`), so a test can fill it up or make it read-only while nothing
 * outside that daemon sees it, and nothing is left mounted when it exits.
 * Needs root (CI runs as root). The test reaches the mount through
 * `/proc/<pid>/root`, which resolves paths in the daemon's namespace.
 */
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandResult, DaemonProcess, StartOptions } from '../../harness/index.js';
import { DAEMON_MAIN, runCommand } from '../../harness/index.js';
import { runTool } from '../backup/run-tool.js';

const FILLER = '.disk-filler';

/** Mount a tmpfs of `size` (e.g. `16m`) over the data folder (read-only with `ro`), then exec the daemon. */
export function onSmallVolume(root: string, size: string, mode: 'rw' | 'ro' = 'rw'): StartOptions['wrap'] {
  const dataDir = join(root, 'var/lib/sugar-server');
  const script = 'mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0755,$3" sugar-server-faults "$1" && shift 3 && exec "$@"';
  return (command) => ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', dataDir, size, mode, ...command];
}

export class DataVolume {
  constructor(private readonly daemon: DaemonProcess) {}

  /** The data folder as the daemon sees it. */
  get dir(): string {
    return join(this.daemon.root, 'var/lib/sugar-server');
  }

  /** A path under the data folder, reached from outside the daemon's namespace. */
  path(...parts: string[]): string {
    return join(`/proc/${this.daemon.child.pid}/root`, this.dir, ...parts);
  }

  /** Bytes still free on the volume. */
  async free(): Promise<number> {
    const stats = await statfs(this.path());
    return stats.bavail * stats.bsize;
  }

  /** Write a filler file until the volume is full, leaving `leave` bytes free (rounded to pages). */
  async fill(leave = 0): Promise<void> {
    const file = await open(this.path(FILLER), 'a');
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (let room = (await this.free()) - leave; room > 0; room = (await this.free()) - leave) {
        try {
          await file.write(chunk, 0, Math.min(chunk.length, room));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    } finally {
      await file.close();
    }
  }

  /** The admin frees space: the filler goes. */
  async clear(): Promise<void> {
    await rm(this.path(FILLER), { force: true });
  }

  /** The `sugar-server` CLI in the daemon's mount namespace, where its data folder is. */
  cli(...args: string[]): Promise<CommandResult> {
    return runCommand('nsenter', ['-t', String(this.daemon.child.pid), '-m', process.execPath, DAEMON_MAIN, ...args, '--root', this.daemon.root]);
  }

  /**
   * Make the data folder read-only: a read-only bind mount of it laid over it.
   * Linux refuses `mount -o remount,ro` (EBUSY) while files are open for
   * writing, as the daemon's store journals always are, so those keep their
   * writes; everything the daemon opens, creates, renames or removes from now
   * on meets EROFS, as on a disk an admin mounted read-only.
   */
  async readOnly(): Promise<void> {
    await this.inNamespace('mount', '--bind', '-o', 'ro', this.dir, this.dir);
  }

  /** Lift {@link readOnly}: the folder is writable again. */
  async writable(): Promise<void> {
    await this.inNamespace('umount', this.dir);
  }

  private async inNamespace(...command: string[]): Promise<void> {
    const result = await runTool('nsenter', ['-t', String(this.daemon.child.pid), '-m', ...command]);
    if (result.code !== 0) throw new Error(`${command.join(' ')} failed: ${result.stderr}`);
  }
}
