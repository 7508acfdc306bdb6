/**
 * ed25519 keys and detached signatures for feeds.
 *
 * - A public key is one line: `ed25519 <base64 of the 32-byte key> [comment]`;
 *   a file of them (`[feeds] trusted_keys`) allows `#` comments and blank lines.
 * - A private key is PKCS#8 PEM, mode 0600.
 * - A signature file (`manifest.json.sig`, `keys.json.sig`) is JSON:
 *   `{"signatures":[{"keyid":"<sha256 of the raw key, hex>","sig":"<base64>"}]}`,
 *   over the exact bytes of the file beside it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { FeedErrors } from './errors.js';

export interface PublicFeedKey {
  readonly id: string;
  readonly key: KeyObject;
  readonly comment: string;
}

export interface SigningKey {
  readonly id: string;
  readonly key: KeyObject;
}

export interface Signature {
  readonly keyid: string;
  readonly sig: string;
}

const KEY_TYPE = 'ed25519';
const RAW_KEY_BYTES = 32;
const MAX_SIGNATURES = 16;

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

export function keyIdOf(key: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(key)).digest('hex');
}

/** `raw` (32 bytes) as a key, or undefined when it is not an ed25519 public key. */
export function publicKeyFromRaw(raw: Buffer): KeyObject | undefined {
  if (raw.length !== RAW_KEY_BYTES) return undefined;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

export function publicKeyLine(key: KeyObject, comment: string): string {
  return `${KEY_TYPE} ${rawPublicKey(key).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** The raw key as base64, as `keys.json` carries it. */
export function publicKeyBase64(key: KeyObject): string {
  return rawPublicKey(key).toString('base64');
}

/** One public key line; `where` names it in errors (`file:line`). */
export function parsePublicKeyLine(line: string, where: string): PublicFeedKey {
  const [type, base64, ...comment] = line.trim().split(/\s+/);
  if (type !== KEY_TYPE) throw FeedErrors.KEY_FILE(where, `expected "${KEY_TYPE} <base64 key> [comment]", got "${line.trim().slice(0, 60)}"`);
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(base64 ?? '') ? publicKeyFromRaw(Buffer.from(base64!, 'base64')) : undefined;
  if (!key) throw FeedErrors.KEY_FILE(where, 'the key is not 32 bytes of base64');
  return { id: keyIdOf(key), key, comment: comment.join(' ') };
}

/** Every key of a public key file; errors say `file:line`. */
export function parsePublicKeys(text: string, file: string): PublicFeedKey[] {
  const keys: PublicFeedKey[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    keys.push(parsePublicKeyLine(line, `${file}:${i + 1}`));
  });
  if (!keys.length) throw FeedErrors.KEY_FILE(file, 'holds no key (one "ed25519 <base64 key> [comment]" per line)');
  return keys;
}

export async function readPublicKeys(file: string): Promise<PublicFeedKey[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw FeedErrors.KEY_FILE(file, `cannot be read: ${(err as Error).message}`);
  }
  return parsePublicKeys(text, file);
}

export async function readSigningKey(file: string): Promise<SigningKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(file, 'utf8'));
  } catch (err) {
    throw FeedErrors.KEY_FILE(file, `is not a readable PEM private key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== KEY_TYPE) throw FeedErrors.KEY_FILE(file, `is a ${key.asymmetricKeyType} key; feeds are signed with ed25519`);
  return { id: keyIdOf(createPublicKey(key)), key };
}

/**
 * Make a key pair: `file` (private, 0600, never overwritten) and `file.pub`.
 * Returns the public key line.
 */
export async function generateSigningKey(file: string, comment: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync(KEY_TYPE);
  const line = publicKeyLine(publicKey, comment);
  await writeNew(file, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
  await writeNew(`${file}.pub`, `${line}\n`, 0o644);
  return line;
}

async function writeNew(file: string, text: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'wx', mode);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'already exists; a key is never overwritten' : (err as Error).message;
    throw FeedErrors.KEY_FILE(file, why);
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The signature file for `bytes`. */
export function signatureFile(bytes: Uint8Array, signer: SigningKey): string {
  const sig = sign(null, bytes, signer.key).toString('base64');
  return JSON.stringify({ signatures: [{ keyid: signer.id, sig }] });
}

/** The signatures a signature file lists; throws a description of what is wrong. */
export function parseSignatures(bytes: Uint8Array): Signature[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('the signature file is not JSON');
  }
  const list = (doc as { signatures?: unknown } | null)?.signatures;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SIGNATURES) {
    throw new Error(`the signature file must list 1 to ${MAX_SIGNATURES} signatures`);
  }
  return list.map((entry: unknown, i) => {
    const { keyid, sig } = (entry ?? {}) as Record<string, unknown>;
    if (typeof keyid !== 'string' || !/^[0-9a-f]{64}$/.test(keyid)) throw new Error(`signatures[${i}].keyid must be 64 hex digits`);
    if (typeof sig !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(sig)) throw new Error(`signatures[${i}].sig must be a base64 ed25519 signature`);
    return { keyid, sig };
  });
}

/**
 * The key among `trusted` whose signature over `bytes` holds, or a description
 * of why none does.
 */
export function findValidSignature(bytes: Uint8Array, signatureBytes: Uint8Array, trusted: ReadonlyMap<string, PublicFeedKey>): PublicFeedKey | string {
  let signatures: Signature[];
  try {
    signatures = parseSignatures(signatureBytes);
  } catch (err) {
    return (err as Error).message;
  }
  let knownButWrong = false;
  for (const { keyid, sig } of signatures) {
    const key = trusted.get(keyid);
    if (!key) continue;
    if (verify(null, bytes, key.key, Buffer.from(sig, 'base64'))) return key;
    knownButWrong = true;
  }
  if (knownButWrong) return 'the signature does not match the bytes (changed after signing)';
  return `signed by ${signatures.map((s) => s.keyid.slice(0, 16)).join(', ')}, none of them a trusted key`;
}
