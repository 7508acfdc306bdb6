/**
 * A Journal Entry Bundle (`.xoj`, `application/vnd.olpc-journal-entry`), the
 * zip Sugar installs back into a Journal (sugarlabs/sugar
 * `src/jarabe/journal/journalentrybundle.py`): one folder named after the uid
 * holding `_metadata.json`, the entry's file as `<uid>` and its preview as
 * `preview/<uid>`.
 */
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import type { EntryParts } from './journal-entries.js';

export const ENTRY_BUNDLE_TYPE = 'application/vnd.olpc-journal-entry';

/** The bundle as a stream of zip bytes. */
export function entryBundle(entry: EntryParts): Readable {
  const zip = new yazl.ZipFile();
  const { uid } = entry;
  zip.addBuffer(Buffer.from(JSON.stringify(entry.metadata)), `${uid}/_metadata.json`);
  if (entry.dataFile) zip.addFile(entry.dataFile, `${uid}/${uid}`);
  if (entry.previewFile) zip.addFile(entry.previewFile, `${uid}/preview/${uid}`, { compress: false });
  zip.end();
  return zip.outputStream as Readable;
}
