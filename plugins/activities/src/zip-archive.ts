/**
 * Reading a zip archive by random access with yauzl: the central directory,
 * each entry's place in the file, and an entry's data unpacked as a stream.
 * Nothing is extracted to disk; metadata files are kept in memory up to a cap.
 *
 * yauzl is opened without its own name checks and size assertions
 * (`decodeStrings: false`, `validateEntrySizes: false`): the checks in
 * `bundle-checks.ts` and the counting here give each refusal its own reason and
 * code instead of one opaque parse error.
 */
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ActivitiesErrors } from './errors.js';

/** One entry of the central directory. */
export interface ZipEntry {
  /** The name as stored, decoded (UTF-8 when flagged, else CP437); backslashes are kept. */
  readonly name: string;
  readonly entry: Entry;
}

/** Where an entry sits in the file: its local header through the end of its data. */
export interface EntrySpan {
  readonly start: number;
  readonly end: number;
  /** The name in the local header, which must match the central directory's. */
  readonly localName: Buffer;
}

/** Unix file types from the upper half of the external attributes, as Info-ZIP stores them. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const MADE_BY_UNIX = 3;

const OPTIONS = { autoClose: false, decodeStrings: false, validateEntrySizes: false };

/** Open an archive, from its file or from its bytes; throws ACTIVITIES_ERR_NOT_ZIP when it has no readable central directory. */
export async function openZip(source: string | Buffer): Promise<ZipFile> {
  try {
    return await (typeof source === 'string' ? yauzl.openPromise(source, OPTIONS) : yauzl.fromBufferPromise(source, OPTIONS));
  } catch (err) {
    throw ActivitiesErrors.NOT_ZIP((err as Error).message);
  }
}

/** Every entry of the central directory, in order; refuses more than `maxEntries` before reading them. */
export async function readCentralDirectory(zip: ZipFile, maxEntries: number): Promise<ZipEntry[]> {
  if (zip.entryCount > maxEntries) throw ActivitiesErrors.BOMB(`${zip.entryCount} entries, more than the ${maxEntries} allowed`);
  const entries: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      entries.push({ name, entry });
      zip.readEntry();
    });
    zip.once('end', resolve);
    zip.once('error', (err: Error) => reject(ActivitiesErrors.NOT_ZIP(err.message)));
    zip.readEntry();
  });
  return entries;
}

/** `file`, `directory`, `symlink` or `other` from the Unix mode an archiver stored; null when none was stored. */
export function unixFileType(entry: Entry): 'file' | 'directory' | 'symlink' | 'other' | null {
  if (entry.versionMadeBy >> 8 !== MADE_BY_UNIX) return null;
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (type === 0) return null;
  if (type === S_IFREG) return 'file';
  if (type === S_IFDIR) return 'directory';
  return type === S_IFLNK ? 'symlink' : 'other';
}

/** Read an entry's local header: where it starts and ends in the file. */
export async function entrySpan(zip: ZipFile, item: ZipEntry): Promise<EntrySpan> {
  try {
    const header = await zip.readLocalFileHeaderPromise(item.entry);
    return { start: item.entry.relativeOffsetOfLocalHeader, end: header.fileDataStart + item.entry.compressedSize, localName: header.fileName };
  } catch (err) {
    throw ActivitiesErrors.CORRUPT(item.name, (err as Error).message);
  }
}

/** Counts unpacked bytes against the limits as they come out of the inflater. */
export interface UnpackMeter {
  /** Called with each unpacked chunk's length; throws ACTIVITIES_ERR_BOMB past a limit. */
  add(name: string, bytes: number): void;
}

/**
 * Unpack one entry, counting the bytes actually produced (the sizes in the
 * headers are not trusted) and checking its CRC-32 as Python's zipfile and
 * unzip do on the laptop. Keeps the data when it is at most `keep` bytes.
 */
export async function unpackEntry(zip: ZipFile, item: ZipEntry, meter: UnpackMeter, keep = 0): Promise<Buffer | undefined> {
  const { entry, name } = item;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (err) {
    throw ActivitiesErrors.CORRUPT(name, (err as Error).message);
  }
  const kept: Buffer[] = [];
  let size = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > entry.uncompressedSize) throw ActivitiesErrors.BOMB(`entry ${JSON.stringify(name)} unpacks to more than the ${entry.uncompressedSize} bytes its header declares`);
      meter.add(name, chunk.length);
      crc = crc32(chunk, crc);
      if (size <= keep) kept.push(chunk);
    }
  } catch (err) {
    if (ActivitiesErrors.BOMB.is(err)) throw err;
    throw ActivitiesErrors.CORRUPT(name, (err as Error).message);
  }
  if (size !== entry.uncompressedSize) throw ActivitiesErrors.CORRUPT(name, `${size} bytes unpacked, the header declares ${entry.uncompressedSize}`);
  if (crc >>> 0 !== entry.crc32 >>> 0) throw ActivitiesErrors.CORRUPT(name, 'CRC-32 does not match');
  return size <= keep ? Buffer.concat(kept) : undefined;
}
