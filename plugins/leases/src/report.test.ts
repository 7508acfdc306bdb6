import type { Store } from 'sugar-server';
import { describe, expect, it } from 'vitest';
import { describeImport } from './commands/import.js';
import { formatReport } from './commands/report.js';
import { msToExp } from './expiry.js';
import { LeaseStore, type LeasesDocument, type SerialLeases } from './lease-store.js';
import type { RegistryView } from './registry.js';
import { buildReport } from './report.js';
import { emptyStolenSets } from './stolen-sets.js';

const NOW = Date.parse('2025-03-10T12:00:00Z');
const DAY = 86_400_000;

function held(...expiresInDays: number[]): SerialLeases {
  return { text: '', expires: expiresInDays.map((d) => msToExp(NOW + d * DAY)), importedAt: '', source: 'upload', checked: 'off' };
}

async function storeWith(leases: Record<string, SerialLeases>, stolen: string[] = [], upstreamStolen: string[] = []): Promise<LeaseStore> {
  const data: LeasesDocument = { leases, stolen: emptyStolenSets(), feedGenerated: null };
  const store = new LeaseStore({ data, update: async (change) => change(data), flush: async () => {} } as Store<LeasesDocument>);
  for (const serial of stolen) await store.markStolen(serial, new Date(NOW));
  await store.replaceUpstreamStolen(new Set(upstreamStolen), new Date(NOW));
  return store;
}

const registry: RegistryView = {
  get: () => undefined,
  list: () => [
    { serial: 'SHC0000000A', uuid: 'u', nick: 'Ana' },
    { serial: 'SHC00000001', uuid: 'u', nick: 'Ben' },
    { serial: 'SHC0000000B', uuid: 'u', nick: 'Caro' },
  ],
  count: () => 3,
};

describe('buildReport', () => {
  it('lists expired and expiring serials by their latest lease, soonest first', async () => {
    const store = await storeWith({
      SHC00000001: held(-40, 200),  // a newer lease covers it
      SHC00000002: held(20),
      SHC00000003: held(2.5),
      SHC00000004: held(-3),
      SHC00000005: held(-30, -1),
      SHC00000006: held(31),
      SHC00000007: held(-5),        // stolen: locked on purpose
    }, ['SHC00000007']);
    const report = buildReport({ store, registry, now: NOW, warningDays: 30, verification: 'on' });
    expect(report.counts).toEqual({ serials: 7, leases: 9, stolen: 1, stolenBySource: { local: 1, upstream: 0 } });
    expect(report.expiringSoon).toEqual([
      { serial: 'SHC00000003', expires: new Date(NOW + 2.5 * DAY).toISOString(), daysLeft: 2 },
      { serial: 'SHC00000002', expires: new Date(NOW + 20 * DAY).toISOString(), daysLeft: 20 },
    ]);
    expect(report.expired.map((e) => [e.serial, e.daysAgo])).toEqual([['SHC00000004', 3], ['SHC00000005', 1]]);
    expect(report.registered).toEqual({
      count: 3,
      withoutLease: [{ serial: 'SHC0000000A', nick: 'Ana' }, { serial: 'SHC0000000B', nick: 'Caro' }],
    });
    expect(report).not.toHaveProperty('registryNote');
  });

  it('counts stolen serials by source, and leaves those stolen upstream out of the lists too', async () => {
    const store = await storeWith({ SHC00000001: held(-5), SHC00000002: held(3), SHC00000003: held(3) }, ['SHC00000001', 'SHC0000000A'], ['SHC00000001', 'SHC00000002']);
    const report = buildReport({ store, registry, now: NOW, warningDays: 30, verification: 'on' });
    expect(report.counts).toEqual({ serials: 3, leases: 3, stolen: 3, stolenBySource: { local: 2, upstream: 2 } });
    expect(report.expired).toEqual([]);
    expect(report.expiringSoon.map((e) => e.serial)).toEqual(['SHC00000003']);
    expect(report.registered?.withoutLease.map((l) => l.serial)).toEqual(['SHC0000000B']);
  });

  it('looks as far ahead as asked', async () => {
    const store = await storeWith({ SHC00000006: held(31) });
    expect(buildReport({ store, registry, now: NOW, warningDays: 60, verification: 'on' }).expiringSoon).toHaveLength(1);
  });

  it('says so when the registry is not running', async () => {
    const report = buildReport({ store: await storeWith({}), registry: null, now: NOW, warningDays: 30, verification: 'off' });
    expect(report).toMatchObject({ registered: null, registryNote: 'registry not running' });
  });
});

describe('the CLI\'s words', () => {
  it('prints expired, then expiring, then registered laptops without a lease', async () => {
    const store = await storeWith({ SHC00000002: held(20), SHC00000004: held(-3) });
    const text = formatReport(buildReport({ store, registry, now: NOW, warningDays: 30, verification: 'on' }));
    expect(text.split('\n')).toEqual([
      '2 serial(s) with leases, 2 lease(s), 0 stolen (0 marked here, 0 from upstream); signatures checked on import',
      '',
      'EXPIRED (1): these laptops lock at their next boot',
      '  SHC00000004  expired 2025-03-07 12:00 UTC  (3 days ago)',
      '',
      'EXPIRING within 30 days (1), soonest first',
      '  SHC00000002  expires 2025-03-30 12:00 UTC  (in 20 days)',
      '',
      'registered laptops without a lease (3 of 3)',
      '  SHC00000001  Ben',
      '  SHC0000000A  Ana',
      '  SHC0000000B  Caro',
    ]);
    const none = formatReport(buildReport({ store: await storeWith({}), registry: null, now: NOW, warningDays: 30, verification: 'off' }));
    expect(none).toContain('expired: none');
    expect(none).toContain('registered laptops without a lease: unknown (registry not running)');
    expect(none).toContain('NOT checked');
  });

  it('prints an import report with each refusal', () => {
    expect(describeImport({
      form: 'json', verification: 'on', serials: 1, leases: 2, checked: { full: 0, key: 1 },
      refused: [{ serial: 'SHC00000002', code: 'LEASES_ERR_WRONG_KEY', reason: 'lease for SHC00000002 is signed with key x' }],
    })).toEqual([
      'imported 2 leases for 1 serial (JSON bundle)',
      'signatures checked: 0 serial(s) against the registered UUID, 1 by key only (UUID not registered)',
      'refused 1:',
      '  SHC00000002: LEASES_ERR_WRONG_KEY: lease for SHC00000002 is signed with key x',
    ]);
  });
});
