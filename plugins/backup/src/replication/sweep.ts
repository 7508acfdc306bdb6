/**
 * Retention in the bucket. A snapshot pruned here is pruned there (its
 * manifest deleted); then a mark-and-sweep deletes the objects no manifest
 * names. The sweep never deletes an object younger than the grace period:
 * a snapshot being written (here, or by a pass that crashed and will resume)
 * uploads its objects before its manifest, and they must still be there when
 * the manifest is written.
 */
import type { Bucket } from './bucket.js';
import { LAPTOPS, OBJECTS, manifestOf, objectKey, objectNameOf } from './layout.js';
import { parseManifest } from './manifest.js';
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
  readonly referenced: number;
  /** Names of the objects deleted. */
  readonly deleted: string[];
  /** Unreferenced objects kept because they are younger than the grace period. */
  readonly young: number;
}

/** Delete every object older than `graceMs` that no manifest names. A manifest that cannot be read stops the sweep (it may name anything). */
export async function sweepObjects(bucket: Bucket, sealing: Sealing, graceMs: number, now: number, concurrency: number, signal?: AbortSignal): Promise<SweepResult> {
  const referenced = new Set<string>();
  let manifests = 0;
  for (const [serial, list] of await listManifests(bucket, signal)) {
    for (const { snapshot, key } of list) {
      const stored = await bucket.getBuffer(key, signal);
      if (!stored) continue; // deleted since the listing: it names nothing any more
      const manifest = parseManifest(sealing.openBuffer(stored).toString('utf8'), { serial, snapshot });
      manifests++;
      for (const entry of manifest.entries) if (entry.type === 'file') referenced.add(sealing.objectName(entry.sha256));
    }
  }
  const doomed: string[] = [];
  let young = 0;
  for await (const item of bucket.list(OBJECTS, signal)) {
    const name = objectNameOf(item.key);
    if (!name || referenced.has(name)) continue;
    if (now - item.modified < graceMs) young++;
    else doomed.push(name);
  }
  await bucket.delete(doomed.map(objectKey), concurrency, signal);
  return { manifests, referenced: referenced.size, deleted: doomed, young };
}
