/**
 * The SSH endpoint's host keys, made on first start and kept under the
 * configuration folder (`/etc/sugar-server/backup-ssh-host-<type>-key`, mode
 * 0600, with a `.pub` beside it) so laptops see the same host from start to
 * start. ed25519 for modern clients; RSA for old XOs, whose OpenSSH knows no
 * ed25519 host keys.
 */
import { createHash } from 'node:crypto';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Logger } from 'sugar-server';
import { withCause } from 'sugar-server';
import { BackupErrors } from './errors.js';

type KeyPair = { private: string; public: string };

/** ssh2's key generation, off the main thread (an RSA key takes a second or more on a small server). */
function generate(type: 'ed25519' | 'rsa'): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, pair: KeyPair) => (err ? reject(err) : resolve(pair));
    if (type === 'rsa') ssh2.utils.generateKeyPair('rsa', { bits: 3072 }, done);
    else ssh2.utils.generateKeyPair('ed25519', done);
  });
}

const KEY_TYPES = ['ed25519', 'rsa'] as const;

/**
 * ssh2 drops leading zero bytes of an ed25519 key when writing it (about one
 * key in 256), and then cannot read it back; such a key is drawn again.
 */
async function makeReadable(type: (typeof KEY_TYPES)[number]): Promise<KeyPair> {
  for (;;) {
    const pair = await generate(type);
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

/** A host key as the SSH server takes it, with what the admin compares. */
export interface HostKey {
  readonly file: string;
  /** Private key text (OpenSSH format). */
  readonly privateKey: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
}

export function hostKeyFile(etcDir: string, type: string): string {
  return join(etcDir, `backup-ssh-host-${type}-key`);
}

/** Read the host keys, making the missing ones; throws BACKUP_ERR_HOST_KEY. */
export async function loadHostKeys(etcDir: string, log: Logger): Promise<HostKey[]> {
  const keys: HostKey[] = [];
  for (const type of KEY_TYPES) {
    const file = hostKeyFile(etcDir, type);
    let text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw withCause(BackupErrors.HOST_KEY(file, err.message), err);
    });
    if (text === null) {
      text = await makeKey(file, await makeReadable(type));
      log.info({ file }, 'SSH host key made');
    } else {
      await keepPrivate(file, log);
    }
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error || !parsed.isPrivateKey()) {
      throw BackupErrors.HOST_KEY(file, `not a private key (${parsed instanceof Error ? parsed.message : 'public only'}); move it away to have a new one made`);
    }
    const fingerprint = `SHA256:${createHash('sha256').update(parsed.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
    keys.push({ file, privateKey: text, fingerprint });
  }
  return keys;
}

async function makeKey(file: string, pair: KeyPair): Promise<string> {
  const temp = `${file}.new`;
  try {
    await writeFile(temp, pair.private, { mode: 0o600 });
    await writeFile(`${file}.pub`, `${pair.public.split(' ').slice(0, 2).join(' ')} sugar-server-backup\n`, { mode: 0o644 });
    // Renamed into place last, so a half-written key is never taken for one.
    await rename(temp, file);
  } catch (err) {
    throw withCause(BackupErrors.HOST_KEY(file, (err as Error).message), err);
  }
  return pair.private;
}

/** A private key others can read is tightened to 0600, and said so. */
async function keepPrivate(file: string, log: Logger): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) === 0) return;
  await chmod(file, 0o600);
  log.warn({ file, mode: (mode & 0o777).toString(8) }, 'SSH host key was readable by others; set to 0600');
}
