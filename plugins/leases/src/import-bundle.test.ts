import { generateKeyPairSync } from 'node:crypto';
import type { Store } from 'sugar-server';
import { describe, expect, it } from 'vitest';
import { formatBundle } from './bundle.js';
import { importBundle, type ImportOptions } from './import-bundle.js';
import { keyIdOf, type SigningKey } from './keys.js';
import { LeaseStore, type LeasesDocument } from './lease-store.js';
import { signLease } from './signature.js';
import { emptyStolenSets } from './stolen-sets.js';

function makeKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return { key: publicKey, privateKey, keyid: keyIdOf(publicKey) };
}

/** The plugin document in memory, with the same update contract. */
function memoryStore(): Store<LeasesDocument> {
  const data: LeasesDocument = { leases: {}, stolen: emptyStolenSets(), feedGenerated: null };
  return { data, update: async (change) => change(data), flush: async () => {} };
}

const deployment = makeKey();
const stranger = makeKey();
const UUIDS: Record<string, string> = { SHC00000001: '11111111-1111-1111-1111-111111111111' };
const options = (over: Partial<ImportOptions> = {}): ImportOptions => ({
  key: deployment,
  uuidOf: (serial) => UUIDS[serial],
  source: 'upload',
  now: new Date('2025-03-10T12:00:00Z'),
  ...over,
});
const uuidOf = (serial: string) => UUIDS[serial] ?? '22222222-2222-2222-2222-222222222222';
const signed = new Map<string, string>();
/** PSS signatures are salted: sign each lease once, so a test can compare texts. */
function lease(serial: string, exp = '20300101T000000Z', key = deployment): string {
  const id = `${serial} ${exp} ${key.keyid}`;
  if (!signed.has(id)) signed.set(id, signLease(serial, uuidOf(serial), exp, key));
  return signed.get(id)!;
}

describe('importBundle', () => {
  it('lets other work run while it checks the signatures of a big bundle (activation must not wait for an import)', async () => {
    const text = Array.from({ length: 640 }, (_, i) => lease(`SHC${String(i + 10).padStart(8, '0')}`)).join('');
    let turns = 0;
    let importing = true;
    const tick = () => {
      if (!importing) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const report = await importBundle(text, new LeaseStore(memoryStore()), options());
    importing = false;
    expect(report.leases).toBe(640);
    // 640 checks, 64 per turn: the loop came round at least once for every batch.
    expect(turns).toBeGreaterThanOrEqual(9);
  });

  it('stores good leases, checked fully where the UUID is registered and by key elsewhere', async () => {
    const store = new LeaseStore(memoryStore());
    const text = lease('SHC00000001') + lease('SHC00000002') + lease('SHC00000002', '20310101T000000Z');
    const report = await importBundle(text, store, options());
    expect(report).toEqual({ form: 'lines', verification: 'on', serials: 2, leases: 3, checked: { full: 1, key: 1 }, refused: [] });
    expect(store.get('SHC00000002')).toMatchObject({
      text: lease('SHC00000002') + lease('SHC00000002', '20310101T000000Z'),
      expires: ['20300101T000000Z', '20310101T000000Z'],
      importedAt: '2025-03-10T12:00:00.000Z',
      source: 'upload',
      checked: 'key',
    });
    expect(store.answer('SHC00000001')).toEqual({ outcome: 'lease', text: lease('SHC00000001') });
  });

  it('imports the good leases of a bundle and reports each bad one with serial and reason', async () => {
    const store = new LeaseStore(memoryStore());
    const forged = lease('SHC00000003').replace(/[0-9a-f]{8}\n$/, '00000000\n');
    const bundle = formatBundle([
      ['SHC00000001', lease('SHC00000001')],
      ['SHC00000002', lease('SHC00000002', undefined, stranger)],
      ['SHC00000003', forged],
    ]);
    const report = await importBundle(bundle, store, options());
    expect(report.serials).toBe(1);
    expect(report.refused).toEqual([
      { serial: 'SHC00000002', code: 'LEASES_ERR_WRONG_KEY', reason: expect.stringContaining(stranger.keyid) },
      { serial: 'SHC00000003', code: 'LEASES_ERR_BAD_SIGNATURE', reason: expect.stringContaining('SHC00000003') },
    ]);
    expect(store.answer('SHC00000002')).toEqual({ outcome: 'none' });
  });

  it('keeps what a serial had when all of its new leases are bad', async () => {
    const store = new LeaseStore(memoryStore());
    await importBundle(lease('SHC00000001'), store, options());
    await importBundle(lease('SHC00000001', '20350101T000000Z', stranger), store, options());
    expect(store.get('SHC00000001')?.expires).toEqual(['20300101T000000Z']);
  });

  it('replaces a serial\'s leases with those of a newer bundle, leaving other serials alone', async () => {
    const store = new LeaseStore(memoryStore());
    await importBundle(lease('SHC00000001') + lease('SHC00000002'), store, options());
    await importBundle(lease('SHC00000001', '20350101T000000Z'), store, options({ source: 'feed' }));
    expect(store.get('SHC00000001')).toMatchObject({ expires: ['20350101T000000Z'], source: 'feed' });
    expect(store.get('SHC00000002')?.expires).toEqual(['20300101T000000Z']);
  });

  it('does not check again the leases it holds, as far as they were checked (a feed brings every lease at each change)', async () => {
    const store = new LeaseStore(memoryStore());
    await importBundle(lease('SHC00000001') + lease('SHC00000002') + lease('SHC00000004'), store, options());
    await importBundle(lease('SHC00000005'), store, options({ key: null }));
    // Under the deployment's key id, a key that refuses every signature: a lease let through was not checked.
    const blind = { key: stranger.key, keyid: deployment.keyid };
    const registeredSince = { ...UUIDS, SHC00000004: uuidOf('SHC00000004') };
    const again = lease('SHC00000001') + lease('SHC00000002') + lease('SHC00000002', '20310101T000000Z') + lease('SHC00000003') + lease('SHC00000004') + lease('SHC00000005');
    const report = await importBundle(again, store, options({ key: blind, uuidOf: (serial) => registeredSince[serial] }));
    // Held and checked as far as now: kept. Changed, new, registered since (a full check is due) or held unchecked: checked, and refused here.
    expect(report).toMatchObject({ serials: 1, checked: { full: 1, key: 0 } });
    expect(report.refused.map((r) => r.serial)).toEqual(['SHC00000002', 'SHC00000002', 'SHC00000003', 'SHC00000004', 'SHC00000005']);
    expect(store.get('SHC00000001')).toMatchObject({ text: lease('SHC00000001'), checked: 'full' });
    // With the real key, the same bundle is checked where it must be and stored whole.
    const real = await importBundle(again, store, options({ uuidOf: (serial) => registeredSince[serial] }));
    expect(real).toMatchObject({ serials: 5, checked: { full: 2, key: 3 }, refused: [] });
    // A key replaced since: everything is checked again (and refused by a stranger's key).
    expect((await importBundle(again, store, options({ key: stranger }))).refused).toHaveLength(6);
  });

  it('stores anything lease-shaped without a key, and says so', async () => {
    const store = new LeaseStore(memoryStore());
    const report = await importBundle(lease('SHC00000002', undefined, stranger), store, options({ key: null }));
    expect(report).toMatchObject({ verification: 'off', serials: 1, refused: [], checked: { full: 0, key: 0 } });
    expect(store.get('SHC00000002')?.checked).toBe('off');
  });

  it('refuses garbage as a whole and changes nothing', async () => {
    const store = new LeaseStore(memoryStore());
    await expect(importBundle('garbage', store, options())).rejects.toMatchObject({ code: 'LEASES_ERR_BAD_BUNDLE' });
    expect(store.entries()).toEqual([]);
  });
});

describe('LeaseStore', () => {
  it('answers STOLEN before any lease, and publishes everything as one canonical bundle', async () => {
    const store = new LeaseStore(memoryStore());
    await importBundle(lease('SHC00000002') + lease('SHC00000001'), store, options());
    expect(await store.markStolen('SHC00000001', new Date('2025-01-01T00:00:00Z'))).toBe(true);
    expect(await store.markStolen('SHC00000001', new Date())).toBe(false);
    expect(store.answer('SHC00000001')).toEqual({ outcome: 'stolen' });
    expect(store.stolen()).toEqual([{ serial: 'SHC00000001', sources: ['local'], since: '2025-01-01T00:00:00.000Z' }]);
    expect(store.bundle().toString()).toBe(formatBundle([['SHC00000001', lease('SHC00000001')], ['SHC00000002', lease('SHC00000002')]]));
    expect(await store.unmarkStolen('SHC00000001')).toBe(true);
    expect(await store.unmarkStolen('SHC00000001')).toBe(false);
    expect(store.answer('SHC00000001').outcome).toBe('lease');
  });

  it('rebuilds the published bundle only after a change', async () => {
    const store = new LeaseStore(memoryStore());
    const first = store.bundle();
    expect(store.bundle()).toBe(first);
    await importBundle(lease('SHC00000001'), store, options());
    expect(store.bundle()).not.toBe(first);
  });

  it('fills in what an older document lacks', async () => {
    const data = { leases: { SHC00000001: { text: 'x', expires: [], importedAt: '', source: 'upload', checked: 'off' } } };
    const raw = { data, update: async (change: (d: LeasesDocument) => void) => change(data as unknown as LeasesDocument), flush: async () => {} };
    const store = await LeaseStore.open(async () => raw as unknown as Store<LeasesDocument>);
    expect(store.stolen()).toEqual([]);
    expect(store.feedGenerated).toBeNull();
    expect(store.get('SHC00000001')?.text).toBe('x');
  });
});
