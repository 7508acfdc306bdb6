/**
 * A school's backups back from the bucket onto a new disk: each laptop's
 * snapshots rebuilt as the plugin lays them out, every file checked against
 * the sha256 in its manifest before it is kept. A snapshot is built under a
 * hidden name and renamed into place when done; files equal to one already
 * restored for the laptop are hard links to it, as the snapshots were. A
 * small file's blob comes with one ranged GET of its pack. An object, pack or
 * blob that is missing, or whose bytes do not match, is reported and its
 * file left out; nothing is restored silently in its place. A laptop without
 * `datastore-current` gets one linked from its latest snapshot, so its next
 * backup sends only what changed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, rename, rm, symlink, utimes, lutimes, readlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupErrors } from '../errors.js';
import { linkTree } from '../hardlink-copy.js';
import { CURRENT, LATEST } from '../laptop-folder.js';
import type { Bucket } from './bucket.js';
import { DecodeError, decodeStream } from './encoding.js';
import { objectKey, packKey } from './layout.js';
import { manifestText, parseManifest, type FileEntry, type Manifest } from './manifest.js';
import { mismatch, openBlob } from './pack-format.js';
import { withRetries } from './retry.js';
import type { Sealing } from './sealing.js';
import { listManifests } from './sweep.js';

export interface RestoreOptions {
  readonly bucket: Bucket;
  readonly sealing: Sealing;
  /** The school's key file, named when a manifest does not open with it. */
  readonly keyFile?: string;
  /** The laptops' folders (`[backup] root`). */
  readonly root: string;
  readonly concurrency: number;
  /** Only this laptop. */
  readonly serial?: string;
  /** Only this snapshot (a `datastore-...` name), or `latest`. */
  readonly snapshot?: string;
  /** Told each snapshot as it is done. */
  progress?(line: string): void;
}

export interface RestoreProblem {
  readonly serial: string;
  readonly snapshot: string;
  readonly path: string;
  readonly problem: 'missing' | 'corrupt';
  readonly detail: string;
}

export interface RestoreReport {
  readonly laptops: number;
  readonly snapshots: number;
  /** Snapshots already on disk, left as they were. */
  readonly present: number;
  readonly files: number;
  readonly bytes: number;
  readonly problems: RestoreProblem[];
}

/** Restore from the bucket into `root`. */
export async function restoreFromBucket(options: RestoreOptions): Promise<RestoreReport> {
  const { bucket, sealing, root } = options;
  const report = { laptops: 0, snapshots: 0, present: 0, files: 0, bytes: 0, problems: [] as RestoreProblem[] };
  const manifests = await listManifests(bucket);
  const serials = options.serial ? [options.serial] : [...manifests.keys()].sort();
  for (const serial of serials) {
    let list = manifests.get(serial) ?? [];
    if (options.snapshot === 'latest') list = list.slice(-1);
    else if (options.snapshot) list = list.filter((m) => m.snapshot === options.snapshot);
    if (list.length === 0) continue;
    report.laptops++;
    const dir = join(root, serial);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    /** sha256 -> a file restored for this laptop, to link to. */
    const restored = new Map<string, RestoredFile>();
    for (const { snapshot, key } of list) {
      const final = join(dir, snapshot);
      if (await lstat(final).catch(() => null)) {
        report.present++;
        continue;
      }
      const stored = await withRetries(() => bucket.getBuffer(key));
      if (!stored) throw new Error(`manifest ${key} vanished while restoring`);
      const manifest = parseManifest(openManifest(sealing, stored, key, options.keyFile), { serial, snapshot });
      const building = join(dir, `.restoring-${snapshot}`);
      await rm(building, { recursive: true, force: true });
      await mkdir(building, { mode: 0o750 });
      await restoreSnapshot(options, manifest, building, restored, report);
      await rename(building, final);
      for (const file of restored.values()) if (file.path.startsWith(`${building}/`)) file.path = final + file.path.slice(building.length);
      report.snapshots++;
      options.progress?.(`${serial} ${snapshot}: ${manifest.entries.length} entries`);
    }
    const latest = await pointLatestIfUnset(dir, list.at(-1)!.snapshot);
    // The laptop's next backup then sends only what changed since its latest snapshot, as it would have before.
    if (latest && !(await lstat(join(dir, CURRENT)).catch(() => null))) await linkTree(join(dir, latest), join(dir, CURRENT));
  }
  return report;
}

/** A manifest's text; a sealed one that does not open means the wrong key (or a changed manifest): say so, typed. */
function openManifest(sealing: Sealing, stored: Buffer, key: string, keyFile = 'replicate_key'): string {
  try {
    return manifestText(sealing.openBuffer(stored));
  } catch (err) {
    throw BackupErrors.REPLICATION_KEY(keyFile, `does not open manifest ${key} (${(err as Error).message}): the bucket was sealed with another key, or the manifest was changed`);
  }
}

async function restoreSnapshot(
  options: RestoreOptions,
  manifest: Manifest,
  building: string,
  restored: Map<string, RestoredFile>,
  report: { files: number; bytes: number; problems: RestoreProblem[] },
): Promise<void> {
  const { bucket, sealing } = options;
  const files = [];
  for (const entry of manifest.entries) {
    const path = join(building, entry.path);
    if (entry.type === 'dir') await mkdir(path, { mode: 0o700 });
    else if (entry.type === 'symlink') await symlink(entry.target, path);
    else files.push({ ...entry, at: path });
  }

  const problem = (path: string, kind: RestoreProblem['problem'], detail: string) =>
    report.problems.push({ serial: manifest.serial, snapshot: manifest.snapshot, path, problem: kind, detail });
  // Files of equal content are fetched once, then linked (or copied, when their modes or times differ).
  const byDigest = new Map<string, typeof files>();
  for (const file of files) byDigest.set(file.sha256, [...(byDigest.get(file.sha256) ?? []), file]);
  const digests = [...byDigest.keys()];
  let next = 0;
  const worker = async () => {
    while (next < digests.length) {
      const digest = digests[next++]!;
      const group = byDigest.get(digest)!;
      let source = restored.get(digest);
      for (const file of group) {
        if (source && source.mode === file.mode && source.mtime === file.mtime) {
          await link(source.path, file.at);
        } else {
          const fetched = source ? await copyLocal(source.path, file.at) : await fetchFile(bucket, sealing, file, file.at);
          if (fetched !== 'ok') {
            problem(file.path, fetched.problem, `${fetched.detail} (${whereIs(sealing, file)})`);
            for (const rest of group.slice(1)) problem(rest.path, fetched.problem, `same content as ${file.path}`);
            break;
          }
          await chmod(file.at, file.mode);
          await setTime(file.at, file.mtime);
          source = { path: file.at, mode: file.mode, mtime: file.mtime };
          restored.set(digest, source);
        }
        report.files++;
        report.bytes += file.size;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));

  // Folders last, deepest first: writing into a folder changes its time.
  const entries = [...manifest.entries].reverse();
  for (const entry of entries) {
    const path = join(building, entry.path);
    if (entry.type === 'symlink') await setTime(path, entry.mtime, lutimes);
    if (entry.type === 'dir') {
      await chmod(path, entry.mode);
      await setTime(path, entry.mtime);
    }
  }
  await chmod(building, manifest.root.mode);
  await setTime(building, manifest.root.mtime);
}

/**
 * Set a time kept in whole milliseconds. Node passes seconds as a double, and
 * `x.655` may reach the kernel as `x.654999…`: aiming at the middle of the
 * millisecond reads back as the same millisecond.
 */
function setTime(path: string, ms: number, set: typeof utimes = utimes): Promise<void> {
  const seconds = (ms + 0.5) / 1000;
  return set(path, seconds, seconds);
}

/** A file restored for the laptop, that later files of the same content link to. */
interface RestoredFile {
  /** Where it is now: moved along when its snapshot is renamed into place. */
  path: string;
  readonly mode: number;
  readonly mtime: number;
}

type Fetched = 'ok' | { problem: RestoreProblem['problem']; detail: string };

/** Where a file's bytes are, in words. */
function whereIs(sealing: Sealing, file: FileEntry): string {
  return file.pack === undefined ? `object ${objectKey(sealing.objectName(file.sha256), file.encoding)}` : `${file.length} bytes at ${file.offset} of pack ${packKey(file.pack)}`;
}

function fetchFile(bucket: Bucket, sealing: Sealing, file: FileEntry, target: string): Promise<Fetched> {
  if (file.pack === undefined) return fetchObject(bucket, sealing, file, target);
  return fetchBlob(bucket, sealing, file, target);
}

/** One blob of a pack (a ranged GET), opened and checked, into `target`; on any mismatch nothing is written. */
async function fetchBlob(bucket: Bucket, sealing: Sealing, file: FileEntry, target: string): Promise<Fetched> {
  const stored = await withRetries(() => bucket.getRange(packKey(file.pack!), file.offset!, file.length!));
  if (!stored) return { problem: 'missing', detail: 'the bucket has no such pack' };
  const opened = openBlob(sealing, stored, { length: file.length!, sha256: file.sha256, size: file.size, encoding: file.encoding });
  if (!opened.ok) return { problem: 'corrupt', detail: opened.detail };
  await writeFile(target, opened.plain, { mode: 0o600, flag: 'wx' });
  return 'ok';
}

/** Download, open (decrypt), decompress and check one object into `target`; on any mismatch nothing stays at `target`. */
async function fetchObject(bucket: Bucket, sealing: Sealing, file: FileEntry, target: string): Promise<Fetched> {
  const { sha256, size, encoding } = file;
  const temp = `${target}.${randomBytes(4).toString('hex')}.part`;
  try {
    const found = await withRetries(async () => {
      const body = await bucket.get(objectKey(sealing.objectName(sha256), encoding));
      if (!body) return false;
      await pipeline(body, createWriteStream(temp, { mode: 0o600 }));
      return true;
    });
    if (!found) return { problem: 'missing', detail: 'the bucket has no such object' };
    const hash = createHash('sha256');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(decodeStream(await sealing.openFile(temp), encoding, size), counter, createWriteStream(target, { mode: 0o600 }));
    } catch (err) {
      await rm(target, { force: true });
      const detail = sealing.encrypted && !(err instanceof DecodeError) ? `it does not open with this school's key (${(err as Error).message})` : (err as Error).message;
      return { problem: 'corrupt', detail };
    }
    const digest = hash.digest('hex');
    if (digest !== sha256 || bytes !== size) {
      await rm(target, { force: true });
      return { problem: 'corrupt', detail: mismatch(digest, bytes, sha256, size) };
    }
    return 'ok';
  } finally {
    await rm(temp, { force: true });
  }
}

async function copyLocal(from: string, to: string): Promise<Fetched> {
  await copyFile(from, to);
  return 'ok';
}

/** Point `datastore-latest` at `snapshot` unless it already points to a snapshot here; resolves with where it points. */
async function pointLatestIfUnset(dir: string, snapshot: string): Promise<string | null> {
  const link = join(dir, LATEST);
  const current = await readlink(link).catch(() => null);
  if (current !== null && (await lstat(join(dir, current)).catch(() => null))) return current;
  if (!(await lstat(join(dir, snapshot)).catch(() => null))) return null;
  await unlink(link).catch(() => {});
  await symlink(snapshot, link);
  return snapshot;
}
