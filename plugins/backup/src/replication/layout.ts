/**
 * Where things live under the school's prefix:
 *
 * ```
 * objects/<2 hex>/<name>[.br]       one large file's bytes, stored once however many snapshots hold it (.br: compressed)
 * packs/<2 hex>/<sha256>            small files' bytes, one after another, each stored once
 * laptops/<SN>/<timestamp>.json     one snapshot: its files' paths, modes, times, sizes, digests and where their bytes are
 * ```
 *
 * An object's name is the sha256 of its bytes; with encryption on, it is an
 * HMAC of that digest under the school's key, so the bucket's operator cannot
 * tell whether a known file is among the backups. A pack's name is the sha256
 * of the pack as stored (sealed blobs, with encryption on), which says nothing
 * about the files in it.
 */
import { isSerial } from 'sugar-server-registry';
import { snapshotName, snapshotTime } from '../laptop-folder.js';
import type { Encoding } from './encoding.js';
import type { ObjectRef } from './object-index.js';

export const OBJECTS = 'objects/';
export const LAPTOPS = 'laptops/';
export const PACKS = 'packs/';

/** Files smaller than this go into packs; larger ones are objects of their own (in parts from `MULTIPART_FROM`). */
export const PACK_BELOW = 512 * 1024;
/** A pack is sent once its blobs reach this size: few PUTs, each large enough to cost the gateway little per byte. */
export const PACK_SIZE = 4 * 1024 * 1024;

const NAME = /^[0-9a-f]{64}$/;

/**
 * A compressed object has a key of its own: the same content stored as it is
 * (by an older release, or before a lost index was rebuilt) is another object,
 * never overwritten with bytes its manifests do not expect.
 */
export function objectKey(name: string, encoding?: Encoding): string {
  return `${OBJECTS}${name.slice(0, 2)}/${name}${encoding ? `.${encoding}` : ''}`;
}

/** The object an `objects/` key names, or null for anything else. */
export function objectNameOf(key: string): ObjectRef | null {
  const match = /^objects\/([0-9a-f]{2})\/([0-9a-f]{64})(\.br)?$/.exec(key);
  if (!match || !match[2]!.startsWith(match[1]!) || !NAME.test(match[2]!)) return null;
  return match[3] ? { name: match[2]!, encoding: 'br' } : { name: match[2]! };
}

export function packKey(name: string): string {
  return `${PACKS}${name.slice(0, 2)}/${name}`;
}

/** The pack name in a `packs/` key, or null for anything else. */
export function packNameOf(key: string): string | null {
  const match = /^packs\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  return match && match[2]!.startsWith(match[1]!) ? match[2]! : null;
}

/** `datastore-2026-03-01_20:15` -> `20260301T2015Z`. */
export function timestampOf(snapshot: string): string {
  const time = snapshotTime(snapshot);
  if (time === null) throw new Error(`not a snapshot name: ${snapshot}`);
  return new Date(time).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
}

/** `20260301T2015Z` -> `datastore-2026-03-01_20:15`, or null when it is not such a timestamp. */
export function snapshotOfTimestamp(timestamp: string): string | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(timestamp);
  if (!match) return null;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]));
  const name = snapshotName(ms);
  return Number.isNaN(ms) || timestampOf(name) !== timestamp ? null : name;
}

export function manifestKey(serial: string, snapshot: string): string {
  return `${LAPTOPS}${serial}/${timestampOf(snapshot)}.json`;
}

/** The laptop and snapshot a `laptops/` key names, or null for anything else (never trusted beyond these checks). */
export function manifestOf(key: string): { serial: string; snapshot: string } | null {
  const match = /^laptops\/([^/]+)\/([^/]+)\.json$/.exec(key);
  if (!match || !isSerial(match[1]!)) return null;
  const snapshot = snapshotOfTimestamp(match[2]!);
  return snapshot ? { serial: match[1]!, snapshot } : null;
}
