/**
 * The on-disk format version of a store, in its snapshot header
 * (`sugar-server-store/<n>`) and its journals' magic (`SSJRNL<n>`). A version
 * that writes a new format reads every older one; a store in a format newer
 * than this code knows was written by a newer sugar-server, and opening it
 * (a downgrade) is refused before anything is read or changed.
 *
 * Format 2 is format 1 with the document's version in the snapshot header
 * (see document.ts). 0.1.0 reads format 1 and ignores header fields it does
 * not know, so a document past version 1 is written as format 2, which 0.1.0
 * refuses, rather than handed to code that would read it as version 1. A
 * document still at version 1 keeps format 1: going back stays possible while
 * no shape has changed. Journals are unchanged, and keep `SSJRNL1`.
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerErrors } from '../errors.js';
import { listJournals, journalFile, snapshotFile } from './files.js';

/** The newest format this code reads. */
export const STORE_FORMAT = 2;
/** The format journals are written in. */
export const JOURNAL_FORMAT = 1;
const SNAPSHOT_PREFIX = 'sugar-server-store/';
const JOURNAL_PREFIX = 'SSJRNL';

export const snapshotFormatName = (version: number) => `${SNAPSHOT_PREFIX}${version}`;

/** The format a snapshot holding a document of `documentVersion` is written in. */
export const snapshotFormatFor = (documentVersion: number) => (documentVersion > 1 ? 2 : 1);
export const journalMagic = (version = JOURNAL_FORMAT) => Buffer.from(`${JOURNAL_PREFIX}${version}\n`);

/** The version a snapshot header's `format` names, or undefined when it names none. */
export function snapshotFormatVersion(format: unknown): number | undefined {
  if (typeof format !== 'string' || !format.startsWith(SNAPSHOT_PREFIX)) return undefined;
  const version = Number(format.slice(SNAPSHOT_PREFIX.length));
  return Number.isSafeInteger(version) && version > 0 ? version : undefined;
}

/** The version a journal's first bytes name, or undefined when they are no journal magic. */
export function journalFormatVersion(head: Buffer): number | undefined {
  const match = /^SSJRNL(\d+)\n/.exec(head.toString('latin1', 0, 16));
  return match ? Number(match[1]) : undefined;
}

/** Throws SERVER_ERR_STORE_TOO_NEW when `version` is newer than this code writes. */
export function refuseNewer(file: string, version: number | undefined): void {
  if (version !== undefined && version > STORE_FORMAT) throw ServerErrors.STORE_TOO_NEW(file, version, STORE_FORMAT);
}

async function head(file: string, bytes: number): Promise<Buffer | null> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Before the daemon starts anything: every store under `storesDir` is in a
 * format this code reads. Only headers are read, so this costs the same for
 * an empty school and one with thousands of laptops.
 */
export async function checkStoreFormats(storesDir: string): Promise<void> {
  const entries = await readdir(storesDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const dir = join(storesDir, entry.name);
    const snapshot = await head(snapshotFile(dir), 256);
    if (snapshot) {
      const line = snapshot.toString('utf8').split('\n')[0]!;
      const format = /"format"\s*:\s*"([^"]*)"/.exec(line)?.[1];
      refuseNewer(snapshotFile(dir), snapshotFormatVersion(format));
    }
    for (const n of await listJournals(dir)) {
      const magic = await head(journalFile(dir, n), 16);
      if (magic) refuseNewer(journalFile(dir, n), journalFormatVersion(magic));
    }
  }
}
