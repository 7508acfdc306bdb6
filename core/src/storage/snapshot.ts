/**
 * A store's snapshot: one header line, then the document as JSON. The header
 * names the first journal that still applies on top of it, so a crash between
 * writing a snapshot and deleting the journals it absorbed is harmless, and
 * the document's version (format 2; absent in format 1, where it is 1), so a
 * migration and the journals it absorbed are recorded by one rename.
 */
import { ServerErrors, withCause } from '../errors.js';
import { readTextIfExists, writeFileAtomically } from './durable.js';
import { FIRST_DOCUMENT_VERSION } from './document.js';
import { refuseNewer, snapshotFormatFor, snapshotFormatName, snapshotFormatVersion } from './format.js';

export interface Snapshot<T> {
  readonly data: T;
  /** The first journal number to replay on top of `data`. */
  readonly journal: number;
  /** The version of the document's shape. */
  readonly document: number;
  readonly bytes: number;
}

interface Header {
  format?: string;
  journal?: number;
  document?: number;
}

export async function readSnapshot<T>(file: string): Promise<Snapshot<T> | null> {
  const text = await readTextIfExists(file);
  if (text === null) return null;
  const newline = text.indexOf('\n');
  let header: Header;
  try {
    header = JSON.parse(text.slice(0, newline)) as Header;
  } catch (err) {
    throw withCause(ServerErrors.STORE_CORRUPT(file, (err as Error).message), err);
  }
  const version = snapshotFormatVersion(header.format);
  refuseNewer(file, version);
  try {
    const document = version === 1 ? FIRST_DOCUMENT_VERSION : header.document;
    if (version === undefined || !Number.isSafeInteger(header.journal)) throw new Error(`unknown header ${text.slice(0, Math.min(newline, 80))}`);
    if (!Number.isSafeInteger(document) || document! < FIRST_DOCUMENT_VERSION) throw new Error(`the header names no document version: ${text.slice(0, Math.min(newline, 80))}`);
    return { data: JSON.parse(text.slice(newline + 1)) as T, journal: header.journal!, document: document!, bytes: text.length };
  } catch (err) {
    throw withCause(ServerErrors.STORE_CORRUPT(file, (err as Error).message), err);
  }
}

/** Write a snapshot durably; returns its size. */
export async function writeSnapshot(file: string, data: unknown, journal: number, document: number): Promise<number> {
  const format = snapshotFormatFor(document);
  const header = `${JSON.stringify(format === 1 ? { format: snapshotFormatName(format), journal } : { format: snapshotFormatName(format), journal, document })}\n`;
  const body = JSON.stringify(data);
  await writeFileAtomically(file, [header, body]);
  return header.length + body.length;
}
