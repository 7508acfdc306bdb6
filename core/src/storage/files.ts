/** Where a store keeps its files: a folder per store, a snapshot and numbered journals. */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const snapshotFile = (dir: string) => join(dir, 'snapshot.json');
export const journalFile = (dir: string, n: number) => join(dir, `journal-${String(n).padStart(8, '0')}.log`);

/** The journal numbers in `dir`, ascending. */
export async function listJournals(dir: string): Promise<number[]> {
  const numbers: number[] = [];
  for (const name of await readdir(dir)) {
    const match = /^journal-(\d{8,})\.log$/.exec(name);
    if (match) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}

/** Temp files left by a crash mid-write are never live data: drop them. */
export async function removeTemps(dir: string, prefix = ''): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => {});
  }
}
