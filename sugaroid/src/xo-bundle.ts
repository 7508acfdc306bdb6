/**
 * Reading a `.xo` bundle the way a laptop does, from a zip opened with yauzl
 * (from a file, or over Range requests): the layout Sugar checks before it
 * installs (sugar-toolkit-gtk3 `bundle/bundle.py`, `_check_zip_bundle`), the
 * keys ActivityBundle requires, and the name and icon the updater shows for a
 * bundle not installed yet (jarabe `model/update/microformat.py`, `MetadataLookup`).
 */
import type { Entry, ZipFile } from 'yauzl';
import { isSugarVersion } from './sugar-version.js';

/** What a laptop learns from a bundle. */
export interface XoInfo {
  /** The top folder, e.g. `Paint.activity`. */
  readonly root: string;
  readonly bundleId: string | null;
  /** The name in the laptop's language when the bundle has it, else activity.info's. */
  readonly name: string | null;
  readonly version: string | null;
  readonly iconSvg: string | null;
}

const MAX_TEXT = 64 * 1024;
const MAX_ICON = 256 * 1024;

/** Every entry by name (yauzl refuses absolute and `..` names while listing). */
export async function listEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
  return entries;
}

/** The top folder, as Sugar checks it before installing; throws with the reason it would refuse. */
export function checkLayout(names: readonly string[]): string {
  const files = names[0] === 'mimetype' ? names.slice(1) : [...names];
  if (files.length === 0) throw new Error('the archive is empty');
  const root = files[0]!.split('/')[0]!;
  if (root.startsWith('.')) throw new Error(`the top folder ${JSON.stringify(root)} starts with a dot`);
  if (!root.endsWith('.activity') || root === '.activity') throw new Error('everything must be inside one folder named *.activity');
  const outside = files.find((name) => !name.startsWith(root));
  if (outside !== undefined) throw new Error(`${JSON.stringify(outside)} is outside the top folder ${root}`);
  return root;
}

/**
 * What the updater reads from a bundle it does not have: the folder holding
 * `activity/activity.info`, the name (from `locale/<lang>/activity.linfo` for
 * `locale`, e.g. `es_PE` then `es`, else activity.info), and the icon.
 */
export async function readXoInfo(zip: ZipFile, entries: ReadonlyMap<string, Entry>, locale?: string): Promise<XoInfo> {
  const infoPath = [...entries.keys()].find((name) => name.split('/').length === 3 && name.endsWith('/activity/activity.info'));
  if (!infoPath) throw new Error('no <folder>/activity/activity.info');
  const root = infoPath.split('/')[0]!;
  const info = activitySection(await readText(zip, entries.get(infoPath)!, MAX_TEXT));
  let name = info.get('name') ?? null;
  for (const lang of locale ? [locale, locale.slice(0, 2)] : []) {
    const linfo = entries.get(`${root}/locale/${lang}/activity.linfo`);
    if (linfo) {
      name = activitySection(await readText(zip, linfo, MAX_TEXT)).get('name') ?? name;
      break;
    }
  }
  const icon = info.get('icon');
  const iconEntry = icon === undefined ? undefined : entries.get(`${root}/activity/${icon}.svg`);
  return {
    root,
    bundleId: info.get('bundle_id') ?? info.get('service_name') ?? null,
    name,
    version: info.get('activity_version') ?? null,
    iconSvg: iconEntry ? await readText(zip, iconEntry, MAX_ICON) : null,
  };
}

/** The keys ActivityBundle refuses to load without; throws with the first missing. */
export async function checkInstallable(zip: ZipFile, entries: ReadonlyMap<string, Entry>, root: string): Promise<void> {
  const entry = entries.get(`${root}/activity/activity.info`);
  if (!entry) throw new Error(`no ${root}/activity/activity.info`);
  const info = activitySection(await readText(zip, entry, MAX_TEXT));
  const id = info.get('bundle_id') ?? info.get('service_name');
  if (id === undefined) throw new Error('activity.info has no bundle_id');
  if (id.includes(' ')) throw new Error('the bundle_id has a space');
  if (!info.has('name')) throw new Error('activity.info has no name');
  if (!info.has('exec') && !info.has('class')) throw new Error('activity.info has no exec');
  const version = info.get('activity_version');
  if (version !== undefined && !isSugarVersion(version)) throw new Error(`activity_version ${JSON.stringify(version)} is not a Sugar version`);
}

/** An entry's text, if it is at most `limit` bytes; the data is read through yauzl, which checks its size. */
async function readText(zip: ZipFile, entry: Entry, limit: number): Promise<string> {
  if (entry.uncompressedSize > limit) throw new Error(`${entry.fileName} is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The `[Activity]` section as Python's configparser reads it, for the keys a
 * laptop looks at: keys lower-cased, split at the first `=` or `:`, values
 * stripped, `#`/`;` comment lines skipped, indented lines continuing a value.
 */
export function activitySection(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let section = '';
  let key: string | undefined;
  for (const line of text.split('\n')) {
    const value = line.trim();
    if (!value || value.startsWith('#') || value.startsWith(';')) continue;
    if (key !== undefined && /^\s/.test(line) && section === 'Activity') {
      values.set(key, `${values.get(key)}\n${value}`);
      continue;
    }
    const header = /^\[(.+)\]/.exec(value);
    if (header) {
      section = header[1]!;
      key = undefined;
      continue;
    }
    const option = /^(.*?)\s*[=:]\s*(.*)$/.exec(value);
    key = option && section === 'Activity' ? option[1]!.toLowerCase() : undefined;
    if (key !== undefined) values.set(key, option![2]!);
  }
  return values;
}
