import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_KEY_TEXT, parsePublicKey, SSH_KEY_TYPES, type SshKeyType } from './ssh-key.js';

/** ssh-keygen arguments for each accepted type. */
const KEYGEN: Record<SshKeyType, string[]> = {
  'ssh-dss': ['-t', 'dsa'],
  'ssh-rsa': ['-t', 'rsa', '-b', '2048'],
  'ssh-ed25519': ['-t', 'ed25519'],
  'ecdsa-sha2-nistp256': ['-t', 'ecdsa', '-b', '256'],
  'ecdsa-sha2-nistp384': ['-t', 'ecdsa', '-b', '384'],
  'ecdsa-sha2-nistp521': ['-t', 'ecdsa', '-b', '521'],
};

let dir: string;
/** One-line public keys (`type base64 comment`) made by the real ssh-keygen. */
const lines = {} as Record<SshKeyType, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'registry-keys-'));
  for (const type of SSH_KEY_TYPES) {
    const file = join(dir, type);
    execFileSync('ssh-keygen', ['-q', ...KEYGEN[type], '-N', '', '-C', 'ana@xo', '-f', file]);
    lines[type] = readFileSync(`${file}.pub`, 'utf8').trim();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const blobOf = (type: SshKeyType) => lines[type].split(' ')[1]!;

function sshString(bytes: Buffer | string): Buffer {
  const body = Buffer.from(bytes);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

const blob = (...fields: (Buffer | string)[]) => Buffer.concat(fields.map(sshString)).toString('base64');

describe('parsePublicKey', () => {
  it.each(SSH_KEY_TYPES)('reads a bare %s blob as old clients send it', (type) => {
    expect(parsePublicKey(blobOf(type))).toEqual({ type, blob: blobOf(type) });
  });

  it.each(SSH_KEY_TYPES)('reads a whole %s line and keeps only the blob', (type) => {
    expect(parsePublicKey(`${lines[type]}\n`)).toEqual({ type, blob: blobOf(type) });
  });

  it('reads a blob followed by its comment, as Sugar sends a key file line without "ssh-dss "', () => {
    expect(parsePublicKey(`${blobOf('ssh-dss')} ana@xo`)).toEqual({ type: 'ssh-dss', blob: blobOf('ssh-dss') });
  });

  it('refuses a line whose label disagrees with its blob', () => {
    expect(() => parsePublicKey(`ssh-dss ${blobOf('ssh-rsa')}`)).toThrow(/labelled "ssh-dss" but its blob holds an ssh-rsa key/);
    expect(() => parsePublicKey(`ssh-foo ${blobOf('ssh-rsa')}`)).toThrow(/labelled "ssh-foo"/);
  });

  it.each([
    [42, /must be a string/],
    ['', /is empty/],
    ['   ', /is empty/],
    ['ssh-dss', /is not base64/],
    ['not base64!', /is not base64/],
    ['AAAA', /field length is cut short/],
    [Buffer.from([0, 0, 0, 9, 0x73]).toString('base64'), /runs past the end/],
    ['x'.repeat(MAX_KEY_TEXT + 1), /longer than 8192 characters/],
    [blob('ssh-foo', 'x'), /type "ssh-foo", which is not accepted \(accepted: ssh-dss, ssh-rsa/],
    [blob('ssh-ed25519', Buffer.alloc(31)), /holds 31 bytes where an ed25519 key has 32/],
    [blob('ssh-ed25519', Buffer.alloc(32), 'extra'), /has 2 fields after its type, where an ssh-ed25519 key has 1/],
    [blob('ssh-dss', Buffer.of(1), Buffer.of(1), Buffer.of(1)), /has 3 fields/],
    [blob('ssh-dss', Buffer.of(1), Buffer.of(0x80), Buffer.of(1), Buffer.of(1)), /a number is empty or negative/],
    [blob('ssh-rsa', Buffer.of(1, 0, 1), Buffer.alloc(0)), /a number is empty or negative/],
    [blob('ecdsa-sha2-nistp256', 'nistp384', Buffer.alloc(65, 4)), /naming curve "nistp384"/],
    [blob('ecdsa-sha2-nistp256', 'nistp256', Buffer.alloc(64, 4)), /bad point encoding/],
  ])('refuses %j', (value, message) => {
    expect(() => parsePublicKey(value)).toThrow(
      expect.objectContaining({ code: 'REGISTRY_ERR_BAD_KEY', status: 400, message: expect.stringMatching(message) }),
    );
  });

  it('refuses a blob with bytes after its last field', () => {
    const bytes = Buffer.concat([Buffer.from(blobOf('ssh-ed25519'), 'base64'), Buffer.of(0, 0)]);
    expect(() => parsePublicKey(bytes.toString('base64'))).toThrow(/field length is cut short/);
  });

  it('refuses an ECDSA point that is not on its curve', () => {
    const fields = Buffer.from(blobOf('ecdsa-sha2-nistp256'), 'base64');
    fields[fields.length - 1]! ^= 0x01;
    expect(() => parsePublicKey(fields.toString('base64'))).toThrow(/the point is not on the curve/);
  });

  it('refuses an RSA key under 1024 bits', () => {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 768 }).publicKey.export({ format: 'jwk' });
    const mpint = (b64url: string) => {
      const bytes = Buffer.from(b64url, 'base64url');
      return bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
    };
    expect(() => parsePublicKey(blob('ssh-rsa', mpint(jwk.e!), mpint(jwk.n!)))).toThrow(/RSA key of 768 bits; at least 1024/);
  });
});
