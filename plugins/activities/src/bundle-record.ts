/**
 * One bundle as the library holds it: what inspection found, plus the file it
 * sits in. Kept in the plugin's store, so a restart does not read unchanged
 * bundles again, and shown (without the icon's SVG) by the JSON API.
 */
import type { Translation } from './activity-info.js';
import type { BundleContents } from './bundle-inspector.js';

/** A bundle in the library. */
export interface BundleRecord {
  /** File name in the library folder, e.g. `org.laptop.Paint-34.xo`. */
  readonly file: string;
  readonly size: number;
  /** The file's modification time, part of the key that tells whether it must be read again. */
  readonly mtimeMs: number;
  readonly sha256: string;
  readonly id: string;
  readonly version: string;
  readonly name: string;
  readonly exec: string;
  readonly icon: string | null;
  readonly iconSvg: string | null;
  readonly license: string | null;
  readonly summary: string | null;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly translations: Readonly<Record<string, Translation>>;
  readonly warnings: readonly string[];
  readonly unpackedSize: number;
  readonly entryCount: number;
}

/** The record of `contents` found in the library file `file`. */
export function recordOf(file: string, mtimeMs: number, contents: BundleContents): BundleRecord {
  const { info } = contents;
  return {
    file,
    size: contents.size,
    mtimeMs,
    sha256: contents.sha256,
    id: info.bundleId,
    version: info.version,
    name: info.name,
    exec: info.exec,
    icon: info.icon,
    iconSvg: contents.iconSvg,
    license: info.license,
    summary: info.summary,
    description: info.description,
    tags: info.tags,
    translations: contents.translations,
    warnings: contents.warnings,
    unpackedSize: contents.unpackedSize,
    entryCount: contents.entryCount,
  };
}

/** A bundle as the JSON API shows it. */
export interface BundleJson {
  readonly id: string;
  readonly version: string;
  readonly name: string;
  readonly summary: string | null;
  readonly description: string | null;
  readonly license: string | null;
  readonly tags: readonly string[];
  readonly exec: string;
  readonly file: string;
  /** Where to download it, relative to the server. */
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
  /** ISO 8601 modification time of the file. */
  readonly modified: string;
  /** Whether this is the version the pages offer (the newest of its id). */
  readonly newest: boolean;
  /** The icon of the newest version, when this is it and it has one. */
  readonly icon: string | null;
  readonly translations: Readonly<Record<string, Translation>>;
  readonly warnings: readonly string[];
}

/** The JSON view of a record. */
export function bundleJson(record: BundleRecord, newest: boolean): BundleJson {
  return {
    id: record.id,
    version: record.version,
    name: record.name,
    summary: record.summary,
    description: record.description,
    license: record.license,
    tags: record.tags,
    exec: record.exec,
    file: record.file,
    url: `/activities/bundles/${record.file}`,
    size: record.size,
    sha256: record.sha256,
    modified: new Date(record.mtimeMs).toISOString(),
    newest,
    icon: newest && record.iconSvg !== null ? `/activities/icons/${record.id}.svg` : null,
    translations: record.translations,
    warnings: record.warnings,
  };
}
