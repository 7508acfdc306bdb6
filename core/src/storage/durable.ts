/** Writing files so that a crash leaves the old or the new content, never a mix. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * fsync a folder (or a file): a create, rename or unlink in a folder is durable
 * only once the folder's entry is on disk.
 */
export async function syncDir(dir: string): Promise<void> {
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Write `parts` to `file` atomically: a temp file beside it, fsync, rename over, fsync the folder. */
export async function writeFileAtomically(file: string, parts: readonly (string | Uint8Array)[], mode = 0o600): Promise<void> {
  // Unique, so two writers of one file (a compaction, a migration) never share a temp file.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', mode);
  try {
    try {
      for (const part of parts) await handle.writeFile(part);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    // A half-written temp file on a full disk holds the very space the next try needs.
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(file));
}

/** A file's text, or null when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Cut `file` to `size` bytes, durably. */
export async function truncateDurably(file: string, size: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(size);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
