/**
 * A store's snapshot: one header line, then the document as JSON. The header
 * names the first journal that still applies on top of it, so a crash between
 * writing a snapshot and deleting the journals it absorbed is harmless.
 */
import { ServerErrors, withCause } from '../errors.js';
import { readTextIfExists, writeFileAtomically } from './durable.js';
import { refuseNewer, snapshotFormatName, snapshotFormatVersion } from './format.js';

const FORMAT = snapshotFormatName();

export interface Snapshot<T> {
  readonly data: T;
  /** The first journal number to replay on top of `data`. */
  readonly journal: number;
  readonly bytes: number;
}

export async function readSnapshot<T>(file: string): Promise<Snapshot<T> | null> {
  const text = await readTextIfExists(file);
  if (text === null) return null;
  const newline = text.indexOf('\n');
  let header: { format?: string; journal?: number };
  try {
    header = JSON.parse(text.slice(0, newline)) as { format?: string; journal?: number };
  } catch (err) {
    throw withCause(ServerErrors.STORE_CORRUPT(file, (err as Error).message), err);
  }
  const version = snapshotFormatVersion(header.format);
  refuseNewer(file, version);
  try {
    if (header.format !== FORMAT || !Number.isSafeInteger(header.journal)) throw new Error(`unknown header ${text.slice(0, Math.min(newline, 80))}`);
    return { data: JSON.parse(text.slice(newline + 1)) as T, journal: header.journal!, bytes: text.length };
  } catch (err) {
    throw withCause(ServerErrors.STORE_CORRUPT(file, (err as Error).message), err);
  }
}

/** Write a snapshot durably; returns its size. */
export async function writeSnapshot(file: string, data: unknown, journal: number): Promise<number> {
  const header = `${JSON.stringify({ format: FORMAT, journal })}\n`;
  const body = JSON.stringify(data);
  await writeFileAtomically(file, [header, body]);
  return header.length + body.length;
}
