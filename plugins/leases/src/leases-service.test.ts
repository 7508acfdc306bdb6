import type { PluginContext, Store } from 'sugar-server';
import { describe, expect, it } from 'vitest';
import { LeasesErrors } from './errors.js';
import { LeasesService } from './leases-service.js';
import { LeaseStore, type LeasesDocument } from './lease-store.js';

const NOW = Date.parse('2025-03-10T12:00:00Z');
/** No plugin provides anything: the registry is not running. */
const container = { resolve: () => { throw new Error('not registered'); } } as unknown as PluginContext['container'];

async function service(now = () => NOW): Promise<LeasesService> {
  return (await serviceAndStore(now)).service;
}

async function serviceAndStore(now = () => NOW) {
  const store = await LeaseStore.open(async (data) => ({ data, update: async (change) => change(data), flush: async () => {} }) as Store<LeasesDocument>);
  return { store, service: new LeasesService({ store, publicKey: null, signingKey: null, container, now, warningDays: 30 }) };
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

describe('the summary /status shows', () => {
  const lease = (serial: string, expires: string) => [serial, { text: `act01: ${serial} K ${expires} sig01: sha256 ab cd\n`, expires: [expires], importedAt: '2025-03-01T00:00:00Z', source: 'upload', checked: 'off' as const }] as const;

  it('walks the leases again only when they or the stolen lists changed, or a minute passed', async () => {
    let now = NOW;
    const { store, service: leases } = await serviceAndStore(() => now);
    await store.replace([lease('SHC00000001', '20250315T000000Z'), lease('SHC00000002', '20250301T000000Z')]);
    let walks = 0;
    const entries = store.entries.bind(store);
    store.entries = () => (walks++, entries());

    expect(leases.summary()).toMatchObject({ serials: 2, expiringSoon: 1, expired: 1, stolen: 0 });
    const afterFirst = walks;
    for (let i = 0; i < 100; i++) leases.summary();
    expect(walks).toBe(afterFirst);

    await leases.markStolen('SHC00000003');
    expect(leases.summary()).toMatchObject({ stolen: 1 });
    await store.replace([lease('SHC00000004', '20250401T000000Z')]);
    expect(leases.summary()).toMatchObject({ serials: 3 });
    const beforeTime = walks;
    now += 60_000;
    expect(leases.summary()).toMatchObject({ serials: 3 });
    expect(walks).toBeGreaterThan(beforeTime);
  });

  it('counts again after the clock is stepped back, instead of holding the counts until it catches up', async () => {
    let now = NOW;
    const { store, service: leases } = await serviceAndStore(() => now);
    await store.replace([lease('SHC00000001', '20250315T000000Z')]);
    now += 30 * 86_400_000;
    expect(leases.summary()).toMatchObject({ expired: 1 });
    now = NOW;
    expect(leases.summary()).toMatchObject({ expired: 0, expiringSoon: 1 });
  });
});
