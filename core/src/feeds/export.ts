/**
 * `sugar-server feeds export DIR`: every feed a server publishes, written to a
 * disk laid out as over HTTP, for schools with no uplink. What is written is
 * checked as a mirror checks it (sizes and sha256 against the manifest), into a
 * temporary folder first, so a disk never holds half an export.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerErrors } from '../errors.js';
import { syncDir } from '../storage/durable.js';
import { copyChecked } from './copy.js';
import { FeedErrors } from './errors.js';
import { EXPORT_FOLDER } from './import.js';
import { KEYS_FILE } from './keys.js';
import { MANIFEST_FILE, parseManifest, SIGNATURE_SUFFIX } from './manifest.js';
import { HttpFeedSource } from './source.js';

export interface ExportedFeed {
  readonly name: string;
  readonly version: number | null;
  readonly signed: boolean;
  readonly files: number;
  readonly bytes: number;
}

export interface ExportReport {
  readonly folder: string;
  readonly keys: boolean;
  readonly feeds: readonly ExportedFeed[];
}

/** Copy the feeds published at `serverUrl` (all, or `only`) into `DIR/sugar-server-feeds/`. */
export async function exportFeeds(serverUrl: string, dir: string, only: readonly string[] | null, signal: AbortSignal): Promise<ExportReport> {
  const index = new URL('/feeds/v1/index.json', serverUrl);
  const response = await fetch(index, { signal }).catch((err: Error) => {
    throw FeedErrors.DOWNLOAD(index.href, err.message);
  });
  if (!response.ok) throw FeedErrors.DOWNLOAD(index.href, `HTTP ${response.status}`);
  const published = ((await response.json()) as { feeds: string[] }).feeds;
  const missing = (only ?? []).filter((name) => !published.includes(name));
  if (missing.length) throw ServerErrors.USAGE(`${serverUrl} publishes no feed named ${missing.join(', ')} (it publishes: ${published.join(', ') || 'none'})`);
  const names = only ?? published;

  const folder = join(dir, EXPORT_FOLDER);
  const staging = join(dir, `.${EXPORT_FOLDER}-${randomBytes(6).toString('hex')}`);
  await mkdir(staging);
  try {
    let keys = false;
    const feeds: ExportedFeed[] = [];
    for (const name of names) {
      const source = new HttpFeedSource(new URL(`/feeds/v1/${name}/`, serverUrl).href, signal);
      if (!feeds.length) {
        const offered = await source.keys();
        if (offered) {
          await writeFile(join(staging, KEYS_FILE), offered.bytes);
          if (offered.signature) await writeFile(join(staging, KEYS_FILE + SIGNATURE_SUFFIX), offered.signature);
          keys = true;
        }
      }
      const fetched = await source.manifest();
      if (fetched === 'unchanged') throw FeedErrors.BAD_MANIFEST(source.where, 'answered 304 to an unconditional request');
      const manifest = parseManifest(fetched.bytes, source.where);
      const target = join(staging, name);
      await mkdir(target);
      for (const file of manifest.files) await copyChecked(source, file, join(target, file.path));
      await writeFile(join(target, MANIFEST_FILE), fetched.bytes);
      if (fetched.signature) await writeFile(join(target, MANIFEST_FILE + SIGNATURE_SUFFIX), fetched.signature);
      await syncDir(target);
      feeds.push({
        name,
        version: manifest.version ?? null,
        signed: fetched.signature !== null,
        files: manifest.files.length,
        bytes: manifest.files.reduce((sum, f) => sum + f.size, 0),
      });
    }
    await syncDir(staging);
    // Swap in one rename; an older export moves aside first and goes once the new one is in place.
    const old = `${staging}.old`;
    const hadOld = await rename(folder, old).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    });
    await rename(staging, folder);
    await syncDir(dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
    return { folder, keys, feeds };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
