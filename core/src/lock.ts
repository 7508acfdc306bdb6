/**
 * One daemon per data folder. The lock file holds the owner's pid and is made with
 * O_EXCL; a lock whose pid is gone (the daemon was killed) is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerErrors } from './errors.js';

export class DataDirLock {
  private constructor(readonly file: string) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const file = join(dataDir, 'sugar-server.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o644);
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
        await handle.close();
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = await readOwner(file);
      if (owner !== null && owner !== process.pid && isAlive(owner)) throw ServerErrors.DATA_LOCKED(dataDir, owner);
      // Stale: its owner died without cleaning up. Remove and try again.
      await unlink(file).catch(() => {});
    }
    throw ServerErrors.DATA_LOCKED(dataDir, (await readOwner(file)) ?? -1);
  }

  async release(): Promise<void> {
    if ((await readOwner(this.file)) === process.pid) await unlink(this.file).catch(() => {});
  }
}

async function readOwner(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
