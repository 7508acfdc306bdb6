import type { Store } from 'sugar-server';
import { describe, expect, it } from 'vitest';
import { LeaseStore, type LeasesDocument } from './lease-store.js';

const NOW = new Date('2025-03-10T12:00:00Z');
const LEASE = { text: 'act01: SHC00000001 K 20300101T000000Z sig01: sha256 ab cd\n', expires: ['20300101T000000Z'], importedAt: '', source: 'feed', checked: 'off' } as const;

/** A document as `ctx.openStore` hands it over, counting the writes. */
function memoryStore(data: unknown): Store<LeasesDocument> & { writes: number } {
  const store = {
    data: data as LeasesDocument,
    writes: 0,
    update: async (change: (doc: LeasesDocument) => void) => {
      change(store.data);
      store.writes++;
    },
    flush: async () => {},
  };
  return store;
}

describe('LeaseStore', () => {
  it('reads a document written before there were two stolen lists: the old list is the one marked here', async () => {
    const old = memoryStore({ leases: { SHC00000001: LEASE }, stolen: { SHC00000002: { since: '2024-01-01T00:00:00.000Z' } }, feedGenerated: '2025-01-01T00:00:00.000Z' });
    const store = await LeaseStore.open(async () => old);
    expect(old.data.stolen).toEqual({ local: { SHC00000002: { since: '2024-01-01T00:00:00.000Z' } }, upstream: {} });
    expect(store.feedGenerated).toBe('2025-01-01T00:00:00.000Z');
    expect(store.get('SHC00000001')).toEqual(LEASE);
    expect(store.answer('SHC00000002')).toEqual({ outcome: 'stolen' });
  });

  it('leaves a current document alone', async () => {
    const current = memoryStore({ leases: {}, stolen: { local: {}, upstream: {} }, feedGenerated: null });
    await LeaseStore.open(async () => current);
    expect(current.writes).toBe(0);
  });

  it('answers STOLEN for a serial on either list, over any lease', async () => {
    const store = await LeaseStore.open(async (defaults) => memoryStore(defaults));
    await store.replace([['SHC00000001', LEASE]]);
    expect(store.answer('SHC00000001')).toEqual({ outcome: 'lease', text: LEASE.text });
    await store.replaceUpstreamStolen(new Set(['SHC00000001']), NOW);
    expect(store.answer('SHC00000001')).toEqual({ outcome: 'stolen' });
    await store.replaceUpstreamStolen(new Set(), NOW);
    expect(store.answer('SHC00000001')).toEqual({ outcome: 'lease', text: LEASE.text });
    await store.markStolen('SHC00000001', NOW);
    expect(store.answer('SHC00000001')).toEqual({ outcome: 'stolen' });
  });

  it('removes only the mark made here', async () => {
    const store = await LeaseStore.open(async (defaults) => memoryStore(defaults));
    await store.replaceUpstreamStolen(new Set(['SHC00000001']), NOW);
    expect(await store.markStolen('SHC00000001', NOW)).toBe(true);
    expect(await store.markStolen('SHC00000001', NOW)).toBe(false);
    expect(store.stolenSources('SHC00000001')).toEqual(['local', 'upstream']);
    expect(await store.unmarkStolen('SHC00000001')).toBe(true);
    expect(await store.unmarkStolen('SHC00000001')).toBe(false);
    expect(store.stolenSources('SHC00000001')).toEqual(['upstream']);
    expect(store.isStolen('SHC00000001')).toBe(true);
  });

  it('writes the upstream list only when it changed', async () => {
    const doc = memoryStore({ leases: {}, stolen: { local: {}, upstream: {} }, feedGenerated: null });
    const store = await LeaseStore.open(async () => doc);
    await store.replaceUpstreamStolen(new Set(['SHC00000001', 'SHC00000002']), NOW);
    expect(doc.writes).toBe(1);
    const again = await store.replaceUpstreamStolen(new Set(['SHC00000002', 'SHC00000001']), new Date(NOW.getTime() + 1000));
    expect([again.added, again.removed, doc.writes]).toEqual([[], [], 1]);
    expect(store.stolen()).toEqual([
      { serial: 'SHC00000001', sources: ['upstream'], since: NOW.toISOString() },
      { serial: 'SHC00000002', sources: ['upstream'], since: NOW.toISOString() },
    ]);
  });
});
