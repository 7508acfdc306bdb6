/**
 * `download`: fetch a bundle as the laptop does before installing it (to a
 * temp file), then check it opens as a `.xo` Sugar would install (one
 * `*.activity` folder, activity.info with its required keys) and that its
 * bundle_id and version are what the index said.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import yauzl from 'yauzl';
import { isSugaroidError, SugaroidErrors } from '../errors.js';
import { compareSugarVersions } from '../sugar-version.js';
import { checkInstallable, checkLayout, listEntries, readXoInfo } from '../xo-bundle.js';
import type { RequestOptions } from './http.js';
import { fetchActivityPage } from './microformat.js';
import { deadline } from './deadline.js';

/** How long a whole download may take unless told. */
export const DOWNLOAD_TIMEOUT_MS = 120_000;

/** How to download. */
export interface DownloadOptions extends RequestOptions {
  /** What the bundle must be; by default, what the activity page (`index`) lists for this URL. */
  readonly expect?: { readonly id: string; readonly version: string };
  /** The activity page listing the URL; default the folder above it (`…/activities/` for `…/activities/bundles/x.xo`). */
  readonly index?: string;
  /** Keep the bundle in this file; otherwise it is deleted after the checks. */
  readonly out?: string;
}

/** A downloaded, checked bundle. */
export interface DownloadResult {
  readonly url: string;
  readonly id: string;
  readonly version: string;
  readonly name: string | null;
  readonly size: number;
  readonly sha256: string;
  /** Where it was kept; null when it was not. */
  readonly file: string | null;
}

/** Download `url` and check it. */
export async function downloadBundle(url: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw SugaroidErrors.BAD_SERVER_URL(url, 'not an absolute URL');
  }
  const expected = options.expect ?? (await listedAs(target, options));
  const temp = options.out ? undefined : await mkdtemp(join(tmpdir(), 'sugaroid-download-'));
  const file = options.out ?? join(temp!, 'bundle.xo');
  try {
    const { size, sha256 } = await fetchToFile(target, file, options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS);
    const info = await readBundleFile(file, target.href);
    if (info.bundleId !== expected.id || compareSugarVersions(info.version ?? '0', expected.version) !== 0) {
      throw SugaroidErrors.BAD_ANSWER(target.href, `the bundle is ${info.bundleId} version ${info.version ?? '0'}, the index says ${expected.id} version ${expected.version}`);
    }
    return { url: target.href, id: expected.id, version: info.version ?? '0', name: info.name, size, sha256, file: options.out ?? null };
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** What the activity page says is at `target`. */
async function listedAs(target: URL, options: DownloadOptions): Promise<{ id: string; version: string }> {
  const index = options.index ?? new URL('../', target).href;
  const page = await fetchActivityPage(index, options);
  const entry = [...page.entries.values()].find((e) => e.url === target.href);
  if (!entry) throw SugaroidErrors.BAD_ANSWER(target.href, `the activity page ${index} does not list it`);
  return entry;
}

async function fetchToFile(url: URL, file: string, timeoutMs: number): Promise<{ size: number; sha256: string }> {
  const { signal, clear } = deadline(timeoutMs);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const response = await fetch(url, { signal, redirect: 'follow' });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw SugaroidErrors.HTTP('GET', url.href, response.status);
    }
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), meter, createWriteStream(file));
    const declared = response.headers.get('content-length');
    if (declared !== null && Number(declared) !== size) throw SugaroidErrors.BAD_ANSWER(url.href, `${size} bytes arrived, Content-Length said ${declared}`);
  } catch (err) {
    if (isSugaroidError(err)) throw err;
    if (signal.aborted) throw SugaroidErrors.TIMEOUT(url.href, timeoutMs);
    throw SugaroidErrors.UNREACHABLE(url.href, (err as Error).message);
  } finally {
    clear();
  }
  return { size, sha256: hash.digest('hex') };
}

/** Open the file as Sugar would before installing it; throws SUGAROID_ERR_BAD_ANSWER with Sugar's reason. */
async function readBundleFile(file: string, url: string) {
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.openPromise(file, { autoClose: false });
    const entries = await listEntries(zip);
    const root = checkLayout([...entries.keys()]);
    await checkInstallable(zip, entries, root);
    return await readXoInfo(zip, entries);
  } catch (err) {
    throw SugaroidErrors.BAD_ANSWER(url, `not a bundle Sugar would install: ${(err as Error).message}`);
  } finally {
    zip?.close();
  }
}
