/**
 * The console's TLS certificate: the admin's own when `[admin] certificate`
 * and `key` name one, else a self-signed one made on first start and kept
 * under the data folder (mode 0600). Browsers warn about a self-signed
 * certificate; its SHA-256 fingerprint, logged and printed by
 * `sugar-server admin url`, lets the admin check it is this server's.
 */
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { generate } from 'selfsigned';
import { ServerErrors } from '../errors.js';
import { writeFileAtomically } from '../storage/durable.js';

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
  /** SHA-256 fingerprint, `AB:CD:...`. */
  readonly fingerprint: string;
  /** Made here (true) or the admin's (false). */
  readonly selfSigned: boolean;
}

const VALID_YEARS = 10;

/** Where the self-signed certificate is kept. */
export function selfSignedFiles(dataDir: string): { dir: string; key: string; cert: string } {
  const dir = join(dataDir, 'admin-console');
  return { dir, key: join(dir, 'tls.key'), cert: join(dir, 'tls.crt') };
}

/** The admin's certificate, or the one made here (made now when there is none yet). */
export async function loadTls(dataDir: string, own: { certificate?: string | undefined; key?: string | undefined }): Promise<TlsMaterial> {
  if (own.certificate && own.key) {
    const [cert, key] = await Promise.all([readPem(own.certificate), readPem(own.key)]);
    return { key, cert, fingerprint: fingerprintOf(cert, own.certificate), selfSigned: false };
  }
  const files = selfSignedFiles(dataDir);
  const kept = await Promise.all([readFile(files.cert, 'utf8'), readFile(files.key, 'utf8')]).catch(() => undefined);
  if (kept) return { cert: kept[0], key: kept[1], fingerprint: fingerprintOf(kept[0], files.cert), selfSigned: true };

  const name = hostname();
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + VALID_YEARS);
  const made = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  // The key first: a certificate on disk without its key would be kept and never usable.
  await writeFileAtomically(files.key, [made.private], 0o600);
  await writeFileAtomically(files.cert, [made.cert], 0o600);
  return { key: made.private, cert: made.cert, fingerprint: fingerprintOf(made.cert, files.cert), selfSigned: true };
}

/** The fingerprint of the certificate in `file`, or null when there is none. */
export async function fingerprintOfFile(file: string): Promise<string | null> {
  const cert = await readFile(file, 'utf8').catch(() => null);
  return cert === null ? null : fingerprintOf(cert, file);
}

function fingerprintOf(pem: string, file: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch (err) {
    throw ServerErrors.BAD_REQUEST(`${file} holds no usable certificate: ${(err as Error).message}`);
  }
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw ServerErrors.BAD_REQUEST(`[admin] cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
