/**
 * Everything the server learns from one `.xo` file, read once: the central
 * directory checked (bundle-checks.ts), `activity/activity.info` and every
 * `locale/<lang>/activity.linfo` read, the icon kept, every entry unpacked and
 * counted against the limits with its CRC checked, and the file's sha256. The
 * same inspection serves the library folder, uploads and the Mothership's
 * bundles, so a bundle is served only if all of it unpacks as the laptop will
 * unpack it.
 *
 * Entries are unpacked as streams in memory, never extracted to disk. A small
 * archive is read into memory first (one read instead of several per entry,
 * which halves the time to index a library of typical bundles); a larger one is
 * read from its file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { ZipFile } from 'yauzl';
import { readActivityInfo, readTranslation, type ActivityInfo, type Translation } from './activity-info.js';
import { checkEntries, checkSpans, type BundleLimits } from './bundle-checks.js';
import { ActivitiesErrors } from './errors.js';
import { openZip, readCentralDirectory, unpackEntry, type UnpackMeter, type ZipEntry } from './zip-archive.js';

/** activity.info and activity.linfo are a few hundred bytes; anything near this is not one. */
const MAX_INFO_BYTES = 64 * 1024;
/** Archives up to this size are read into memory whole; most bundles are smaller. */
const IN_MEMORY_BYTES = 4 * 1024 * 1024;
/** Sugar icons are a few kilobytes of SVG. */
const MAX_ICON_BYTES = 256 * 1024;
const LINFO = /^locale\/([A-Za-z0-9_.@-]{1,32})\/activity\.linfo$/;

/** What a bundle holds, as the library keeps it. */
export interface BundleContents {
  readonly info: ActivityInfo;
  /** activity.linfo contents by locale folder name (`es`, `pt_BR`). */
  readonly translations: Readonly<Record<string, Translation>>;
  /** The icon's SVG text; null when there is none or it could not be kept. */
  readonly iconSvg: string | null;
  /** activity.info's warnings plus the server's (icon, translations). */
  readonly warnings: readonly string[];
  /** Bytes all entries unpack to. */
  readonly unpackedSize: number;
  readonly entryCount: number;
  /** Size of the archive in bytes. */
  readonly size: number;
  readonly sha256: string;
}

/** Inspect a bundle file; throws an ACTIVITIES_ERR_* error naming the first problem. */
export async function inspectBundle(path: string, limits: BundleLimits): Promise<BundleContents> {
  const { size } = await stat(path);
  if (size <= IN_MEMORY_BYTES) {
    const data = await readFile(path);
    return { ...(await readContents(data, data.length, limits)), sha256: createHash('sha256').update(data).digest('hex') };
  }
  const [contents, digest] = await Promise.all([readContents(path, size, limits), sha256Of(path)]);
  return { ...contents, sha256: digest };
}

async function readContents(source: string | Buffer, size: number, limits: BundleLimits): Promise<Omit<BundleContents, 'sha256'>> {
  const zip = await openZip(source);
  try {
    const layout = checkEntries(await readCentralDirectory(zip, limits.maxEntries), size, limits);
    await checkSpans(zip, layout.entries);
    const meter = unpackMeter(size, limits);
    const inside = (item: ZipEntry) => item.name.slice(layout.root.length + 1);
    const byPath = new Map(layout.entries.map((item) => [inside(item), item]));

    const infoEntry = byPath.get('activity/activity.info');
    if (!infoEntry) throw ActivitiesErrors.NO_INFO(`${layout.root}/activity/activity.info`);
    const infoText = decodeUtf8(await keepSmall(zip, infoEntry, meter, MAX_INFO_BYTES));
    if (infoText === null) throw ActivitiesErrors.BAD_INFO('not UTF-8 text');
    const info = readActivityInfo(infoText);
    const iconPath = info.icon === null ? undefined : `activity/${info.icon}.svg`;
    const warnings = [...info.warnings];
    if (iconPath && !byPath.has(iconPath)) warnings.push(`the icon ${iconPath} is missing`);

    const translations: Record<string, Translation> = {};
    let iconSvg: string | null = null;
    for (const item of layout.entries) {
      if (item === infoEntry) continue;
      const path = inside(item);
      const locale = LINFO.exec(path)?.[1];
      const keep = locale ? MAX_INFO_BYTES : path === iconPath ? MAX_ICON_BYTES : 0;
      const data = await unpackEntry(zip, item, meter, keep);
      if (locale) {
        const translation = data && readLinfo(data, path, warnings);
        if (translation) translations[locale] = translation;
      } else if (path === iconPath) {
        iconSvg = data ? decodeIcon(data, path, warnings) : null;
        if (!data) warnings.push(`the icon ${path} is larger than ${MAX_ICON_BYTES} bytes and is not shown`);
      }
    }
    return { info, translations, iconSvg, warnings, unpackedSize: layout.declaredSize, entryCount: layout.entries.length, size };
  } finally {
    zip.close();
  }
}

/** Counts the bytes actually unpacked, in total and per byte of archive. */
function unpackMeter(archiveSize: number, limits: BundleLimits): UnpackMeter {
  let total = 0;
  const cap = Math.min(limits.maxUnpackedSize, limits.maxRatio * archiveSize);
  return {
    add(name, bytes) {
      total += bytes;
      if (total > cap) throw ActivitiesErrors.BOMB(`unpacking ${JSON.stringify(name)} went past ${cap} bytes`);
    },
  };
}

async function keepSmall(zip: ZipFile, item: ZipEntry, meter: UnpackMeter, limit: number): Promise<Buffer> {
  if (item.entry.uncompressedSize > limit) throw ActivitiesErrors.BAD_INFO(`${item.entry.uncompressedSize} bytes, more than the ${limit} such a file may have`);
  return (await unpackEntry(zip, item, meter, limit))!;
}

/** A translation, or undefined (with a warning) when Sugar would not read it either. */
function readLinfo(data: Buffer, path: string, warnings: string[]): Translation | undefined {
  const text = decodeUtf8(data);
  try {
    if (text === null) throw new Error('not UTF-8 text');
    return readTranslation(text);
  } catch (err) {
    warnings.push(`${path} is left out: ${(err as Error).message}`);
    return undefined;
  }
}

function decodeIcon(data: Buffer, path: string, warnings: string[]): string | null {
  const text = decodeUtf8(data);
  if (text === null) warnings.push(`the icon ${path} is not UTF-8 text and is not shown`);
  return text;
}

/** Strict UTF-8, a byte order mark kept, as Python's `bytes.decode('utf-8')`; null when the bytes are not UTF-8. */
function decodeUtf8(data: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    return null;
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
