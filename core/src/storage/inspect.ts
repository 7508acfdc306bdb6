/**
 * Reading a store without changing it, for the admin's `sugar-server store`
 * commands: what it holds, and whether its files are whole.
 */
import { copyFile, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerErrors } from '../errors.js';
import { syncDir, truncateDurably } from './durable.js';
import { journalFile, listJournals, snapshotFile } from './files.js';
import { replayJournals } from './replay.js';
import { readSnapshot } from './snapshot.js';

export interface StoreReport {
  readonly name: string;
  readonly data: unknown;
  /** The version of the document's shape, as its plugin last wrote it. */
  readonly document: number;
  readonly snapshotBytes: number;
  readonly journals: readonly number[];
  readonly records: number;
  readonly tornBytes: number;
}

/** The stores under `storesDir` (one folder each). */
export async function listStores(storesDir: string): Promise<string[]> {
  const entries = await readdir(storesDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Rebuild a store's document read-only; throws the same typed errors as opening it. */
export async function inspectStore(storesDir: string, name: string): Promise<StoreReport> {
  const dir = join(storesDir, name);
  const snapshot = await readSnapshot<object>(snapshotFile(dir));
  if (!snapshot) throw ServerErrors.STORE_CORRUPT(snapshotFile(dir), 'no snapshot: not a store, or not made yet');
  const journals = (await listJournals(dir)).filter((n) => n >= snapshot.journal);
  const last = journals.length ? journals[journals.length - 1]! : snapshot.journal;
  const replayed = journals.length ? await replayJournals(snapshot.data, dir, snapshot.journal, last, true) : { records: 0, tornBytes: 0 };
  return { name, data: snapshot.data, document: snapshot.document, snapshotBytes: snapshot.bytes, journals, records: replayed.records, tornBytes: replayed.tornBytes };
}

/**
 * Keep the records before `offset` in a damaged journal: the journal and every
 * later one (their records may build on what is cut) are copied aside as
 * `*.damaged-<time>` first. Returns the files set aside.
 */
export async function truncateJournal(file: string, offset: number, now = new Date()): Promise<string[]> {
  const match = /^(.*)\/journal-(\d{8,})\.log$/.exec(file);
  if (!match) throw ServerErrors.USAGE(`${file} is not a store journal (journal-NNNNNNNN.log)`);
  const [, dir, number] = match;
  const size = (await stat(file)).size;
  if (!Number.isSafeInteger(offset) || offset < 8 || offset > size) throw ServerErrors.USAGE(`--at must be a byte offset from 8 to ${size}, got ${offset}`);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const aside: string[] = [];
  const damaged = `${file}.damaged-${stamp}`;
  await copyFile(file, damaged);
  aside.push(damaged);
  for (const later of (await listJournals(dir!)).filter((n) => n > Number(number))) {
    const path = journalFile(dir!, later);
    await rename(path, `${path}.damaged-${stamp}`);
    aside.push(`${path}.damaged-${stamp}`);
  }
  await truncateDurably(file, offset);
  await syncDir(dir!);
  return aside;
}
