/** Rebuild a document: a snapshot, then its journals' records in order. */
import { readFile } from 'node:fs/promises';
import { ServerErrors } from '../errors.js';
import { applyOps, type Op } from './change-log.js';
import { journalFile } from './files.js';
import { readJournal } from './journal.js';

export interface Replayed {
  /** Records applied. */
  readonly records: number;
  /** Bytes read from the journals. */
  readonly bytes: number;
  /** Where the last journal's good records end, and how much torn tail follows. */
  readonly lastEnd: number;
  readonly tornBytes: number;
}

/** Apply journals `from`..`to` (inclusive) to `data`; only the last may end in a torn record. */
export async function replayJournals(data: object, dir: string, from: number, to: number, lastMayBeTorn: boolean): Promise<Replayed> {
  let records = 0;
  let bytes = 0;
  let lastEnd = 0;
  let tornBytes = 0;
  for (let n = from; n <= to; n++) {
    const file = journalFile(dir, n);
    const read = readJournal(await readFile(file), file, { tailMayBeTorn: lastMayBeTorn && n === to });
    read.payloads.forEach((payload, i) => {
      try {
        applyOps(data, JSON.parse(payload) as Op[]);
      } catch (err) {
        throw ServerErrors.STORE_JOURNAL_CORRUPT(file, read.offsets[i]!, `record ${i + 1} does not apply: ${(err as Error).message}`);
      }
    });
    records += read.payloads.length;
    bytes += read.end;
    lastEnd = read.end;
    tornBytes = read.tornBytes;
  }
  return { records, bytes, lastEnd, tornBytes };
}
