/**
 * Keys and signed files for the trusted-feeds suites. Keys are made with the
 * real `sugar-server feeds keygen` and `sign-keys`, as an operator makes them;
 * forged files are signed here, from the wire format, as an attacker would.
 */
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DAEMON_MAIN } from './paths.js';
import { runCommand } from './run.js';

export interface FeedKey {
  /** The private key file (PKCS#8 PEM). */
  readonly file: string;
  /** The public key file, one `ed25519 <base64> comment` line. */
  readonly pub: string;
  /** The key id as signatures and /status name it: sha256 of the raw key, hex. */
  readonly id: string;
}

async function feedsCli(...args: string[]): Promise<string> {
  const result = await runCommand(process.execPath, [DAEMON_MAIN, 'feeds', ...args]);
  if (result.code !== 0) throw new Error(`sugar-server feeds ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** `sugar-server feeds keygen FILE --comment COMMENT`. */
export async function keygen(file: string, comment: string): Promise<FeedKey> {
  await feedsCli('keygen', file, '--comment', comment);
  const base64 = (await readFile(`${file}.pub`, 'utf8')).split(' ')[1]!;
  return { file, pub: `${file}.pub`, id: createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex') };
}

/** `sugar-server feeds sign-keys`: `dir/keys.json` naming `online`, signed by `root`; prints what it wrote. */
export function signKeys(root: FeedKey, dir: string, online: readonly FeedKey[], ...options: string[]): Promise<string> {
  return feedsCli('sign-keys', '--root-key', root.file, '--out', dir, ...options, ...online.map((k) => k.pub));
}

/** A detached signature file over `bytes`, made with `key`. */
export async function signatureBy(key: FeedKey, bytes: Buffer): Promise<Buffer> {
  const sig = sign(null, bytes, createPrivateKey(await readFile(key.file, 'utf8'))).toString('base64');
  return Buffer.from(JSON.stringify({ signatures: [{ keyid: key.id, sig }] }));
}

export interface FeedFile {
  readonly path: string;
  readonly data: Buffer;
}

/** The bytes of a manifest for `files`, as a publisher writes one. */
export function manifestOf(name: string, version: number, expires: Date, files: readonly FeedFile[]): Buffer {
  return Buffer.from(JSON.stringify({
    name,
    generated: new Date().toISOString(),
    version,
    expires: expires.toISOString(),
    files: files.map(({ path, data }) => ({ path, sha256: createHash('sha256').update(data).digest('hex'), size: data.length })),
  }));
}

/** A manifest and its signature exactly as a publisher serves them now, as an attacker on the path records them. */
export interface CapturedManifest {
  readonly bytes: Buffer;
  readonly signature: Buffer;
  readonly etag: string;
  readonly version: number;
  readonly expires: string;
}

/** Record the manifest of `feedUrl` (`…/feeds/v1/<name>/`) with its signature. */
export async function captureManifest(feedUrl: string): Promise<CapturedManifest> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const manifest = await fetch(new URL('manifest.json', feedUrl), { signal: AbortSignal.timeout(10_000) });
    const etag = manifest.headers.get('etag')!;
    const bytes = Buffer.from(await manifest.arrayBuffer());
    const sig = await fetch(new URL('manifest.json.sig', feedUrl), { headers: { 'If-Match': etag }, signal: AbortSignal.timeout(10_000) });
    if (sig.status === 412) continue; // re-signed in between
    if (!sig.ok) throw new Error(`no signature at ${feedUrl}: HTTP ${sig.status}`);
    const { version, expires } = JSON.parse(bytes.toString('utf8')) as { version: number; expires: string };
    return { bytes, signature: Buffer.from(await sig.arrayBuffer()), etag, version, expires };
  }
  throw new Error(`the manifest at ${feedUrl} kept changing`);
}
