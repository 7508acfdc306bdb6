/**
 * The journal: an append-only file of records, each `[u32 length][u32 crc32]
 * [payload]` (big-endian), the payload one update's ops as JSON. A record is
 * acknowledged only after the write holding it was fsynced, so the only record
 * a crash can leave half-written is the last one: a short or zero-filled tail
 * is dropped on reading. A record that fails its checksum with more data after
 * it is corruption, and reading stops with the file and the offset.
 */
import { crc32 } from 'node:zlib';
import { ServerErrors } from '../errors.js';
import { journalFormatVersion, journalMagic, refuseNewer } from './format.js';

export const JOURNAL_MAGIC = journalMagic();
const HEADER = 8;

export function encodeRecord(payload: string): Buffer {
  // Encoded straight into the record: a record can be as large as a whole import.
  const length = Buffer.byteLength(payload, 'utf8');
  const record = Buffer.allocUnsafe(HEADER + length);
  record.write(payload, HEADER, 'utf8');
  record.writeUInt32BE(length, 0);
  record.writeUInt32BE(crc32(record.subarray(HEADER)), 4);
  return record;
}

export interface JournalRead {
  /** Each record's payload, in order, and where each record starts. */
  readonly payloads: string[];
  readonly offsets: number[];
  /** Where the good records end: a torn tail starts here. */
  readonly end: number;
  /** Bytes of torn tail dropped (never acknowledged). */
  readonly tornBytes: number;
}

/** Read every record of a journal's bytes; `file` only names it in errors. */
export function readJournal(bytes: Buffer, file: string, options: { tailMayBeTorn: boolean }): JournalRead {
  refuseNewer(file, journalFormatVersion(bytes));
  if (bytes.length < JOURNAL_MAGIC.length || !bytes.subarray(0, JOURNAL_MAGIC.length).equals(JOURNAL_MAGIC)) {
    // A journal is created with its magic and fsynced before any record: a short one is a torn creation.
    if (options.tailMayBeTorn && JOURNAL_MAGIC.subarray(0, bytes.length).equals(bytes)) return { payloads: [], offsets: [], end: 0, tornBytes: bytes.length };
    throw ServerErrors.STORE_JOURNAL_CORRUPT(file, 0, 'not a sugar-server journal (bad magic)');
  }
  const payloads: string[] = [];
  const offsets: number[] = [];
  let offset = JOURNAL_MAGIC.length;
  while (offset < bytes.length) {
    const problem = recordProblem(bytes, offset);
    if (problem) {
      if (options.tailMayBeTorn && isTornTail(bytes, offset)) return { payloads, offsets, end: offset, tornBytes: bytes.length - offset };
      throw ServerErrors.STORE_JOURNAL_CORRUPT(file, offset, problem);
    }
    const length = bytes.readUInt32BE(offset);
    payloads.push(bytes.toString('utf8', offset + HEADER, offset + HEADER + length));
    offsets.push(offset);
    offset += HEADER + length;
  }
  return { payloads, offsets, end: offset, tornBytes: 0 };
}

function recordProblem(bytes: Buffer, offset: number): string | null {
  if (bytes.length - offset < HEADER) return `a record header needs ${HEADER} bytes, ${bytes.length - offset} are left`;
  const length = bytes.readUInt32BE(offset);
  if (length === 0) return 'a record of length 0';
  if (offset + HEADER + length > bytes.length) return `a record of ${length} bytes runs past the end of the file`;
  if (crc32(bytes.subarray(offset + HEADER, offset + HEADER + length)) !== bytes.readUInt32BE(offset + 4)) return 'checksum mismatch';
  return null;
}

/**
 * A bad record is a torn tail when no good record follows it anywhere: a crash
 * can only cut the last write, and a record the reader could still trust after
 * it means the bad one is damage in the middle (a flipped length would
 * otherwise hide every record after it). Payloads are JSON arrays of ops
 * (`[[`…`]]`), which keeps the search for a following record cheap.
 */
function isTornTail(bytes: Buffer, offset: number): boolean {
  const OPEN = 0x5b;
  const CLOSE = 0x5d;
  for (let p = offset + 1; p + HEADER + 2 <= bytes.length; p++) {
    if (bytes[p + HEADER] !== OPEN || bytes[p + HEADER + 1] !== OPEN) continue;
    const length = bytes.readUInt32BE(p);
    if (length < 2 || p + HEADER + length > bytes.length || bytes[p + HEADER + length - 1] !== CLOSE) continue;
    if (recordProblem(bytes, p) === null) return false;
  }
  return true;
}
