import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createIdentity } from '../identity.js';
import { OLD_XO_SSH_OPTIONS, openSshSession, remote, transferStats } from './rsync.js';

describe('ds-backup\'s ssh', () => {
  it('is ssh -F /dev/null, no passwords, no host key check, the laptop\'s key and its serial as user', async () => {
    const identity = createIdentity();
    const session = await openSshSession(identity, { sshPort: 2222 });
    try {
      expect(session.args.slice(0, 3)).toEqual(['ssh', '-F', '/dev/null']);
      expect(session.args).toEqual(expect.arrayContaining(['PasswordAuthentication no', 'StrictHostKeyChecking no', '-l', identity.serial, '-p', '2222']));
      const keyFile = session.args[session.args.indexOf('-i') + 1]!;
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      expect(session.command).toContain('-o "PasswordAuthentication no"');
      expect(session.args.some((arg) => arg.startsWith('HostKeyAlgorithms'))).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('offers what an old XO\'s OpenSSH offers when the laptop holds a DSA key', async () => {
    const session = await openSshSession(createIdentity({ keyType: 'dsa' }));
    try {
      for (const option of OLD_XO_SSH_OPTIONS) expect(session.args).toContain(option);
    } finally {
      await session.close();
    }
  });

  it('names IPv6 hosts in brackets for rsync', () => {
    expect(remote('::1', 'datastore-current')).toBe('[::1]:datastore-current');
    expect(remote('schoolserver', 'documents')).toBe('schoolserver:documents');
  });

  it('reads the bytes moved from rsync --stats', () => {
    expect(transferStats('Number of files: 3\nTotal bytes sent: 1,234,567\nTotal bytes received: 89\n')).toEqual({ sent: 1234567, received: 89 });
    expect(transferStats('nothing')).toBeUndefined();
  });
});
