import type { PluginContext, Store } from 'sugar-server';
import { describe, expect, it } from 'vitest';
import { LeasesErrors } from './errors.js';
import { LeasesService } from './leases-service.js';
import { LeaseStore, type LeasesDocument } from './lease-store.js';

const NOW = Date.parse('2025-03-10T12:00:00Z');
/** No plugin provides anything: the registry is not running. */
const container = { resolve: () => { throw new Error('not registered'); } } as unknown as PluginContext['container'];

async function service(): Promise<LeasesService> {
  const store = await LeaseStore.open(async (data) => ({ data, update: async (change) => change(data), flush: async () => {} }) as Store<LeasesDocument>);
  return new LeasesService({ store, publicKey: null, signingKey: null, container, now: () => NOW, warningDays: 30 });
}

describe('taking a serial off the stolen list', () => {
  it('answers no source left when the mark made here was the only one', async () => {
    const leases = await service();
    await leases.markStolen('SHC00000001');
    expect(await leases.unmarkStolen('SHC00000001')).toEqual([]);
    expect(leases.answer('SHC00000001')).toEqual({ outcome: 'none' });
  });

  it('answers that the upstream still marks it, and it stays stolen', async () => {
    const leases = await service();
    await leases.replaceUpstreamStolen(new Set(['SHC00000001']));
    await leases.markStolen('SHC00000001');
    expect(await leases.unmarkStolen('SHC00000001')).toEqual(['upstream']);
    expect(leases.answer('SHC00000001')).toEqual({ outcome: 'stolen' });
  });

  it('refuses a serial only the upstream marks, and one nothing marks, each with its code', async () => {
    const leases = await service();
    await leases.replaceUpstreamStolen(new Set(['SHC00000001']));
    await expect(leases.unmarkStolen('SHC00000001')).rejects.toSatisfy(LeasesErrors.STOLEN_UPSTREAM.is);
    await expect(leases.unmarkStolen('SHC00000002')).rejects.toSatisfy(LeasesErrors.NOT_STOLEN.is);
    expect(leases.answer('SHC00000001')).toEqual({ outcome: 'stolen' });
  });
});
