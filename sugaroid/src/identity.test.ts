import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { SugaroidErrors } from './errors.js';
import { createIdentity, isXoSerial } from './identity.js';
import { readSshStrings, SSH_KEY_NAMES, SSH_KEY_TYPES, type SshKeyType } from './ssh-keys.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const tmp = mkdtempSync(join(tmpdir(), 'sugaroid-identity-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('createIdentity', () => {
  it('makes XO serials over many generations', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { serial } = createIdentity();
      expect(serial).toMatch(/^[A-Z]{3}[0-9A-F]{8}$/);
      serials.add(serial);
    }
    expect(serials.size).toBe(300);
  });

  it('makes random v4 UUIDs in the standard lowercase form', () => {
    const a = createIdentity();
    const b = createIdentity();
    expect(a.uuid).toMatch(UUID_V4);
    expect(b.uuid).toMatch(UUID_V4);
    expect(a.uuid).not.toBe(b.uuid);
  });

  it('keeps the serial, uuid and nick it is given', () => {
    const identity = createIdentity({ serial: 'SHC0A1B2C3D', uuid: '01234567-89ab-4def-8123-456789abcdef', nick: 'Ana' });
    expect(identity).toMatchObject({ serial: 'SHC0A1B2C3D', uuid: '01234567-89ab-4def-8123-456789abcdef', nick: 'Ana' });
    expect(identity.sshKey.type).toBe('ed25519');
    expect(identity.sshKey.publicKey.endsWith(' SHC0A1B2C3D@sugaroid')).toBe(true);
  });

  it('refuses a serial, uuid or key type a laptop could not have', () => {
    expect(() => createIdentity({ serial: 'shc0a1b2c3d' })).toThrow(expect.objectContaining({ code: SugaroidErrors.BAD_IDENTITY.code }));
    expect(() => createIdentity({ serial: 'SHC0A1B2C3' })).toThrow(/not an XO serial/);
    expect(() => createIdentity({ uuid: 'not-a-uuid' })).toThrow(/not a UUID/);
    expect(() => createIdentity({ keyType: 'dss' as SshKeyType })).toThrow(/key type "dss"/);
  });
});

describe('isXoSerial', () => {
  it('accepts 3 capitals and 8 uppercase hex digits only', () => {
    expect(isXoSerial('SHC0123456A')).toBe(true);
    expect(isXoSerial('SHF00000000')).toBe(true);
    expect(isXoSerial('SHC0123456a')).toBe(false);
    expect(isXoSerial('SH00123456A')).toBe(false);
    expect(isXoSerial('SHC0123456AB')).toBe(false);
    expect(isXoSerial('SHC0123456G')).toBe(false);
    expect(isXoSerial(42)).toBe(false);
  });
});

describe.each(SSH_KEY_TYPES)('%s keys', (type) => {
  const identity = createIdentity({ keyType: type });
  const { sshKey } = identity;
  const name = SSH_KEY_NAMES[type];

  it('registers a bare wire blob that starts with the key name', () => {
    expect(sshKey.type).toBe(type);
    expect(sshKey.publicBlob).not.toMatch(/\s/);
    const fields = readSshStrings(Buffer.from(sshKey.publicBlob, 'base64'));
    expect(fields[0]?.toString()).toBe(name);
    expect(sshKey.publicKey).toBe(`${name} ${sshKey.publicBlob} ${identity.serial}@sugaroid`);
  });

  it('has a private key that the real ssh-keygen reads back to the same public key', () => {
    const file = join(tmp, `${type}.key`);
    writeFileSync(file, sshKey.privateKey, { mode: 0o600 });
    const derived = execFileSync(SSH_KEYGEN, ['-y', '-f', file], { encoding: 'utf8' }).trim().split(' ');
    expect(derived.slice(0, 2)).toEqual([name, sshKey.publicBlob]);
  });

  it('has a private key that ssh2 reads, with the same public blob', () => {
    const parsed = ssh2.utils.parseKey(sshKey.privateKey);
    if (parsed instanceof Error) throw parsed;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    expect(key.type).toBe(name);
    expect(key.getPublicSSH().toString('base64')).toBe(sshKey.publicBlob);
  });
});

describe('DSA keys as old XOs make them', () => {
  it('have 1024-bit p and 160-bit q', () => {
    const blob = Buffer.from(createIdentity({ keyType: 'dsa' }).sshKey.publicBlob, 'base64');
    const [, p, q, g, y] = readSshStrings(blob);
    const bits = (mpint: Buffer | undefined) => (mpint ? BigInt(`0x${mpint.toString('hex')}`).toString(2).length : 0);
    expect(bits(p)).toBe(1024);
    expect(bits(q)).toBe(160);
    expect(bits(g)).toBeGreaterThan(1);
    expect(bits(y)).toBeGreaterThan(1);
  });
});
