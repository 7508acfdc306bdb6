/**
 * Unpacking a lists archive (UT1's `blacklists.tar.gz`, an upload, the
 * Mothership's feed) into a fresh folder, safely: no absolute paths, no `..`,
 * only files and folders are written, at most `limit` bytes and
 * {@link MAX_ENTRIES} entries. Links are never unpacked as such: those that
 * stay inside the archive (UT1 links some categories to others) are made
 * again afterwards, as relative symbolic links, once every file is in place;
 * a link pointing out refuses the whole archive.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isSugarError } from 'sugar-server';
import { extract, type ReadEntry } from 'tar';
import { BlacklistsErrors } from '../errors.js';

/** More entries than any real blacklist archive has (UT1 has a few hundred). */
export const MAX_ENTRIES = 100_000;
/** Folder nesting allowed inside an archive. */
const MAX_DEPTH = 16;

/** What was unpacked. */
export interface Unpacked {
  readonly files: number;
  readonly bytes: number;
  readonly links: number;
}

interface PendingLink {
  readonly path: string;
  /** Absolute target inside the destination. */
  readonly target: string;
}

/** Unpack `archive` into `dest` (created; removed again if anything is refused). */
export async function unpackArchive(archive: string, dest: string, limit: number): Promise<Unpacked> {
  await mkdir(dest, { recursive: true });
  const root = resolve(dest);
  const links: PendingLink[] = [];
  let files = 0;
  let bytes = 0;
  let entries = 0;
  let refusal: Error | null = null;
  const refuse = (error: Error) => {
    refusal ??= error;
    return false;
  };

  try {
    await extract({
      file: archive,
      cwd: root,
      strict: true,
      preserveOwner: false,
      maxDepth: MAX_DEPTH,
      filter: (path: string, entry: unknown) => {
        if (refusal) return false;
        const item = entry as ReadEntry;
        if (++entries > MAX_ENTRIES) return refuse(BlacklistsErrors.BAD_ARCHIVE(`more than ${MAX_ENTRIES} entries`));
        const unsafe = unsafePath(path);
        if (unsafe) return refuse(BlacklistsErrors.BAD_ARCHIVE(`"${path}" ${unsafe}`));
        switch (item.type) {
          case 'Directory':
            return true;
          case 'File':
          case 'OldFile':
          case 'ContiguousFile':
            bytes += item.size ?? 0;
            if (bytes > limit) return refuse(BlacklistsErrors.ARCHIVE_TOO_LARGE(limit));
            files++;
            return true;
          case 'SymbolicLink':
          case 'Link': {
            const linkpath = item.linkpath ?? '';
            // A symbolic link is relative to its own folder, a hard link to the archive's root.
            const target = item.type === 'Link' ? resolve(root, linkpath) : resolve(root, dirname(path), linkpath);
            if (!linkpath || isAbsoluteLike(linkpath) || !within(root, target)) {
              return refuse(BlacklistsErrors.BAD_ARCHIVE(`"${path}" links to "${linkpath}", outside the archive`));
            }
            links.push({ path: resolve(root, path), target });
            return false;
          }
          default:
            return false;
        }
      },
    });
    if (refusal) throw refusal;
    // tar reads a last header cut short as the archive's end and says nothing; a tar is whole 512-byte blocks.
    const remainder = (await tarLength(archive)) % 512;
    if (remainder) throw BlacklistsErrors.BAD_ARCHIVE(`it ends ${remainder} bytes into a 512-byte header: the archive was cut short`);
    // Each link was checked where it stands in the archive; one made inside another would stand
    // elsewhere once that one exists, and its relative target could then lead out.
    const linkPaths = new Set(links.map((link) => link.path));
    for (const link of links) {
      for (let folder = dirname(link.path); folder !== root && within(root, folder); folder = dirname(folder)) {
        if (linkPaths.has(folder)) {
          throw BlacklistsErrors.BAD_ARCHIVE(`"${relative(root, link.path)}" lies inside the link "${relative(root, folder)}"`);
        }
      }
    }
    for (const link of links) {
      await mkdir(dirname(link.path), { recursive: true });
      await symlink(relative(dirname(link.path), link.target), link.path);
    }
    return { files, bytes, links: links.length };
  } catch (err) {
    // tar rejects on the first failed entry while others are still being written: retry
    // until those writes are done, so the refusal is the archive's, not "directory not empty".
    await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 10 });
    if (isSugarError(err)) throw err;
    throw BlacklistsErrors.BAD_ARCHIVE((err as Error).message);
  }
}

/** Bytes of tar in `archive`, gunzipped when it is gzip (read again: tar keeps the count to itself). */
async function tarLength(archive: string): Promise<number> {
  const file = await open(archive, 'r');
  const magic = Buffer.alloc(2);
  try {
    await file.read(magic, 0, 2, 0);
  } finally {
    await file.close();
  }
  let length = 0;
  const counter = new Writable({ write: (chunk: Buffer, _encoding, done) => ((length += chunk.length), done()) });
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  await (gzipped ? pipeline(createReadStream(archive), createGunzip(), counter) : pipeline(createReadStream(archive), counter));
  return length;
}

/** Why an entry path is refused, or null: absolute, `..`, or odd characters. */
function unsafePath(path: string): string | null {
  if (isAbsoluteLike(path)) return 'is an absolute path';
  const parts = path.split('/');
  if (parts.includes('..')) return 'climbs out with ".."';
  if (/[\0\\]/.test(path)) return 'holds a NUL or a backslash';
  return null;
}

function isAbsoluteLike(path: string): boolean {
  return path.startsWith('/') || /^[a-zA-Z]:/.test(path);
}

function within(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
