/**
 * How full the backup volume is and how loaded the machine is: the old XS's
 * reasons to say "busy". Space and inodes as the old check read them from
 * statvfs (used = 1 - free / total); file systems that report no inode count
 * (btrfs) have no inode limit.
 */
import { statfs } from 'node:fs/promises';
import { loadavg } from 'node:os';

export interface VolumeUse {
  /** 0 to 1. */
  readonly disk: number;
  /** 0 to 1, or null when the file system does not count inodes. */
  readonly inodes: number | null;
}

/** What the busy checks read from the system; tests give their own. */
export interface SystemProbe {
  loadAverage(): number;
  volumeUse(path: string): Promise<VolumeUse>;
}

export const systemProbe: SystemProbe = {
  loadAverage: () => loadavg()[0]!,
  async volumeUse(path) {
    const fs = await statfs(path);
    return {
      disk: fs.blocks > 0 ? 1 - fs.bfree / fs.blocks : 0,
      inodes: fs.files > 0 ? 1 - fs.ffree / fs.files : null,
    };
  },
};

/** The size of the file system holding `path`, in bytes. */
export async function volumeSize(path: string): Promise<number> {
  const fs = await statfs(path);
  return fs.blocks * fs.bsize;
}
