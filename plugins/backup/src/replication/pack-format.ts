/**
 * A pack as stored: blobs one after another, nothing between them, each one
 * file's bytes (compressed when they shrink) sealed on its own (as they are,
 * without encryption). Its name
 * is the sha256 of the stored bytes, so a pack read whole can be checked, and
 * a sealed pack's name says nothing about the files in it. Where each blob is
 * goes in the manifests and the local index, not in the pack.
 */
import { createHash } from 'node:crypto';
import { decodeBuffer, type Encoding } from './encoding.js';
import type { BlobLocation } from './object-index.js';
import type { Sealing } from './sealing.js';

export interface BuiltPack {
  readonly name: string;
  readonly body: Buffer;
  /** Where each blob went, in the order given. */
  readonly locations: BlobLocation[];
}

/** A pack of already sealed blobs, each whole or in pieces (joined here, in one copy). */
export function buildPack(sealedBlobs: readonly (Buffer | readonly Buffer[])[]): BuiltPack {
  const pieces = sealedBlobs.map((blob) => (Buffer.isBuffer(blob) ? [blob] : blob));
  const body = Buffer.concat(pieces.flat());
  const name = createHash('sha256').update(body).digest('hex');
  const locations: BlobLocation[] = [];
  let offset = 0;
  for (const blob of pieces) {
    const length = blob.reduce((sum, piece) => sum + piece.length, 0);
    locations.push({ pack: name, offset, length });
    offset += length;
  }
  return { name, body, locations };
}

export type OpenedBlob = { ok: true; plain: Buffer } | { ok: false; detail: string };

/**
 * The plain bytes of a blob read back (`stored`, its range of the pack),
 * opened, decompressed when `encoding` says, and checked against the sha256
 * and size the manifest names; otherwise why not.
 */
export function openBlob(sealing: Sealing, stored: Buffer, expected: { length: number; sha256: string; size: number; encoding?: Encoding }): OpenedBlob {
  if (stored.length !== expected.length) return { ok: false, detail: `the pack ends ${expected.length - stored.length} bytes short of it` };
  let opened: Buffer;
  try {
    opened = sealing.openBuffer(stored);
  } catch (err) {
    return { ok: false, detail: sealing.encrypted ? `it does not open with this school's key (${(err as Error).message})` : (err as Error).message };
  }
  let plain: Buffer;
  try {
    plain = decodeBuffer(opened, expected.encoding, expected.size);
  } catch (err) {
    return { ok: false, detail: `it does not decompress (${expected.encoding}: ${(err as Error).message})` };
  }
  const digest = createHash('sha256').update(plain).digest('hex');
  if (digest !== expected.sha256 || plain.length !== expected.size) return { ok: false, detail: mismatch(digest, plain.length, expected.sha256, expected.size) };
  return { ok: true, plain };
}

export function mismatch(digest: string, bytes: number, sha256: string, size: number): string {
  return `its bytes do not match the manifest (sha256 ${digest.slice(0, 12)}…, ${bytes} bytes; expected ${sha256.slice(0, 12)}…, ${size} bytes)`;
}
