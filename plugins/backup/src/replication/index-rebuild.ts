/**
 * What the bucket holds, for an index that was lost: every object of its own
 * (a listing of `objects/`), and every blob a manifest names in a pack. Blobs
 * of a pack that no manifest names yet (a pass cut short) are not found: they
 * are sent again in a new pack, and the sweep removes the old one after the
 * grace period.
 */
import type { Bucket } from './bucket.js';
import { OBJECTS, objectNameOf } from './layout.js';
import { manifestText, parseManifest } from './manifest.js';
import type { Stored } from './object-index.js';
import type { Sealing } from './sealing.js';
import { listManifests } from './sweep.js';

export async function* storedInBucket(bucket: Bucket, sealing: Sealing, signal?: AbortSignal): AsyncGenerator<Stored> {
  for await (const item of bucket.list(OBJECTS, signal)) {
    const object = objectNameOf(item.key);
    if (object) yield { ...object, at: null };
  }
  for (const [serial, list] of await listManifests(bucket, signal)) {
    for (const { snapshot, key } of list) {
      const stored = await bucket.getBuffer(key, signal);
      if (!stored) continue;
      const manifest = parseManifest(manifestText(sealing.openBuffer(stored)), { serial, snapshot });
      for (const entry of manifest.entries) {
        if (entry.type !== 'file' || entry.pack === undefined) continue;
        yield { name: sealing.objectName(entry.sha256), at: { pack: entry.pack, offset: entry.offset!, length: entry.length! }, encoding: entry.encoding };
      }
    }
  }
}
