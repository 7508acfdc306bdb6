/**
 * Encryption at rest (`replicate_encryption = on`): every object and manifest
 * is sealed with AES-256-GCM under the school's key before it leaves the
 * server, so the bucket's operator can read neither Journals nor file names.
 * A sealed body is `SSG1`, a 12-byte random IV, the ciphertext, then the
 * 16-byte tag. Two keys are derived from the school's key (HKDF-SHA256): one
 * seals, the other names objects (an HMAC of the file's sha256), so equal
 * files are still stored once but a known file cannot be looked for.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { BackupErrors } from '../errors.js';

const MAGIC = Buffer.from('SSG1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes a sealed body has beyond the plain one. */
export const SEAL_OVERHEAD = MAGIC.length + IV_BYTES + TAG_BYTES;

/** How bodies go to the bucket and come back: as they are, or sealed. */
export interface Sealing {
  readonly encrypted: boolean;
  /** The object name for a file with this sha256. */
  objectName(sha256: string): string;
  /** Bytes stored for a plain body of `size`. */
  storedSize(size: number): number;
  seal(body: Readable): Readable;
  sealBuffer(body: Buffer): Buffer;
  /** The sealed body in pieces, to be joined by the caller (a pack joins many at once, without a copy each). */
  sealParts(body: Buffer): Buffer[];
  /** The plain body of a stored one; throws when it was changed. */
  openBuffer(stored: Buffer): Buffer;
  /** The plain body of a stored one downloaded to `file`; the stream errors when it was changed. */
  openFile(file: string): Promise<Readable>;
}

export const PLAIN: Sealing = {
  encrypted: false,
  objectName: (sha256) => sha256,
  storedSize: (size) => size,
  seal: (body) => body,
  sealBuffer: (body) => body,
  sealParts: (body) => [body],
  openBuffer: (stored) => stored,
  openFile: async (file) => createReadStream(file),
};

export class Sealed implements Sealing {
  readonly encrypted = true;
  private readonly sealKey: Buffer;
  private readonly nameKey: Buffer;

  constructor(schoolKey: Buffer) {
    this.sealKey = Buffer.from(hkdfSync('sha256', schoolKey, Buffer.alloc(0), 'sugar-server backup objects', 32));
    this.nameKey = Buffer.from(hkdfSync('sha256', schoolKey, Buffer.alloc(0), 'sugar-server backup names', 32));
  }

  objectName(sha256: string): string {
    return createHmac('sha256', this.nameKey).update(sha256).digest('hex');
  }

  storedSize(size: number): number {
    return size + SEAL_OVERHEAD;
  }

  seal(body: Readable): Readable {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const sealer = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        done(null, cipher.update(chunk));
      },
      flush(done) {
        this.push(cipher.final());
        done(null, cipher.getAuthTag());
      },
    });
    sealer.push(Buffer.concat([MAGIC, iv]));
    body.on('error', (err) => sealer.destroy(err));
    return body.pipe(sealer);
  }

  sealBuffer(body: Buffer): Buffer {
    return Buffer.concat(this.sealParts(body));
  }

  sealParts(body: Buffer): Buffer[] {
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    return [MAGIC, iv, cipher.update(body), cipher.final(), cipher.getAuthTag()];
  }

  /** Random IVs drawn from a block of random bytes: one call to the generator for hundreds of small files. */
  private ivs = Buffer.alloc(0);
  private nextIv(): Buffer {
    if (this.ivs.length < IV_BYTES) this.ivs = randomBytes(IV_BYTES * 512);
    const iv = this.ivs.subarray(0, IV_BYTES);
    this.ivs = this.ivs.subarray(IV_BYTES);
    return iv;
  }

  openBuffer(stored: Buffer): Buffer {
    this.checkHeader(stored.subarray(0, MAGIC.length), stored.length);
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, stored.subarray(MAGIC.length, MAGIC.length + IV_BYTES));
    decipher.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
    return Buffer.concat([decipher.update(stored.subarray(MAGIC.length + IV_BYTES, stored.length - TAG_BYTES)), decipher.final()]);
  }

  async openFile(file: string): Promise<Readable> {
    const { size } = await stat(file);
    const head = Buffer.alloc(MAGIC.length + IV_BYTES);
    const tag = Buffer.alloc(TAG_BYTES);
    const handle = await open(file, 'r');
    try {
      await handle.read(head, 0, head.length, 0);
      await handle.read(tag, 0, TAG_BYTES, Math.max(0, size - TAG_BYTES));
    } finally {
      await handle.close();
    }
    this.checkHeader(head.subarray(0, MAGIC.length), size);
    const decipher = createDecipheriv('aes-256-gcm', this.sealKey, head.subarray(MAGIC.length));
    decipher.setAuthTag(tag);
    if (size === SEAL_OVERHEAD) {
      const empty = new PassThrough();
      try {
        decipher.final();
        empty.end();
      } catch (err) {
        empty.destroy(err as Error);
      }
      return empty;
    }
    const source = createReadStream(file, { start: head.length, end: size - TAG_BYTES - 1 });
    const opener = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        done(null, decipher.update(chunk));
      },
      flush(done) {
        try {
          done(null, decipher.final());
        } catch (err) {
          done(err as Error);
        }
      },
    });
    source.on('error', (err) => opener.destroy(err));
    return source.pipe(opener);
  }

  private checkHeader(magic: Buffer, size: number): void {
    if (size < SEAL_OVERHEAD || !magic.equals(MAGIC)) throw new Error('not a sealed object (wrong header): the bucket holds something this server did not write');
  }
}

/** The school's key from `file` (64 hex digits, mode 0600); made there when `create` and the file is missing. */
export async function loadSchoolKey(file: string, create: boolean): Promise<{ key: Buffer; created: boolean }> {
  const info = await stat(file).catch(() => null);
  if (!info) {
    if (!create) throw BackupErrors.REPLICATION_KEY(file, 'is missing: without the key that sealed the objects nothing can be restored');
    const key = randomBytes(32);
    await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return { key, created: true };
  }
  if ((info.mode & 0o077) !== 0) throw BackupErrors.REPLICATION_KEY(file, `is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  const text = (await readFile(file, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) throw BackupErrors.REPLICATION_KEY(file, 'must hold 64 hex digits (32 bytes)');
  return { key: Buffer.from(text, 'hex'), created: false };
}
