import { generateKeyPairSync } from 'node:crypto';
import type { Logger, Store } from 'sugar-server';
import { describe, expect, it, vi } from 'vitest';
import { EMPTY_REGISTRY, Registry, type RegistryDocument, type RegistryOptions } from './registry.js';

/** A fresh ed25519 public key blob, as a laptop sends it. */
function ed25519Blob(): string {
  const x = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(x)]).toString('base64');
}

/** A store that keeps its document in memory; `hold` keeps writes pending until `release`. */
function memoryStore(hold = false) {
  const data = structuredClone(EMPTY_REGISTRY);
  const pending: (() => void)[] = [];
  const store: Store<RegistryDocument> & { writes: number; release(): void } = {
    data,
    writes: 0,
    update(change) {
      change(data);
      store.writes++;
      return hold ? new Promise<void>((resolve) => pending.push(resolve)) : Promise.resolve();
    },
    flush: () => Promise.resolve(),
    release: () => pending.splice(0).forEach((resolve) => resolve()),
  };
  return store;
}

function fakeLog() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
}

function setup(options: Partial<RegistryOptions> = {}, store = memoryStore()) {
  let now = Date.parse('2025-03-01T08:00:00.000Z');
  const log = fakeLog();
  const registry = new Registry(
    store,
    { backupHost: 'schoolserver', jabberHost: 'jabber.school', allowRebind: false, ...options },
    log as unknown as Logger,
    { now: () => now },
  );
  return { registry, store, log, advance: (ms: number) => (now += ms) };
}

const UUID = '9D2B4D44-1111-2222-3333-444455556666';
const OTHER_UUID = '00000000-1111-2222-3333-444455556666';

describe('Registry', () => {
  it('registers a laptop and answers with both hosts', async () => {
    const { registry, store, log } = setup();
    const pubkey = ed25519Blob();
    const answer = await registry.register({ serial: 'SHC0123456A', nick: 'Ana', uuid: UUID, pubkey }, 'xmlrpc');
    expect(answer).toEqual({ success: 'OK', backupurl: 'SHC0123456A@schoolserver:backup', jabberserver: 'jabber.school' });
    expect(store.data.laptops.SHC0123456A).toEqual({
      serial: 'SHC0123456A', uuid: UUID, nick: 'Ana', pubkey, keyType: 'ssh-ed25519', classGroup: null,
      firstRegistered: '2025-03-01T08:00:00.000Z', lastRegistered: '2025-03-01T08:00:00.000Z',
    });
    expect(log.info).toHaveBeenCalledWith({ serial: 'SHC0123456A', protocol: 'xmlrpc', outcome: 'registered', keyType: 'ssh-ed25519' }, 'laptop registered');
  });

  it('updates nick, key and time on a new registration, keeping the first time, the uuid spelling and the class', async () => {
    const { registry, store, advance } = setup();
    await registry.register({ serial: 'SHC0123456A', nick: 'Ana', uuid: UUID, pubkey: ed25519Blob() }, 'xmlrpc');
    store.data.laptops.SHC0123456A = { ...store.data.laptops.SHC0123456A!, classGroup: '4B' };
    advance(60_000);
    const pubkey = ed25519Blob();
    await registry.register({ serial: 'SHC0123456A', nick: 'Ana María', uuid: UUID.toLowerCase(), pubkey }, 'json');
    expect(store.data.laptops.SHC0123456A).toMatchObject({
      uuid: UUID, nick: 'Ana María', pubkey, classGroup: '4B',
      firstRegistered: '2025-03-01T08:00:00.000Z', lastRegistered: '2025-03-01T08:01:00.000Z',
    });
    expect(registry.count()).toBe(1);
  });

  it('refuses a known serial from another uuid, warning with both', async () => {
    const { registry, store, log } = setup();
    await registry.register({ serial: 'SHC0123456A', nick: 'Ana', uuid: UUID, pubkey: ed25519Blob() }, 'xmlrpc');
    const before = store.data.laptops.SHC0123456A;
    await expect(registry.register({ serial: 'SHC0123456A', nick: 'Eve', uuid: OTHER_UUID, pubkey: ed25519Blob() }, 'xmlrpc'))
      .rejects.toMatchObject({ code: 'REGISTRY_ERR_UUID_CLASH', status: 409 });
    expect(store.data.laptops.SHC0123456A).toBe(before);
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ serial: 'SHC0123456A', outcome: 'refused', registeredUuid: UUID, offeredUuid: OTHER_UUID }),
      expect.stringMatching(/already registered to a machine with another uuid/),
    );
  });

  it('rebinds a known serial to another uuid when allow_rebind is on', async () => {
    const { registry, store, log } = setup({ allowRebind: true });
    await registry.register({ serial: 'SHC0123456A', nick: 'Ana', uuid: UUID, pubkey: ed25519Blob() }, 'xmlrpc');
    await registry.register({ serial: 'SHC0123456A', nick: 'Ana', uuid: OTHER_UUID, pubkey: ed25519Blob() }, 'xmlrpc');
    expect(store.data.laptops.SHC0123456A?.uuid).toBe(OTHER_UUID);
    expect(log.warn).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'rebound', previousUuid: UUID, uuid: OTHER_UUID }), expect.any(String));
  });

  it.each([
    [{ serial: 'shc0123456a' }, 'REGISTRY_ERR_BAD_SERIAL'],
    [{ uuid: 'nope' }, 'REGISTRY_ERR_BAD_UUID'],
    [{ nick: '' }, 'REGISTRY_ERR_BAD_NICK'],
    [{ pubkey: 'AAAA' }, 'REGISTRY_ERR_BAD_KEY'],
    [{ serial: undefined }, 'REGISTRY_ERR_BAD_SERIAL'],
  ])('refuses %j without storing anything', async (change, code) => {
    const { registry, store, log } = setup();
    const request = { serial: 'SHC0123456A', nick: 'Ana', uuid: UUID, pubkey: ed25519Blob(), ...change };
    await expect(registry.register(request, 'json')).rejects.toMatchObject({ code });
    expect(store.writes).toBe(0);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'refused', code }), expect.stringMatching(/^registration refused: /));
  });

  it('answers only once the store has written, and never waits for one registration before taking the next', async () => {
    const store = memoryStore(true);
    const { registry } = setup({}, store);
    const settled: number[] = [];
    const keys = Array.from({ length: 1000 }, ed25519Blob);
    const all = keys.map((pubkey, i) =>
      registry.register({ serial: `SHC${i.toString(16).toUpperCase().padStart(8, '0')}`, nick: `n${i}`, uuid: UUID, pubkey }, 'xmlrpc')
        .then(() => settled.push(i)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.writes).toBe(1000);
    expect(settled).toEqual([]);
    store.release();
    await Promise.all(all);
    expect(settled).toHaveLength(1000);
    expect(registry.count()).toBe(1000);
  });

  it('lists, pages and looks laptops up in serial order', async () => {
    const { registry } = setup();
    for (const serial of ['SHC0000000C', 'SHC0000000A', 'SHC0000000B']) {
      await registry.register({ serial, nick: 'x', uuid: UUID, pubkey: ed25519Blob() }, 'json');
    }
    expect(registry.list().map((l) => l.serial)).toEqual(['SHC0000000A', 'SHC0000000B', 'SHC0000000C']);
    const page = registry.page(1, 1);
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.laptops.map((l) => l.serial)).toEqual(['SHC0000000B']);
    expect(registry.page(5, 10).laptops).toEqual([]);
    expect(registry.get('SHC0000000B')?.serial).toBe('SHC0000000B');
    expect(registry.get('SHC0000000D')).toBeUndefined();
    expect(registry.get('constructor')).toBeUndefined();
    expect(registry.get('__proto__')).toBeUndefined();
  });

  it('removes a laptop, and says when there was none', async () => {
    const { registry, store } = setup();
    await registry.register({ serial: 'SHC0000000A', nick: 'x', uuid: UUID, pubkey: ed25519Blob() }, 'json');
    expect(registry.count()).toBe(1);
    expect(await registry.remove('SHC0000000A')).toBe(true);
    expect(await registry.remove('SHC0000000A')).toBe(false);
    expect(registry.count()).toBe(0);
    expect(store.data.laptops).toEqual({});
  });
});
