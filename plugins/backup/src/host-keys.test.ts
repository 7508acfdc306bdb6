import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Logger } from 'sugar-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostKeyFile, loadHostKeys } from './host-keys.js';

const warnings: string[] = [];
const log = { info: () => {}, warn: (_fields: unknown, message: string) => void warnings.push(message) } as unknown as Logger;

describe('SSH host keys', () => {
  let etc: string;
  beforeEach(async () => {
    etc = await mkdtemp(join(tmpdir(), 'backup-etc-'));
  });
  afterEach(() => rm(etc, { recursive: true, force: true }));

  it('are made on first start (ed25519 and RSA, mode 0600, .pub beside), then kept', async () => {
    const first = await loadHostKeys(etc, log);
    expect(first.map((k) => k.file)).toEqual([hostKeyFile(etc, 'ed25519'), hostKeyFile(etc, 'rsa')]);
    for (const key of first) {
      expect((await stat(key.file)).mode & 0o777).toBe(0o600);
      expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(await readFile(`${key.file}.pub`, 'utf8')).toMatch(/^ssh-(ed25519|rsa) [A-Za-z0-9+/=]+ sugar-server-backup\n$/);
    }
    const again = await loadHostKeys(etc, log);
    expect(again.map((k) => k.fingerprint)).toEqual(first.map((k) => k.fingerprint));
  });

  it('tighten a key others can read to 0600', async () => {
    await loadHostKeys(etc, log);
    await chmod(hostKeyFile(etc, 'rsa'), 0o644);
    await loadHostKeys(etc, log);
    expect((await stat(hostKeyFile(etc, 'rsa'))).mode & 0o777).toBe(0o600);
    expect(warnings).toContain('SSH host key was readable by others; set to 0600');
  });

  it('refuse a file that is not a private key, rather than replace it', async () => {
    await writeFile(hostKeyFile(etc, 'ed25519'), 'not a key', { mode: 0o600 });
    await expect(loadHostKeys(etc, log)).rejects.toMatchObject({ code: 'BACKUP_ERR_HOST_KEY' });
    expect(await readFile(hostKeyFile(etc, 'ed25519'), 'utf8')).toBe('not a key');
  });

  it('are what ssh2 serves with', async () => {
    for (const key of await loadHostKeys(etc, log)) expect(ssh2.utils.parseKey(key.privateKey)).not.toBeInstanceOf(Error);
  });
});
