/**
 * `manifest.json`: `{name, generated, version?, expires?, files: [{path, sha256, size}]}`.
 * Everything in it comes from the network or a disk, so every field is checked.
 */
import { FeedErrors } from './errors.js';
import type { FeedFileEntry, FeedManifest } from './types.js';

/** Relative, no `.`/`..` segments, only characters that mean the same on every file system. */
const SAFE_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_FILES = 100_000;

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_SUFFIX = '.sig';
/** Where a snapshot keeps the manifest it was made from, beside the feed's files. */
export const SNAPSHOT_MANIFEST = '.manifest.json';
/** Names beside a feed's files that its own files may not take. */
const RESERVED_PATHS = new Set([MANIFEST_FILE, MANIFEST_FILE + SIGNATURE_SUFFIX, SNAPSHOT_MANIFEST, SNAPSHOT_MANIFEST + SIGNATURE_SUFFIX]);

export function isSafeFeedPath(path: string): boolean {
  return path.length <= 512 && SAFE_PATH.test(path);
}

/** A feed name is one safe path segment. */
export function isFeedName(name: string): boolean {
  return isSafeFeedPath(name) && !name.includes('/') && name.length <= 64;
}

export function isReservedFeedPath(path: string): boolean {
  return RESERVED_PATHS.has(path);
}

/** Check a manifest received from the network or a disk. */
export function checkManifest(value: unknown, url: string): FeedManifest {
  const bad = (why: string) => FeedErrors.BAD_MANIFEST(url, why);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const { name, generated, version, expires, files } = value as Record<string, unknown>;
  if (typeof name !== 'string' || !name) throw bad('"name" must be a non-empty string');
  if (typeof generated !== 'string' || Number.isNaN(Date.parse(generated))) throw bad('"generated" must be an ISO date');
  if (version !== undefined && !(typeof version === 'number' && Number.isSafeInteger(version) && version >= 1)) {
    throw bad('"version" must be a whole number from 1');
  }
  if (expires !== undefined && (typeof expires !== 'string' || Number.isNaN(Date.parse(expires)))) throw bad('"expires" must be an ISO date');
  if (!Array.isArray(files) || files.length > MAX_FILES) throw bad(`"files" must be a list of at most ${MAX_FILES} entries`);
  const seen = new Set<string>();
  const checked: FeedFileEntry[] = files.map((file: unknown, i) => {
    const { path, sha256, size } = (file ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || !isSafeFeedPath(path)) throw bad(`files[${i}].path ${JSON.stringify(path)} is not a safe relative path`);
    if (isReservedFeedPath(path)) throw bad(`files[${i}].path "${path}" is a name the feed's own records use`);
    if (seen.has(path)) throw bad(`files[${i}].path "${path}" appears twice`);
    seen.add(path);
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw bad(`files[${i}].sha256 must be 64 lower-case hex digits`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`files[${i}].size must be a whole number of bytes`);
    return { path, sha256, size };
  });
  // Every file must fit in one snapshot folder: no path may also be a folder of another.
  const folders = new Map<string, number>();
  checked.forEach(({ path }, i) => {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      if (!folders.has(path.slice(0, slash))) folders.set(path.slice(0, slash), i);
    }
  });
  checked.forEach(({ path }, i) => {
    const inside = folders.get(path);
    if (inside !== undefined) throw bad(`files[${i}].path "${path}" is also a folder of files[${inside}].path "${checked[inside]!.path}"`);
  });
  return {
    name,
    generated,
    ...(version === undefined ? {} : { version: version as number }),
    ...(expires === undefined ? {} : { expires: expires as string }),
    files: checked,
  };
}

/** Parse and check manifest bytes. */
export function parseManifest(bytes: Uint8Array, url: string): FeedManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw FeedErrors.BAD_MANIFEST(url, 'not JSON');
  }
  return checkManifest(parsed, url);
}

export function sameFiles(a: FeedManifest, b: FeedManifest): boolean {
  if (a.files.length !== b.files.length) return false;
  const digests = new Map(a.files.map((f) => [f.path, f.sha256]));
  return b.files.every((f) => digests.get(f.path) === f.sha256);
}

/** What changed between two manifests, for an import's report. */
export function filesChanged(before: FeedManifest | undefined, after: FeedManifest): { added: number; changed: number; removed: number } {
  const old = new Map((before?.files ?? []).map((f) => [f.path, f.sha256]));
  let added = 0;
  let changed = 0;
  for (const file of after.files) {
    const digest = old.get(file.path);
    if (digest === undefined) added++;
    else if (digest !== file.sha256) changed++;
    old.delete(file.path);
  }
  return { added, changed, removed: old.size };
}
