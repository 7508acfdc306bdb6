/**
 * One daemon per data folder. The lock file is made with O_EXCL and names its
 * owner: the pid, and where the system can tell, the boot and the process's start
 * time. A pid alone is not enough: after a reboot the same pid may belong to any
 * other process. A lock whose owner is gone is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerErrors, withCause } from './errors.js';

interface Owner {
  readonly pid: number;
  /** `<boot id> <start time>`; absent in locks written where /proc is not available. */
  readonly identity: string | null;
}

export class DataDirLock {
  private constructor(readonly file: string) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const file = join(dataDir, 'sugar-server.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o644);
        const identity = await processIdentity(process.pid);
        await handle.writeFile(identity ? `${process.pid}\n${identity}\n` : `${process.pid}\n`);
        await handle.sync();
        await handle.close();
        return new DataDirLock(file);
      } catch (err) {
        const { code, message } = err as NodeJS.ErrnoException;
        // A read-only or full disk: say which folder, not a stack trace.
        if (code !== 'EEXIST') throw withCause(ServerErrors.DATA_UNWRITABLE(dataDir, message), err);
      }
      const owner = await readOwner(file);
      if (owner && owner.pid !== process.pid && (await isRunning(owner))) throw ServerErrors.DATA_LOCKED(dataDir, owner.pid);
      // Stale: its owner died without cleaning up. Remove and try again.
      await unlink(file).catch(() => {});
    }
    throw ServerErrors.DATA_LOCKED(dataDir, (await readOwner(file))?.pid ?? -1);
  }

  async release(): Promise<void> {
    if ((await readOwner(this.file))?.pid === process.pid) await unlink(this.file).catch(() => {});
  }
}

async function readOwner(file: string): Promise<Owner | null> {
  try {
    const [first = '', second = ''] = (await readFile(file, 'utf8')).split('\n');
    const pid = Number.parseInt(first, 10);
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, identity: second.trim() || null } : null;
  } catch {
    return null;
  }
}

/** Whether the lock's owner is still the process that wrote it. */
async function isRunning(owner: Owner): Promise<boolean> {
  if (!pidExists(owner.pid)) return false;
  const identity = await processIdentity(owner.pid);
  // Without /proc there is nothing more to check: trust the pid.
  if (identity === null) return true;
  if (owner.identity !== null) return owner.identity === identity;
  // A lock that names only a pid: live if that process is a sugar-server.
  return isSugarServer(owner.pid);
}

/** Whether a process with `pid` exists, also when it belongs to another user (systemd's daemon). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `<boot id> <start time>` of a process: unique across reboots and pid reuse.
 * Null where /proc cannot tell (not Linux, or the process is gone).
 */
async function processIdentity(pid: number): Promise<string | null> {
  try {
    const [boot, stat] = await Promise.all([readFile('/proc/sys/kernel/random/boot_id', 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]);
    // Fields after the command name, which is in parentheses and may hold spaces; start time is field 22.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return startTime ? `${boot.trim()} ${startTime}` : null;
  } catch {
    return null;
  }
}

/** Whether `pid` runs sugar-server: its command line names it, or the script this process runs. */
async function isSugarServer(pid: number): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const script = process.argv[1];
    return args.some((arg) => arg.includes('sugar-server') || (script !== undefined && arg === script));
  } catch {
    return false;
  }
}
