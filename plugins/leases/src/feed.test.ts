import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeedFileEntry, FeedSnapshot, Logger, PluginContext, PublishSpec, Store } from 'sugar-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBundle } from './bundle.js';
import { LeasesErrors } from './errors.js';
import { applySnapshot, publishLeases, type MirrorDeps } from './feed.js';
import { LeasesService } from './leases-service.js';
import { LeaseStore, type LeasesDocument } from './lease-store.js';

const lease = (serial: string) => `act01: ${serial} K 20300101T000000Z sig01: sha256 ${'ab'.repeat(32)} cd\n`;
const container = { resolve: () => { throw new Error('not registered'); } } as unknown as PluginContext['container'];
const log = { info: () => {}, warn: () => {}, debug: () => {} } as unknown as Logger;

let workdir: string;
beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'leases-feed-'));
});
afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

/** A verified copy of an upstream feed on disk, as the core hands it over (only listed files can be asked for). */
async function snapshot(generated: string, files: Record<string, string>): Promise<FeedSnapshot> {
  const dir = await mkdtemp(join(workdir, 'snapshot-'));
  const entries: FeedFileEntry[] = [];
  for (const [path, text] of Object.entries(files)) {
    await writeFile(join(dir, path), text);
    entries.push({ path, sha256: createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text) });
  }
  return {
    manifest: { name: 'leases', generated, files: entries },
    file: (path) => {
      if (!entries.some((e) => e.path === path)) throw new Error(`feed file "${path}" not found`);
      return join(dir, path);
    },
  };
}

/** A school's store and service; `clock.now` moves the time imports are stamped with. */
async function school(): Promise<MirrorDeps & { clock: { now: number } }> {
  const store = await LeaseStore.open(async (data) => ({ data, update: async (change) => change(data), flush: async () => {} }) as Store<LeasesDocument>);
  const clock = { now: Date.parse('2025-03-10T12:00:00Z') };
  const service = new LeasesService({ store, publicKey: null, signingKey: null, container, now: () => clock.now, warningDays: 30 });
  return { store, service, log, clock };
}

const bundle = (...serials: string[]) => formatBundle(serials.map((s) => [s, lease(s)] as const));

describe('applying the upstream feed', () => {
  it('imports the bundle and takes stolen.txt as the upstream list, replacing it with each version', async () => {
    const deps = await school();
    await applySnapshot(await snapshot('2025-03-10T12:00:00.000Z', { 'leases.sig': bundle('SHC00000001', 'SHC00000002'), 'stolen.txt': 'SHC00000002\n' }), deps);
    expect(deps.store.answer('SHC00000001')).toMatchObject({ outcome: 'lease' });
    expect(deps.store.answer('SHC00000002')).toEqual({ outcome: 'stolen' });
    expect(deps.store.feedGenerated).toBe('2025-03-10T12:00:00.000Z');

    await deps.service.markStolen('SHC00000003');
    await applySnapshot(await snapshot('2025-03-10T13:00:00.000Z', { 'leases.sig': bundle('SHC00000001', 'SHC00000002'), 'stolen.txt': 'SHC00000001\n' }), deps);
    expect(deps.store.stolen().map((e) => [e.serial, e.sources])).toEqual([
      ['SHC00000001', ['upstream']],
      ['SHC00000003', ['local']],
    ]);
    expect(deps.store.answer('SHC00000002')).toMatchObject({ outcome: 'lease' });
  });

  it('refuses the whole version over one bad line of stolen.txt, leases included', async () => {
    const deps = await school();
    await applySnapshot(await snapshot('2025-03-10T12:00:00.000Z', { 'leases.sig': bundle('SHC00000001'), 'stolen.txt': 'SHC00000001\n' }), deps);
    const bad = await snapshot('2025-03-10T13:00:00.000Z', { 'leases.sig': bundle('SHC00000001', 'SHC00000002'), 'stolen.txt': 'SHC00000002\nnot a serial\n' });
    const error = await applySnapshot(bad, deps).catch((err: unknown) => err);
    expect(LeasesErrors.BAD_STOLEN_LIST.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/^stolen\.txt line 2: "not a serial" is not a serial number/);
    expect(deps.store.get('SHC00000002')).toBeUndefined();
    expect(deps.store.stolenSerials()).toEqual(['SHC00000001']);
    expect(deps.store.feedGenerated).toBe('2025-03-10T12:00:00.000Z');
  });

  it('leaves the upstream list as it was when an older publisher sends no stolen.txt', async () => {
    const deps = await school();
    await applySnapshot(await snapshot('2025-03-10T12:00:00.000Z', { 'leases.sig': bundle('SHC00000001'), 'stolen.txt': 'SHC00000001\n' }), deps);
    await applySnapshot(await snapshot('2025-03-10T13:00:00.000Z', { 'leases.sig': bundle('SHC00000002') }), deps);
    expect(deps.store.answer('SHC00000001')).toEqual({ outcome: 'stolen' });
    expect(deps.store.answer('SHC00000002')).toMatchObject({ outcome: 'lease' });
  });

  it('an empty stolen.txt means nothing is stolen upstream any more', async () => {
    const deps = await school();
    await applySnapshot(await snapshot('2025-03-10T12:00:00.000Z', { 'leases.sig': bundle(), 'stolen.txt': 'SHC00000001\n' }), deps);
    await applySnapshot(await snapshot('2025-03-10T13:00:00.000Z', { 'leases.sig': bundle(), 'stolen.txt': '' }), deps);
    expect(deps.store.stolen()).toEqual([]);
  });

  it('given the copy it already applied (at start), imports no lease again but still takes its stolen list', async () => {
    const deps = await school();
    const held = await snapshot('2025-03-10T12:00:00.000Z', { 'leases.sig': bundle('SHC00000001'), 'stolen.txt': 'SHC00000002\n' });
    await applySnapshot(await snapshot('2025-03-10T12:00:00.000Z', { 'leases.sig': bundle('SHC00000001') }), deps);
    const importedAt = deps.store.get('SHC00000001')!.importedAt;
    deps.clock.now += 60_000;
    await applySnapshot(held, deps);
    expect(deps.store.get('SHC00000001')!.importedAt).toBe(importedAt);
    expect(deps.store.answer('SHC00000002')).toEqual({ outcome: 'stolen' });
  });
});

describe('publishing the feed', () => {
  it('serves the bundle and every serial stolen from either list, and an empty stolen.txt when none is', async () => {
    const deps = await school();
    let published: PublishSpec | undefined;
    publishLeases({ publishFeed: (spec) => void (published = spec) }, deps.store);
    const files = async () => Object.fromEntries((await published!.files()).map((f) => [f.path, 'data' in f ? f.data.toString() : f.file]));

    expect(await files()).toEqual({ 'leases.sig': '[1,{}]', 'stolen.txt': '' });
    await deps.store.replace([['SHC00000001', { text: lease('SHC00000001'), expires: ['20300101T000000Z'], importedAt: '', source: 'upload', checked: 'off' }]]);
    await deps.service.markStolen('SHC0000000B');
    await deps.service.replaceUpstreamStolen(new Set(['SHC0000000A', 'SHC0000000B']));
    expect(await files()).toEqual({ 'leases.sig': bundle('SHC00000001'), 'stolen.txt': 'SHC0000000A\nSHC0000000B\n' });
  });
});
