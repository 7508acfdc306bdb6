/**
 * Who may check in: enrolment tokens (single use, expiring) and the credential
 * each school gets for them. The Mothership keeps only sha256 digests of both;
 * a 256-bit random secret needs no slow hash, and digests are compared in
 * constant time. The school keeps its credential in `<etc>/fleet.credential`
 * (mode 0600), and its stable server id in `<data>/core/server-id`.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Paths } from '../paths.js';
import { writeFileAtomically } from '../storage/durable.js';
import { FleetErrors } from './errors.js';
import { isServerId } from './report.js';

/**
 * A fresh secret: 32 random bytes in hex, for enrolment tokens and school
 * secrets alike. Hex, not base64url: a token that began with "-" would read as
 * an option on the command line.
 */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

export function digestOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether `secret` hashes to `digest`, in time that does not depend on where they differ. */
export function matchesDigest(secret: string, digest: string): boolean {
  const given = Buffer.from(digestOf(secret), 'hex');
  const held = Buffer.from(digest, 'hex');
  return given.length === held.length && timingSafeEqual(given, held);
}

/** `Authorization: Bearer <server id>.<secret>` split in its parts; null when it is not of that form. */
export function parseSchoolCredential(header: string): { serverId: string; secret: string } | null {
  if (!header.startsWith('Bearer ')) return null;
  const value = header.slice(7).trim();
  const dot = value.indexOf('.');
  if (dot < 0) return null;
  const serverId = value.slice(0, dot);
  const secret = value.slice(dot + 1);
  return isServerId(serverId) && /^[A-Za-z0-9_-]{16,128}$/.test(secret) ? { serverId, secret } : null;
}

/** What a school keeps after enrolling. */
export interface SchoolCredential {
  /** The base URL of the server it enrolled with (its upstream). */
  readonly upstream: string;
  readonly serverId: string;
  readonly secret: string;
  /** The name and group the upstream enrolled it under. */
  readonly name: string;
  readonly group: string | null;
  readonly enrolledAt: string;
}

export const credentialFile = (paths: Paths) => join(paths.etc, 'fleet.credential');
export const serverIdFile = (paths: Paths) => join(paths.data, 'core', 'server-id');

export async function writeCredential(paths: Paths, credential: SchoolCredential): Promise<string> {
  const file = credentialFile(paths);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomically(file, [`${JSON.stringify(credential, null, 2)}\n`], 0o600);
  return file;
}

/** The school's credential; null when it never enrolled; SERVER_ERR_FLEET_NOT_ENROLLED when the file is unusable. */
export async function readCredential(paths: Paths): Promise<SchoolCredential | null> {
  const file = credentialFile(paths);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw FleetErrors.NOT_ENROLLED(file, (err as Error).message);
  }
  let parsed: Partial<SchoolCredential>;
  try {
    parsed = JSON.parse(text) as Partial<SchoolCredential>;
  } catch (err) {
    throw FleetErrors.NOT_ENROLLED(file, `not JSON (${(err as Error).message})`);
  }
  const { upstream, serverId, secret, name, group, enrolledAt } = parsed;
  if (typeof upstream !== 'string' || typeof serverId !== 'string' || !isServerId(serverId) || typeof secret !== 'string' || typeof name !== 'string') {
    throw FleetErrors.NOT_ENROLLED(file, 'it lacks upstream, serverId, secret or name');
  }
  return { upstream, serverId, secret, name, group: typeof group === 'string' ? group : null, enrolledAt: typeof enrolledAt === 'string' ? enrolledAt : '' };
}

/** This server's stable id, made once (a random UUID) and kept in the data folder. */
export async function ensureServerId(paths: Paths): Promise<string> {
  const file = serverIdFile(paths);
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (isServerId(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(file), { recursive: true });
  const id = randomUUID();
  try {
    const handle = await open(file, 'wx', 0o644);
    await handle.writeFile(`${id}\n`);
    await handle.sync();
    await handle.close();
    return id;
  } catch (err) {
    // Made by another process in between (the CLI and the daemon): take theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    // A file there that is not an id: replace it.
    await writeFileAtomically(file, [`${id}\n`], 0o644);
    return id;
  }
}
