import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findValidSignature, generateSigningKey, parsePublicKeys, readPublicKeys, readSigningKey, signatureFile } from './signing.js';

describe('feed keys and signatures', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feed-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('makes a private key only its owner reads, and never overwrites one', async () => {
    const file = join(dir, 'online.key');
    const line = await generateSigningKey(file, 'mothership 2026');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(line).toMatch(/^ed25519 [A-Za-z0-9+/]{43}= mothership 2026$/);
    expect(await readFile(`${file}.pub`, 'utf8')).toBe(`${line}\n`);
    await expect(generateSigningKey(file, '')).rejects.toThrow(`${file}: already exists; a key is never overwritten`);
  });

  it('verifies a signature over the exact bytes, by a trusted key only', async () => {
    await generateSigningKey(join(dir, 'a.key'), 'a');
    await generateSigningKey(join(dir, 'b.key'), 'b');
    const a = await readSigningKey(join(dir, 'a.key'));
    const [trustedA] = await readPublicKeys(join(dir, 'a.key.pub'));
    const [trustedB] = await readPublicKeys(join(dir, 'b.key.pub'));
    expect(trustedA!.id).toBe(a.id);
    const bytes = Buffer.from('{"name":"leases","version":3}');
    const signature = Buffer.from(signatureFile(bytes, a));

    expect(findValidSignature(bytes, signature, new Map([[a.id, trustedA!]]))).toBe(trustedA);
    expect(findValidSignature(Buffer.from('{"name":"leases","version":4}'), signature, new Map([[a.id, trustedA!]]))).toBe(
      'the signature does not match the bytes (changed after signing)',
    );
    expect(findValidSignature(bytes, signature, new Map([[trustedB!.id, trustedB!]]))).toMatch(/^signed by [0-9a-f]{16}, none of them a trusted key$/);
    expect(findValidSignature(bytes, Buffer.from('{"signatures":[]}'), new Map())).toBe('the signature file must list 1 to 16 signatures');
    expect(findValidSignature(bytes, Buffer.from('garbage'), new Map())).toBe('the signature file is not JSON');
  });

  it('names the file and line of a bad public key', () => {
    const good = 'ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= root';
    expect(parsePublicKeys(`# deployment root\n\n${good}\n`, '/etc/k.pub')).toHaveLength(1);
    expect(() => parsePublicKeys(`${good}\nssh-rsa AAAA x\n`, '/etc/k.pub')).toThrow('/etc/k.pub:2: expected "ed25519 <base64 key> [comment]"');
    expect(() => parsePublicKeys('ed25519 c2hvcnQ=\n', '/etc/k.pub')).toThrow('/etc/k.pub:1: the key is not 32 bytes of base64');
    expect(() => parsePublicKeys('# nothing\n', '/etc/k.pub')).toThrow('/etc/k.pub: holds no key');
  });

  it('refuses a private key that is not ed25519', async () => {
    const file = join(dir, 'rsa.pem');
    const { generateKeyPairSync } = await import('node:crypto');
    await writeFile(file, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await expect(readSigningKey(file)).rejects.toThrow(`${file}: is a rsa key; feeds are signed with ed25519`);
  });
});
