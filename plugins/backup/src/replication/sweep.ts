/**
 * Retention in the bucket. A snapshot pruned here is pruned there (its
 * manifest deleted); then a mark-and-sweep deletes the objects and packs no
 * manifest names. A pack any manifest names a blob of is kept whole, its
 * other blobs with it (they cost space, not correctness; they go when the
 * last blob named does). The sweep never deletes an object or pack younger
 * than the grace period: a snapshot being written (here, or by a pass that
 * crashed and will resume) uploads them before its manifest, and they must
 * still be there when the manifest is written.
 */
import type { Bucket } from './bucket.js';
import { LAPTOPS, OBJECTS, PACKS, manifestOf, objectKey, objectNameOf, packKey, packNameOf } from './layout.js';
import { manifestText, parseManifest } from './manifest.js';
import type { ObjectRef } from './object-index.js';
import type { Sealing } from './sealing.js';

/** Every manifest in the bucket, by laptop. */
export async function listManifests(bucket: Bucket, signal?: AbortSignal): Promise<Map<string, { snapshot: string; key: string }[]>> {
  const found = new Map<string, { snapshot: string; key: string }[]>();
  for await (const item of bucket.list(LAPTOPS, signal)) {
    const named = manifestOf(item.key);
    if (!named) continue;
    const list = found.get(named.serial) ?? [];
    list.push({ snapshot: named.snapshot, key: item.key });
    found.set(named.serial, list);
  }
  for (const list of found.values()) list.sort((a, b) => a.snapshot.localeCompare(b.snapshot));
  return found;
}

export interface SweepResult {
  readonly manifests: number;
  /** Objects and packs some manifest names. */
  readonly referenced: number;
  /** The objects deleted. */
  readonly deleted: ObjectRef[];
  /** Names of the packs deleted. */
  readonly deletedPacks: string[];
  /** Unreferenced objects and packs kept because they are younger than the grace period. */
  readonly young: number;
}

/**
 * Delete every object and pack older than `graceMs` that no manifest names. A
 * manifest that cannot be read stops the sweep (it may name anything). `now`
 * is the gateway's time (Bucket.serverNow), never the school's: a school clock
 * stepped forward would otherwise see a pack uploaded a minute ago for a
 * manifest still being written as older than the grace period.
 */
export async function sweepObjects(bucket: Bucket, sealing: Sealing, graceMs: number, now: number, concurrency: number, signal?: AbortSignal): Promise<SweepResult> {
  /** Keys of the objects named. */
  const referenced = new Set<string>();
  const packs = new Set<string>();
  let manifests = 0;
  for (const [serial, list] of await listManifests(bucket, signal)) {
    for (const { snapshot, key } of list) {
      const stored = await bucket.getBuffer(key, signal);
      if (!stored) continue; // deleted since the listing: it names nothing any more
      const manifest = parseManifest(manifestText(sealing.openBuffer(stored)), { serial, snapshot });
      manifests++;
      for (const entry of manifest.entries) {
        if (entry.type !== 'file') continue;
        if (entry.pack !== undefined) packs.add(entry.pack);
        else referenced.add(objectKey(sealing.objectName(entry.sha256), entry.encoding));
      }
    }
  }
  const doomed: ObjectRef[] = [];
  let young = 0;
  for await (const item of bucket.list(OBJECTS, signal)) {
    const object = objectNameOf(item.key);
    if (!object || referenced.has(item.key)) continue;
    if (ageOf(item, now) < graceMs) young++;
    else doomed.push(object);
  }
  const doomedPacks: string[] = [];
  for await (const item of bucket.list(PACKS, signal)) {
    const name = packNameOf(item.key);
    if (!name || packs.has(name)) continue;
    if (ageOf(item, now) < graceMs) young++;
    else doomedPacks.push(name);
  }
  await bucket.delete([...doomed.map((o) => objectKey(o.name, o.encoding)), ...doomedPacks.map(packKey)], concurrency, signal);
  return { manifests, referenced: referenced.size + packs.size, deleted: doomed, deletedPacks: doomedPacks, young };
}

/**
 * An object's age in whole seconds: the gateway's time comes from a
 * Last-Modified header, which drops the milliseconds a listing keeps, so an
 * object listed as written later within the same second is not younger than now.
 */
function ageOf(item: { modified: number }, now: number): number {
  return now - Math.floor(item.modified / 1000) * 1000;
}
