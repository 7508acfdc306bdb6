import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { LaptopRegistry, RegisteredLaptop } from 'sugar-server-registry';
import { describe, expect, it } from 'vitest';
import { registeredKeyVerdict } from './ssh-auth.js';
import { signatureVerdict, type KeyOffer, type KeyVerdict } from './ssh-signature.js';

const SN = 'SHC0123456A';
/** ssh2 writes about one ed25519 key in 256 so that it cannot read it back (a leading zero dropped): draw until it can. */
function ed25519(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && Buffer.from(pair.public.split(' ')[1]!, 'base64').length === 51) return pair;
  }
}

const SESSION_DATA = Buffer.from('session id and userauth request, as the client signs them');

function keyPair(type: 'ed25519' | 'rsa') {
  const pair = type === 'rsa' ? ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }) : ed25519();
  const key = ssh2.utils.parseKey(pair.private);
  if (key instanceof Error) throw key;
  return { blob: Buffer.from(pair.public.split(' ')[1]!, 'base64'), key };
}

function registryWith(serial: string, blob: Buffer): LaptopRegistry {
  const laptop = { serial, pubkey: blob.toString('base64') } as RegisteredLaptop;
  return { get: (s) => (s === serial ? laptop : undefined), list: () => [laptop], count: () => 1 };
}

function offer(blob: Buffer, signer?: { sign(data: Buffer, algo?: string): Buffer }, algo = 'ssh-ed25519', hashAlgo?: string): KeyOffer {
  return { username: SN, key: { algo, data: blob }, ...(signer ? { blob: SESSION_DATA, signature: signer.sign(SESSION_DATA, hashAlgo), hashAlgo } : {}) };
}

/** A login as the endpoint checks it: the registry's answer (in the daemon), then the signature (in the SSH process). */
function checkKeyOffer(registry: LaptopRegistry, offer: KeyOffer): KeyVerdict {
  const registered = registeredKeyVerdict(registry, offer);
  return registered.accept ? signatureVerdict(offer) : registered;
}

describe('a key offer, checked against the registry and then its signature', () => {
  const laptop = keyPair('ed25519');
  const registry = registryWith(SN, laptop.blob);

  it('accepts the registered key, asked about and then signed with', () => {
    expect(checkKeyOffer(registry, offer(laptop.blob))).toEqual({ accept: true });
    expect(checkKeyOffer(registry, offer(laptop.blob, laptop.key))).toEqual({ accept: true });
  });

  it('refuses another laptop\'s key, even properly signed', () => {
    const other = keyPair('ed25519');
    expect(checkKeyOffer(registry, offer(other.blob))).toEqual({ accept: false, reason: 'the key is not the one the laptop registered' });
    expect(checkKeyOffer(registry, offer(other.blob, other.key))).toMatchObject({ accept: false });
  });

  it('refuses the registered key with a signature it did not make', () => {
    const other = keyPair('ed25519');
    const forged = { ...offer(laptop.blob), blob: SESSION_DATA, signature: other.key.sign(SESSION_DATA) };
    expect(checkKeyOffer(registry, forged)).toEqual({ accept: false, reason: 'the signature does not verify' });
  });

  it('accepts an old XO\'s DSA signature whose r starts with two zero bytes (ssh2 hands it over as a non-minimal DER integer)', () => {
    // A real OpenSSH-style signature (r and s of 20 bytes each) of SESSION_DATA, drawn until r began 00 00.
    const dsa = 'ssh-dss AAAAB3NzaC1kc3MAAACBAKJZoRLoQ6b4voiHV0lfUXJKY5pZkz13Evow3UQHibLDUSDTc4dyXUZLoqKI1fQ7WLAFM6n7C6a1IicyVfVxAoSnddGatTfbG6xTsHDXoUTDTKDJaOhdIJ5NY0cmPoRlSk5kP4fHkyWWZTVlzkoNHgctevxsCvODyyCs5fRWVDLbAAAAFQD1NQMh0MX2fO+T1FgcvsxNf1K9/wAAAIAWe67YILfLR446UPZj9UCGMgVO0jg7keVrGVefobUxmfTtuqqVGQ1PNWGI1Ejy2/Q6+o9V6Rooz37fQz1p+wf+bjTptMusFcw75jxf0X3dd4gTsbbVY9E+uNL7LBPG8WpBbH9b7kB91vumcqIJ0Ti5xDRnKTwFc+Q5np+47+kK9QAAAIBd81ZJiKWCR9tdnGoJyWN/I18RQpPdluT9dzq8SVWDB/PHtDHVN98NcNlUXPS9dTCUhVVa3U4o8hHuvC7jdOlqgPhM/N4qn4JGvMLoXXKa/BngyIdySzA4A/G6W5GxRiJ1c99OCljTcgINqV4oqidxMcq7RnGlvdvsniLElA2sXA==';
    const raw = Buffer.from('00003b61d24a9b1f7cce831aaa48b5eb1ff662908151c1ed7c8bfd707e14f908dd5798d0472e2939', 'hex');
    // As ssh2's sigSSHToASN1 builds it: a zero byte put before a high bit, one leading zero dropped (r keeps its second).
    const integer = (bytes: Buffer) => (bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes[0] === 0 && !(bytes[1]! & 0x80) ? bytes.subarray(1) : bytes);
    const [r, s] = [integer(raw.subarray(0, 20)), integer(raw.subarray(20))];
    expect(r.subarray(0, 2)).toEqual(Buffer.of(0, 0x3b));
    const der = Buffer.concat([Buffer.of(0x30, 4 + r.length + s.length, 0x02, r.length), r, Buffer.of(0x02, s.length), s]);
    const blob = Buffer.from(dsa.split(' ')[1]!, 'base64');
    const signed = { username: SN, key: { algo: 'ssh-dss', data: blob }, blob: SESSION_DATA, signature: der };
    expect(checkKeyOffer(registryWith(SN, blob), signed)).toEqual({ accept: true });
    const other = Buffer.from(SESSION_DATA.toString().toUpperCase());
    expect(checkKeyOffer(registryWith(SN, blob), { ...signed, blob: other })).toEqual({ accept: false, reason: 'the signature does not verify' });
  });

  it('refuses every key while the registry is not running', () => {
    expect(registeredKeyVerdict(null, offer(laptop.blob))).toEqual({ accept: false, reason: 'the registry is not running' });
  });

  it('refuses users that are not registered serials', () => {
    expect(checkKeyOffer(registry, { ...offer(laptop.blob), username: 'root' })).toMatchObject({ accept: false, reason: 'the user name is not a laptop serial' });
    expect(checkKeyOffer(registry, { ...offer(laptop.blob), username: 'SHC99999999' })).toMatchObject({ accept: false, reason: 'the laptop is not registered' });
  });

  it('checks an RSA signature with the hash the client chose (rsa-sha2-256)', () => {
    const rsa = keyPair('rsa');
    const rsaRegistry = registryWith(SN, rsa.blob);
    expect(checkKeyOffer(rsaRegistry, offer(rsa.blob, rsa.key, 'rsa-sha2-256', 'sha256'))).toEqual({ accept: true });
  });

  it('checks an old XO\'s DSA (ssh-dss) signature', async () => {
    // A DSA key as an XO's ssh-keygen made it (node:crypto cannot write DSA keys in a form ssh2 reads).
    const dir = await mkdtemp(join(tmpdir(), 'backup-dsa-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'dsa', '-N', '', '-m', 'PEM', '-f', join(dir, 'owner.key')]);
      const key = ssh2.utils.parseKey(await readFile(join(dir, 'owner.key')));
      if (key instanceof Error) throw key;
      const blob = key.getPublicSSH();
      const dsaRegistry = registryWith(SN, blob);
      expect(checkKeyOffer(dsaRegistry, offer(blob, key, 'ssh-dss'))).toEqual({ accept: true });
      expect(checkKeyOffer(dsaRegistry, { ...offer(blob, key, 'ssh-dss'), blob: Buffer.from('other data') })).toMatchObject({ accept: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
