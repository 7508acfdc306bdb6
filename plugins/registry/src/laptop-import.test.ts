import { generateKeyPairSync } from 'node:crypto';
import type { Logger, Store } from 'sugar-server';
import { describe, expect, it, vi } from 'vitest';
import { importLaptops } from './laptop-import.js';
import { EMPTY_REGISTRY, Registry, type RegistryDocument } from './registry.js';

function ed25519Blob(): string {
  const x = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(x)]).toString('base64');
}

const UUID = '9D2B4D44-1111-2222-3333-444455556666';
const KEY = ed25519Blob();
const HEADER = 'serial,uuid,nick,key,class group\n';

async function setup(allowRebind = false) {
  const data = structuredClone(EMPTY_REGISTRY);
  let writes = 0;
  const store: Store<RegistryDocument> = { data, update: (change) => (change(data), writes++, Promise.resolve()), flush: () => Promise.resolve() };
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() } as unknown as Logger;
  const registry = new Registry(store, { backupHost: 'schoolserver', jabberHost: 'schoolserver', allowRebind }, log, { now: () => Date.parse('2025-03-01T08:00:00Z') });
  await registry.register({ serial: 'SHC0123456A', nick: 'Ana', uuid: UUID, pubkey: KEY }, 'xmlrpc');
  return { registry, data, writes: () => writes };
}

describe('importLaptops', () => {
  it('adds, updates and leaves alone, in one write, keeping registration times', async () => {
    const { registry, data, writes } = await setup();
    const before = writes();
    const csv = `${HEADER}SHC0123456A,${UUID.toLowerCase()},Ana,ssh-ed25519 ${KEY},5B\nSHC0123456B,${UUID},Bo,${KEY},\n`;
    const report = await importLaptops(registry, csv, { dryRun: false });
    expect(report).toEqual({ dryRun: false, applied: true, rows: 2, added: 1, updated: 1, unchanged: 0, problems: [] });
    expect(writes() - before).toBe(1);
    expect(data.laptops.SHC0123456A).toMatchObject({ uuid: UUID, classGroup: '5B', firstRegistered: '2025-03-01T08:00:00.000Z' });
    expect(data.laptops.SHC0123456B).toMatchObject({ nick: 'Bo', classGroup: null, keyType: 'ssh-ed25519' });
    expect((await importLaptops(registry, csv, { dryRun: false })).unchanged).toBe(2);
  });

  it('writes nothing when one row is wrong, and lists every wrong row by line', async () => {
    const { registry, data, writes } = await setup();
    const before = writes();
    const csv = `${HEADER}SHC0123456B,${UUID},Bo,${KEY},5A\nSHC0123456C,${UUID},,${KEY},\nSHC0123456A,00000000-1111-2222-3333-444455556666,Ana,${KEY},\nSHC0123456B,${UUID},Bo,${KEY},\nSHC0123456D,${UUID},Di,${KEY},\u0007\n`;
    const report = await importLaptops(registry, csv, { dryRun: false });
    expect(report).toMatchObject({ applied: false, rows: 5, added: 1 });
    expect(report.problems.map((p) => [p.line, p.serial, p.code])).toEqual([
      [3, 'SHC0123456C', 'REGISTRY_ERR_BAD_NICK'],
      [4, 'SHC0123456A', 'REGISTRY_ERR_UUID_CLASH'],
      [5, 'SHC0123456B', 'REGISTRY_ERR_BAD_ROW'],
      [6, 'SHC0123456D', 'REGISTRY_ERR_BAD_CLASS_GROUP'],
    ]);
    expect(writes()).toBe(before);
    expect(Object.keys(data.laptops)).toEqual(['SHC0123456A']);
  });

  it('checks but never writes on a dry run', async () => {
    const { registry, data, writes } = await setup();
    const before = writes();
    const report = await importLaptops(registry, `${HEADER}SHC0123456B,${UUID},Bo,${KEY},\n`, { dryRun: true });
    expect(report).toMatchObject({ dryRun: true, applied: false, added: 1, problems: [] });
    expect(writes()).toBe(before);
    expect(data.laptops.SHC0123456B).toBeUndefined();
  });

  it('moves a serial to another uuid only when allow_rebind is on', async () => {
    const { registry, data } = await setup(true);
    const other = '00000000-1111-2222-3333-444455556666';
    expect(await importLaptops(registry, `${HEADER}SHC0123456A,${other},Ana,${KEY},\n`, { dryRun: false })).toMatchObject({ applied: true, updated: 1 });
    expect(data.laptops.SHC0123456A!.uuid).toBe(other);
  });
});
