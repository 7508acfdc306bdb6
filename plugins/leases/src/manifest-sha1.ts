/**
 * `manifest.sha1`: the digest list that vouches for an `xs-activation` folder.
 *
 * Verified on wiki.laptop.org/go/XS-activation (xs-0.6): the folder is made
 * with `sha1sum * > $TMP; mv $TMP manifest.sha1`, so each line is GNU sha1sum
 * output, `<40 hex>  <file>` (or `<40 hex> *<file>` in binary mode).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LeasesErrors } from './errors.js';

/** The manifest's name in the folder. */
export const MANIFEST_FILE = 'manifest.sha1';

/** One line of the manifest. */
export interface ManifestEntry {
  readonly file: string;
  readonly sha1: string;
}

const LINE = /^([0-9a-fA-F]{40}) [ *](.+)$/;

/** Parse manifest text; a line in another form refuses the whole manifest. */
export function parseManifest(text: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const match = LINE.exec(line);
    if (!match) throw LeasesErrors.MANIFEST(MANIFEST_FILE, `line ${i + 1} is not "<sha1>  <file>" as sha1sum writes it`);
    const file = match[2]!;
    // sha1sum * lists plain names; anything with a path could point outside the folder.
    if (file.includes('/') || file.includes('\\') || file === '.' || file === '..') {
      throw LeasesErrors.MANIFEST(MANIFEST_FILE, `line ${i + 1} names "${file}", which is not a file in the folder`);
    }
    entries.push({ file, sha1: match[1]!.toLowerCase() });
  });
  return entries;
}

/**
 * Check every file the manifest lists in `folder`, and that `required` is among
 * them. Throws LEASES_ERR_MANIFEST naming the first file that is missing or
 * whose digest is wrong.
 */
export async function checkManifest(folder: string, required: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(folder, MANIFEST_FILE), 'utf8');
  } catch {
    throw LeasesErrors.MANIFEST(MANIFEST_FILE, `missing from ${folder}`);
  }
  const entries = parseManifest(text);
  if (!entries.some((e) => e.file === required)) throw LeasesErrors.MANIFEST(required, `is not listed in ${MANIFEST_FILE}`);
  for (const { file, sha1 } of entries) {
    // The manifest cannot vouch for itself (an older recipe wrote it while listing the folder).
    if (file === MANIFEST_FILE) continue;
    const actual = await sha1Of(join(folder, file)).catch(() => undefined);
    if (actual === undefined) throw LeasesErrors.MANIFEST(file, `is listed in ${MANIFEST_FILE} but cannot be read`);
    if (actual !== sha1) throw LeasesErrors.MANIFEST(file, `its sha1 is ${actual}, ${MANIFEST_FILE} says ${sha1}`);
  }
}

async function sha1Of(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
