/**
 * `checkUpdates`: what Sugar's updater would offer a laptop (jarabe
 * `model/update/`), by the microformat page or by ASLO.
 *
 * Microformat: read the page; drop what the laptop has at the same or a newer
 * version (Sugar's version rules); for an installed bundle learn the download
 * size with HEAD; for one not installed read its name (in the laptop's
 * language when the bundle has it) and icon through Range requests, as
 * `MetadataLookup` does. ASLO: one request per installed bundle.
 *
 * Where Sugar quietly drops an update whose size or bundle cannot be read,
 * this reports it under `failed`, so a test sees the server's fault.
 */
import { isSugaroidError, SugaroidErrors } from '../errors.js';
import { compareSugarVersions, isSugarVersion } from '../sugar-version.js';
import { listEntries, readXoInfo } from '../xo-bundle.js';
import { askAslo } from './aslo.js';
import type { RequestOptions } from './http.js';
import { fetchActivityPage, type PageEntry } from './microformat.js';
import { openRemoteZip, remoteSize } from './range-reader.js';

/** A bundle the laptop has. */
export interface InstalledBundle {
  readonly id: string;
  readonly version: string;
  /** Shown for its update; the id when absent. */
  readonly name?: string;
}

/** How to check. */
export interface UpdateOptions extends RequestOptions {
  readonly installed?: readonly InstalledBundle[];
  /** `microformat` (default): `url` is the activity page; `aslo`: `url` is the update-aslo.php endpoint. */
  readonly protocol?: 'microformat' | 'aslo';
  /** As Sugar's automatic updates: leave out optional entries, and look up no names. */
  readonly auto?: boolean;
  /** The laptop's language for names of bundles not installed, e.g. `es_PE` (then `es`). */
  readonly locale?: string;
  /** The Sugar release sent as `appVersion` to ASLO (default `0.118`). */
  readonly sugarVersion?: string;
}

/** One update the laptop would be offered. */
export interface ActivityUpdate {
  readonly id: string;
  readonly version: string;
  readonly url: string;
  /** Bytes to download. */
  readonly size: number;
  readonly optional: boolean;
  /** The installed version; null for an activity the laptop does not have. */
  readonly installedVersion: string | null;
  readonly name: string;
  /** The icon's SVG, read from the bundle, for an activity not installed. */
  readonly iconSvg: string | null;
}

/** What a check found. */
export interface UpdateCheck {
  readonly protocol: 'microformat' | 'aslo';
  readonly url: string;
  readonly groupName: string | null;
  readonly groupDescription: string | null;
  /** Activities the server offered (microformat) or was asked about (ASLO). */
  readonly offered: number;
  /** By id. */
  readonly updates: readonly ActivityUpdate[];
  /** Updates left out because the server's answer about them could not be read. */
  readonly failed: readonly { readonly id: string; readonly reason: string }[];
  /** Range requests made to read bundles not installed. */
  readonly rangeRequests: number;
}

/** Check `url` for updates to `options.installed`. */
export async function checkUpdates(url: string, options: UpdateOptions = {}): Promise<UpdateCheck> {
  const installed = installedById(options.installed ?? []);
  return options.protocol === 'aslo' ? checkAslo(url, installed, options) : checkMicroformat(url, installed, options);
}

async function checkMicroformat(url: string, installed: Map<string, InstalledBundle>, options: UpdateOptions): Promise<UpdateCheck> {
  const page = await fetchActivityPage(url, options);
  const updates: ActivityUpdate[] = [];
  const failed: { id: string; reason: string }[] = [];
  let rangeRequests = 0;
  for (const entry of page.entries.values()) {
    if (options.auto && entry.optional) continue;
    const have = installed.get(entry.id);
    if (have && compareSugarVersions(entry.version, have.version) <= 0) continue;
    try {
      if (have || options.auto) {
        updates.push(update(entry, have, { size: await remoteSize(new URL(entry.url), options), name: have?.name ?? entry.id, iconSvg: null }));
      } else {
        const looked = await lookUpBundle(entry.url, options);
        rangeRequests += looked.requests;
        updates.push(update(entry, undefined, { size: looked.size, name: looked.name ?? entry.id, iconSvg: looked.iconSvg }));
      }
    } catch (err) {
      if (!isSugaroidError(err)) throw err;
      failed.push({ id: entry.id, reason: err.message });
    }
  }
  return {
    protocol: 'microformat',
    url: page.url,
    groupName: page.groupName,
    groupDescription: page.groupDescription,
    offered: page.entries.size,
    updates: updates.sort((a, b) => (a.id < b.id ? -1 : 1)),
    failed,
    rangeRequests,
  };
}

async function checkAslo(url: string, installed: Map<string, InstalledBundle>, options: UpdateOptions): Promise<UpdateCheck> {
  const updates: ActivityUpdate[] = [];
  const failed: { id: string; reason: string }[] = [];
  for (const have of installed.values()) {
    try {
      const offer = await askAslo(url, have.id, options.sugarVersion ?? '0.118', options);
      if (offer && compareSugarVersions(offer.version, have.version) > 0) {
        updates.push({ id: have.id, version: offer.version, url: offer.url, size: offer.size, optional: false, installedVersion: have.version, name: have.name ?? have.id, iconSvg: null });
      }
    } catch (err) {
      if (!isSugaroidError(err)) throw err;
      failed.push({ id: have.id, reason: err.message });
    }
  }
  return { protocol: 'aslo', url, groupName: null, groupDescription: null, offered: installed.size, updates, failed, rangeRequests: 0 };
}

/** Name, icon and size of a bundle the laptop does not have, read by range. */
async function lookUpBundle(url: string, options: UpdateOptions) {
  const { zip, reader, size } = await openRemoteZip(new URL(url), options);
  try {
    const info = await readXoInfo(zip, await listEntries(zip), options.locale);
    return { size, name: info.name, iconSvg: info.iconSvg, requests: reader.requests };
  } catch (err) {
    if (isSugaroidError(err)) throw err;
    throw SugaroidErrors.BAD_ANSWER(url, `not a readable bundle: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
}

function update(entry: PageEntry, have: InstalledBundle | undefined, found: { size: number; name: string; iconSvg: string | null }): ActivityUpdate {
  return { id: entry.id, version: entry.version, url: entry.url, optional: entry.optional, installedVersion: have?.version ?? null, ...found };
}

function installedById(installed: readonly InstalledBundle[]): Map<string, InstalledBundle> {
  const byId = new Map<string, InstalledBundle>();
  for (const bundle of installed) {
    if (typeof bundle?.id !== 'string' || !bundle.id) throw SugaroidErrors.USAGE('each installed bundle needs an "id"');
    if (typeof bundle.version !== 'string' || !isSugarVersion(bundle.version)) {
      throw SugaroidErrors.USAGE(`installed ${bundle.id}: version ${JSON.stringify(bundle.version)} is not a Sugar version`);
    }
    byId.set(bundle.id, bundle);
  }
  return byId;
}
