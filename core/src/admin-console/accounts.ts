/**
 * The console's accounts: one line per account in `/etc/sugar-server/admin.accounts`
 * (mode 0600), `name:scrypt:N:r:p:salt:hash`, written by
 * `sugar-server admin passwd NAME`. The file is read at each login, so a new
 * or changed password works without a reload.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { chown, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerErrors } from '../errors.js';
import { writeFileAtomically } from '../storage/durable.js';

/** OWASP's scrypt floor for interactive logins (N=2^17, r=8, p=1) costs 128 MiB; 2^15 keeps a small server responsive under a login burst. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const MIN_PASSWORD = 10;
const MAX_PASSWORD = 1024;

const NAME = /^[A-Za-z][A-Za-z0-9._-]{0,31}$/;

export const accountsFile = (etcDir: string) => join(etcDir, 'admin.accounts');

function scrypt(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => scryptCallback(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export function checkAccountName(name: string): string {
  if (!NAME.test(name)) throw ServerErrors.USAGE(`"${name}" is not an account name: a letter, then up to 31 letters, digits, ".", "_" or "-"`);
  return name;
}

export function checkNewPassword(password: string): string {
  if (password.length < MIN_PASSWORD) throw ServerErrors.USAGE(`the password must be at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) throw ServerErrors.USAGE(`the password must be at most ${MAX_PASSWORD} characters`);
  return password;
}

/** Set `name`'s password (adding the account when new); on disk before it resolves. */
export async function setPassword(etcDir: string, name: string, password: string): Promise<'added' | 'changed'> {
  checkAccountName(name);
  checkNewPassword(password);
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, COST);
  const line = [name, 'scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join(':');
  const lines = await readLines(etcDir);
  const at = lines.findIndex((l) => l.split(':', 1)[0] === name);
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  const file = accountsFile(etcDir);
  await writeFileAtomically(file, [`${lines.join('\n')}\n`], 0o600);
  // Run as root for a daemon with a user of its own: the file goes to whoever owns the admin token, which the daemon reads.
  const token = process.getuid?.() === 0 ? await stat(join(etcDir, 'admin.token')).catch(() => null) : null;
  if (token) await chown(file, token.uid, token.gid);
  return at >= 0 ? 'changed' : 'added';
}

/** Whether `password` is `name`'s. An unknown name costs the same work as a known one. */
export async function verifyPassword(etcDir: string, name: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD) return false;
  const line = (await readLines(etcDir)).find((l) => l.split(':', 1)[0] === name);
  const [, scheme, n, r, p, salt, hash] = (line ?? '').split(':');
  if (scheme !== 'scrypt' || !salt || !hash) {
    await scrypt(password, randomBytes(16), COST);
    return false;
  }
  const expected = Buffer.from(hash, 'base64');
  const given = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether any account exists (else the console says how to make one). */
export async function hasAccounts(etcDir: string): Promise<boolean> {
  return (await readLines(etcDir)).length > 0;
}

async function readLines(etcDir: string): Promise<string[]> {
  const text = await readFile(accountsFile(etcDir), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}
