import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeedSnapshot, Logger, Store } from 'sugar-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildXo, hostile } from '../../../test/fixtures/xo-builder.js';
import type { BundleLimits } from './bundle-checks.js';
import { applySnapshot } from './feed.js';
import { EMPTY_DOCUMENT, type ActivitiesDocument } from './library-document.js';
import { Library } from './library.js';

const LIMITS: BundleLimits = { maxUnpackedSize: 1024 ** 3, maxEntrySize: 512 * 1024 ** 2, maxRatio: 100, maxEntries: 20_000 };
const quiet = { info() {}, warn() {}, debug() {}, error() {} } as unknown as Logger;

let root: string;
let abort: AbortController;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'activities-feed-'));
  abort = new AbortController();
});
afterEach(async () => {
  abort.abort();
  await rm(root, { recursive: true, force: true });
});

function memoryStore(): Store<ActivitiesDocument> {
  const store = { data: structuredClone(EMPTY_DOCUMENT), async update(change: (d: ActivitiesDocument) => void) { change(store.data); }, async flush() {} };
  return store;
}

/** A snapshot as the core's mirror hands it over: files on disk with their digests. */
async function snapshot(name: string, files: Record<string, Buffer>): Promise<FeedSnapshot> {
  const dir = join(root, 'snapshots', name);
  await mkdir(join(dir, 'bundles'), { recursive: true });
  for (const [path, data] of Object.entries(files)) await writeFile(join(dir, path), data);
  const manifest = {
    name: 'activities',
    generated: `2024-01-0${name}T00:00:00.000Z`,
    files: Object.entries(files).map(([path, data]) => ({ path, size: data.length, sha256: createHash('sha256').update(data).digest('hex') })),
  };
  return { manifest, file: (path) => join(dir, path) };
}

describe('placing the Mothership\'s snapshot', () => {
  it('places every checked bundle, or none when one is refused', async () => {
    const library = await Library.open({ dir: join(root, 'library'), limits: LIMITS, store: memoryStore(), log: quiet, signal: abort.signal });
    const store = memoryStore();
    const deps = { library, store, limits: LIMITS, log: quiet };
    const good = await buildXo({ id: 'org.a', version: '1' });
    await applySnapshot(await snapshot('1', { 'bundles/org.a-1.xo': good }), deps);
    expect(library.index().bundles.map((r) => r.file)).toEqual(['org.a-1.xo']);
    expect(store.data.upstreamGenerated).toBe('2024-01-01T00:00:00.000Z');

    const refusing = await snapshot('2', { 'bundles/org.a-1.xo': await hostile.traversal(), 'bundles/org.b-1.xo': await buildXo({ id: 'org.b' }) });
    await expect(applySnapshot(refusing, deps)).rejects.toMatchObject({ code: 'ACTIVITIES_ERR_UPSTREAM_REFUSED', message: expect.stringContaining('org.a-1.xo: ACTIVITIES_ERR_UNSAFE_ENTRY') });
    expect(library.index().bundles.map((r) => r.sha256)).toEqual([createHash('sha256').update(good).digest('hex')]);
    expect((await readdir(join(root, 'library'))).sort()).toEqual(['org.a-1.xo']);
  });

  it('skips the snapshot it already placed, and bundles it already holds', async () => {
    const library = await Library.open({ dir: join(root, 'library'), limits: LIMITS, store: memoryStore(), log: quiet, signal: abort.signal });
    const store = memoryStore();
    const first = await snapshot('1', { 'bundles/org.a-1.xo': await buildXo({ id: 'org.a' }) });
    await applySnapshot(first, { library, store, limits: LIMITS, log: quiet });
    const before = library.index().generation;
    await applySnapshot(first, { library, store, limits: LIMITS, log: quiet });
    expect(library.index().generation).toBe(before);
    // A new snapshot with the same bundle places nothing new.
    const second = await snapshot('2', {});
    await copyFile(first.file('bundles/org.a-1.xo'), join(root, 'snapshots/2/bundles/org.a-1.xo'));
    await applySnapshot({ ...second, manifest: { ...first.manifest, generated: second.manifest.generated } }, { library, store, limits: LIMITS, log: quiet });
    expect(library.index().bundles).toHaveLength(1);
  });
});
