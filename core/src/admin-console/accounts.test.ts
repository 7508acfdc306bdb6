import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsFile, hasAccounts, setPassword, verifyPassword } from './accounts.js';

describe('console accounts', () => {
  let etc: string;
  beforeAll(async () => {
    etc = await mkdtemp(join(tmpdir(), 'accounts-'));
  });
  afterAll(() => rm(etc, { recursive: true, force: true }));

  it('keeps only a scrypt hash, in a file only its owner reads, and checks passwords against it', async () => {
    expect(await hasAccounts(etc)).toBe(false);
    expect(await setPassword(etc, 'teacher', 'correct horse battery')).toBe('added');
    const text = await readFile(accountsFile(etc), 'utf8');
    expect(text).toMatch(/^teacher:scrypt:32768:8:1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\n$/);
    expect(text).not.toContain('horse');
    expect((await stat(accountsFile(etc))).mode & 0o777).toBe(0o600);
    expect(await verifyPassword(etc, 'teacher', 'correct horse battery')).toBe(true);
    expect(await verifyPassword(etc, 'teacher', 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(etc, 'nobody', 'correct horse battery')).toBe(false);
  });

  it('changes a password in place and keeps the other accounts', async () => {
    await setPassword(etc, 'head', 'another long password');
    expect(await setPassword(etc, 'teacher', 'a brand new password')).toBe('changed');
    expect(await verifyPassword(etc, 'teacher', 'correct horse battery')).toBe(false);
    expect(await verifyPassword(etc, 'teacher', 'a brand new password')).toBe(true);
    expect(await verifyPassword(etc, 'head', 'another long password')).toBe(true);
  });

  it('refuses short passwords and names that could break the file', async () => {
    await expect(setPassword(etc, 'teacher', 'short')).rejects.toThrow(/at least 10 characters/);
    await expect(setPassword(etc, 'a:b', 'long enough password')).rejects.toThrow(/not an account name/);
  });
});
