/**
 * A laptop's Journal on disk, as Sugar's datastore lays it out
 * (sugarlabs/sugar-datastore `layoutmanager.py`): `<uid[:2]>/<uid>/data` for an
 * entry's file and `<uid[:2]>/<uid>/metadata/<key>` with one file per metadata
 * key, beside `version`, `index_updated`, `checksums/` and `index/`. Generated
 * to a size and entry count, so backups can be tried at scale; most entries are
 * small (text, compressible, like Write documents) and a few are large (random
 * bytes, like recordings).
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface JournalOptions {
  /** Bytes in all, entry files and metadata, about. */
  readonly bytes: number;
  readonly entries: number;
  /** How many of the entries are large; they share `largeShare` of the bytes. */
  readonly largeEntries?: number;
  /** Fraction of the bytes in large entries (0.5 unless given). */
  readonly largeShare?: number;
}

/** What was made. */
export interface JournalFigures {
  readonly entries: number;
  /** Files written, metadata included. */
  readonly files: number;
  /** Bytes written, metadata included. */
  readonly bytes: number;
}

const ACTIVITIES = ['org.laptop.AbiWordActivity', 'org.laptop.Oficina', 'org.laptop.RecordActivity', 'org.laptop.TurtleArtActivity', 'org.laptop.WebActivity'];
const WORDS = 'the a school laptop journal write paint turtle music story draw sun river tree learn share friend child book play'.split(' ');
/** Preview thumbnails Sugar keeps in metadata: a few kilobytes of PNG. */
const PREVIEW_BYTES = 3000;
/** Metadata bytes of an entry, about: the preview and a dozen short values. */
const METADATA_BYTES = PREVIEW_BYTES + 250;
/** Entries written at once. */
const PARALLEL = 16;

/** Words, so small entries compress as text does. */
function text(bytes: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = WORDS[randomInt(WORDS.length)]!;
    parts.push(word);
    length += word.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, bytes);
}

/** Write one entry; resolves with the bytes and files written. */
async function writeEntry(root: string, dataBytes: number, large: boolean): Promise<{ bytes: number; files: number }> {
  const uid = randomUUID();
  const dir = join(root, uid.slice(0, 2), uid);
  await mkdir(join(dir, 'metadata'), { recursive: true });
  const data = large ? randomBytes(dataBytes) : text(dataBytes);
  const when = new Date(Date.now() - randomInt(30 * 86_400) * 1000);
  const metadata: Record<string, string | Buffer> = {
    uid,
    title: `${WORDS[randomInt(WORDS.length)]} ${WORDS[randomInt(WORDS.length)]}`,
    title_set_by_user: '0',
    activity: ACTIVITIES[randomInt(ACTIVITIES.length)]!,
    activity_id: randomBytes(20).toString('hex'),
    mime_type: large ? 'video/ogg' : 'text/plain',
    keep: '0',
    mtime: when.toISOString().slice(0, 19),
    timestamp: String(Math.floor(when.getTime() / 1000)),
    creation_time: String(Math.floor(when.getTime() / 1000)),
    filesize: String(dataBytes),
    preview: randomBytes(PREVIEW_BYTES),
  };
  await writeFile(join(dir, 'data'), data);
  let bytes = data.length;
  for (const [key, value] of Object.entries(metadata)) {
    await writeFile(join(dir, 'metadata', key), value);
    bytes += value.length;
  }
  return { bytes, files: 1 + Object.keys(metadata).length };
}

/** `count` sizes summing to `total`, each within half of the average either way, so the files are not all alike. */
function sizes(total: number, count: number): number[] {
  const weights = Array.from({ length: count }, () => 0.5 + Math.random());
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.max(1, Math.round((total * w) / sum)));
}

/** Make a Journal under `root` (created; must be empty or absent) of about `bytes` in all, metadata included. */
export async function generateJournal(root: string, options: JournalOptions): Promise<JournalFigures> {
  const large = Math.min(options.largeEntries ?? 0, options.entries);
  const small = options.entries - large;
  const dataBytes = Math.max(options.entries, options.bytes - options.entries * METADATA_BYTES);
  const largeBytes = large > 0 ? Math.floor(dataBytes * (options.largeShare ?? 0.5)) : 0;
  const plan = [
    ...sizes(largeBytes, large).map((size) => ({ size, large: true })),
    ...sizes(dataBytes - largeBytes, small).map((size) => ({ size, large: false })),
  ];
  await mkdir(join(root, 'checksums', 'queue'), { recursive: true });
  await mkdir(join(root, 'index'), { recursive: true });
  await writeFile(join(root, 'version'), '6');
  await writeFile(join(root, 'index_updated'), '');
  let bytes = 1;
  let files = 2;
  for (let i = 0; i < plan.length; i += PARALLEL) {
    const written = await Promise.all(plan.slice(i, i + PARALLEL).map((entry) => writeEntry(root, entry.size, entry.large)));
    for (const entry of written) {
      bytes += entry.bytes;
      files += entry.files;
    }
  }
  return { entries: options.entries, files, bytes };
}

/** Every entry folder of a Journal, as `<uid[:2]>/<uid>`. */
export async function journalEntries(root: string): Promise<string[]> {
  const entries: string[] = [];
  for (const prefix of await readdir(root, { withFileTypes: true })) {
    if (!prefix.isDirectory() || prefix.name.length !== 2) continue;
    for (const uid of await readdir(join(root, prefix.name))) if (uid.length === 36) entries.push(`${prefix.name}/${uid}`);
  }
  return entries.sort();
}

export interface JournalChanges {
  /** Fraction of the entries' files (data and metadata) rewritten with new bytes of the same size. */
  readonly fraction?: number;
  /** Entries to add, of `addBytes` each. */
  readonly add?: number;
  readonly addBytes?: number;
  /** Entries to delete. */
  readonly remove?: number;
}

/** What changed. */
export interface JournalChangeReport {
  /** Files rewritten, relative to the Journal. */
  readonly changed: readonly string[];
  readonly changedBytes: number;
  readonly added: number;
  /** Entries deleted, as `<uid[:2]>/<uid>`. */
  readonly removed: readonly string[];
}

/** What a Journal's owner did since the last backup. */
export async function changeJournal(root: string, changes: JournalChanges): Promise<JournalChangeReport> {
  const entries = shuffle(await journalEntries(root));
  const removed = entries.slice(0, changes.remove ?? 0);
  for (const entry of removed) await rm(join(root, entry), { recursive: true });
  const files: string[] = [];
  for (const entry of entries.slice(removed.length)) {
    files.push(`${entry}/data`, ...(await readdir(join(root, entry, 'metadata'))).map((key) => `${entry}/metadata/${key}`));
  }
  const changed = shuffle(files).slice(0, Math.ceil(files.length * (changes.fraction ?? 0)));
  let changedBytes = 0;
  for (const file of changed) {
    const { size } = await stat(join(root, file));
    await writeFile(join(root, file), randomBytes(size));
    changedBytes += size;
  }
  for (let i = 0; i < (changes.add ?? 0); i++) await writeEntry(root, changes.addBytes ?? 4096, false);
  return { changed, changedBytes, added: changes.add ?? 0, removed };
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
