/**
 * Checks on a bundle's central directory, before any entry is unpacked. A `.xo`
 * is unpacked on the laptop with Info-ZIP `unzip` (sugar-toolkit-gtk3
 * `src/sugar3/bundle/bundle.py`, `_unzip`), which follows what the archive
 * says: a `../` or absolute name writes outside the activity's folder, and a
 * symlink entry lets later entries write wherever it points. So:
 *
 *  - names: no backslash, no absolute path, no `..`, `.` or empty segment, no
 *    control character (in the decoded name or its raw bytes), none twice;
 *  - only plain files and folders; no encryption; stored or deflated data only;
 *  - layout as Sugar checks it (`_check_zip_bundle`): an optional first entry
 *    `mimetype`, everything else inside one top folder named `*.activity` that
 *    does not start with a dot;
 *  - sizes declared in the headers within the limits (each entry, the total,
 *    and the total per byte of archive); the unpacked bytes are counted again
 *    while unpacking, since headers can lie;
 *  - no two entries sharing bytes of the file (overlapping entries are how a
 *    small archive declares huge contents without nesting), and each local
 *    header naming the same file as the central directory.
 */
import type { ZipFile } from 'yauzl';
import { ActivitiesErrors } from './errors.js';
import { entrySpan, unixFileType, type ZipEntry } from './zip-archive.js';

/** How much a bundle may unpack to. */
export interface BundleLimits {
  /** Bytes all entries together may unpack to. */
  readonly maxUnpackedSize: number;
  /** Bytes one entry may unpack to. */
  readonly maxEntrySize: number;
  /** Unpacked bytes per byte of archive. */
  readonly maxRatio: number;
  readonly maxEntries: number;
}

/** The archive's shape once checked. */
export interface BundleLayout {
  /** The top folder, e.g. `Paint.activity`. */
  readonly root: string;
  /** Every entry but a leading `mimetype`. */
  readonly entries: readonly ZipEntry[];
  /** What the headers say all entries unpack to. */
  readonly declaredSize: number;
}

const DEFLATED = 8;
const STORED = 0;
const MIMETYPE = 'mimetype';
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses the first problem found, by the rules in the module comment. */
export function checkEntries(entries: readonly ZipEntry[], archiveSize: number, limits: BundleLimits): BundleLayout {
  const names = new Set<string>();
  let declaredSize = 0;
  for (const item of entries) {
    checkName(item);
    if (names.has(item.name)) throw ActivitiesErrors.UNSAFE_ENTRY(item.name, 'appears twice (zip readers disagree on which copy counts)');
    names.add(item.name);
    checkKind(item);
    const size = item.entry.uncompressedSize;
    if (size > limits.maxEntrySize) throw ActivitiesErrors.BOMB(`entry ${JSON.stringify(item.name)} unpacks to ${size} bytes, more than the ${limits.maxEntrySize} allowed`);
    declaredSize += size;
  }
  if (declaredSize > limits.maxUnpackedSize) throw ActivitiesErrors.BOMB(`the entries unpack to ${declaredSize} bytes, more than the ${limits.maxUnpackedSize} allowed`);
  if (declaredSize > limits.maxRatio * archiveSize) {
    throw ActivitiesErrors.BOMB(`${archiveSize} bytes unpack to ${declaredSize}, more than ${limits.maxRatio} times the archive`);
  }
  const content = entries[0]?.name === MIMETYPE ? entries.slice(1) : entries;
  return { root: checkLayout(content), entries: content, declaredSize };
}

/** Refuses entries that share bytes of the archive or whose local header names another file. */
export async function checkSpans(zip: ZipFile, entries: readonly ZipEntry[]): Promise<void> {
  const spans = [];
  for (const item of entries) spans.push({ item, span: await entrySpan(zip, item) });
  for (const { item, span } of spans) {
    if (!span.localName.equals(item.entry.fileNameRaw)) {
      throw ActivitiesErrors.UNSAFE_ENTRY(item.name, `its local header names ${JSON.stringify(span.localName.toString('latin1'))}`);
    }
  }
  spans.sort((a, b) => a.span.start - b.span.start);
  for (let i = 1; i < spans.length; i++) {
    const previous = spans[i - 1]!;
    const current = spans[i]!;
    if (current.span.start < previous.span.end) {
      throw ActivitiesErrors.BOMB(`entries ${JSON.stringify(previous.item.name)} and ${JSON.stringify(current.item.name)} share bytes of the archive`);
    }
  }
}

function checkName({ name, entry }: ZipEntry): void {
  const unsafe = (why: string) => ActivitiesErrors.UNSAFE_ENTRY(name, why);
  if (name.includes('\\')) throw unsafe('has a backslash, which unzip may take as a folder separator');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafe('is an absolute path');
  // The raw bytes too: a name without the UTF-8 flag is decoded as CP437, where control bytes are printable symbols.
  if (CONTROL.test(name) || hasControlByte(entry.fileNameRaw)) throw unsafe('has a control character');
  const segments = name.split('/');
  if (name.endsWith('/')) segments.pop();
  if (segments.includes('..')) throw unsafe('has a ".." segment, which would unpack outside the activity folder');
  if (segments.some((segment) => segment === '' || segment === '.')) throw unsafe('has an empty or "." segment');
}

/** A C0 control byte or DEL, which neither UTF-8 nor CP437 uses inside a multibyte character. */
function hasControlByte(raw: Buffer): boolean {
  return raw.some((byte) => byte < 0x20 || byte === 0x7f);
}

function checkKind({ name, entry }: ZipEntry): void {
  const type = unixFileType(entry);
  if (type === 'symlink') throw ActivitiesErrors.UNSAFE_ENTRY(name, 'is a symbolic link, which unzip would create on the laptop');
  if (type === 'other') throw ActivitiesErrors.UNSAFE_ENTRY(name, 'is neither a plain file nor a folder');
  if (type === 'directory' && !name.endsWith('/')) throw ActivitiesErrors.UNSAFE_ENTRY(name, 'is a folder whose name does not end in "/"');
  if (entry.isEncrypted()) throw ActivitiesErrors.CORRUPT(name, 'is encrypted');
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
    throw ActivitiesErrors.CORRUPT(name, `compression method ${entry.compressionMethod} (only stored and deflated are read)`);
  }
  if (entry.compressionMethod === STORED && entry.compressedSize !== entry.uncompressedSize) {
    throw ActivitiesErrors.CORRUPT(name, `stored uncompressed, yet ${entry.compressedSize} bytes hold ${entry.uncompressedSize}`);
  }
}

/** The one top folder, as Sugar's `_check_zip_bundle` finds it. */
function checkLayout(entries: readonly ZipEntry[]): string {
  if (entries.length === 0) throw ActivitiesErrors.LAYOUT('the archive holds no files');
  const root = entries[0]!.name.split('/')[0]!;
  if (root.startsWith('.')) throw ActivitiesErrors.LAYOUT(`the top folder ${JSON.stringify(root)} starts with a dot`);
  if (!root.endsWith('.activity')) {
    throw ActivitiesErrors.LAYOUT(`everything must be inside one top folder named *.activity; ${JSON.stringify(entries[0]!.name)} is not`);
  }
  for (const { name } of entries) {
    if (!name.startsWith(`${root}/`)) {
      throw ActivitiesErrors.LAYOUT(`everything must be inside one top folder; ${JSON.stringify(name)} is outside ${JSON.stringify(`${root}/`)}`);
    }
  }
  return root;
}
