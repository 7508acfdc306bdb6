import { afterEach, describe, expect, it, vi } from 'vitest';
import { browse, toServers, type FoundService, type MdnsSession } from './discover.js';
import { isSugaroidError, SugaroidErrors } from './errors.js';

/** An mDNS session that never touches the network: tests announce services by hand. */
class FakeSession implements MdnsSession {
  found: FoundService[] = [];
  queries = 0;
  closed = 0;
  private upListeners: (() => void)[] = [];
  private errorListeners: ((err: Error) => void)[] = [];

  services = () => this.found;
  onUp = (listener: () => void) => void this.upListeners.push(listener);
  onError = (listener: (err: Error) => void) => void this.errorListeners.push(listener);
  query = () => void this.queries++;
  close = async () => void this.closed++;

  announce(service: FoundService): void {
    this.found.push(service);
    for (const l of this.upListeners) l();
  }

  fail(err: Error): void {
    for (const l of this.errorListeners) l(err);
  }
}

const SCHOOL: FoundService = {
  name: 'schoolserver',
  host: 'schoolserver.local',
  port: 5080,
  addresses: ['fe80::1', '10.0.0.2'],
  txt: { version: '0.1.0', services: 'registry,leases, backup' },
};

afterEach(() => {
  vi.useRealTimers();
});

describe('browse', () => {
  it('collects servers until the timeout, asks again meanwhile, then closes the session', async () => {
    vi.useFakeTimers();
    const session = new FakeSession();
    const found = browse(() => session, { timeoutMs: 3500 });
    session.announce(SCHOOL);
    await vi.advanceTimersByTimeAsync(1000);
    expect(session.queries).toBe(1);
    session.announce({ ...SCHOOL, name: 'other', host: 'other.local', addresses: ['10.0.0.3'] });
    await vi.advanceTimersByTimeAsync(2500);
    const servers = await found;
    expect(session.queries).toBe(2);
    expect(servers.map((s) => s.name)).toEqual(['schoolserver', 'other']);
    expect(session.closed).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('returns at the first server when firstOnly is asked', async () => {
    const session = new FakeSession();
    const found = browse(() => session, { timeoutMs: 60_000, firstOnly: true });
    session.announce(SCHOOL);
    expect(await found).toHaveLength(1);
    expect(session.closed).toBe(1);
  });

  it('returns an empty list when nothing answers, or NO_SERVER when one is required', async () => {
    const quiet = new FakeSession();
    expect(await browse(() => quiet, { timeoutMs: 10 })).toEqual([]);
    expect(quiet.closed).toBe(1);

    const required = new FakeSession();
    const err = await browse(() => required, { timeoutMs: 10, required: true, type: 'school' }).catch((e: unknown) => e);
    expect(isSugaroidError(err) && err.code).toBe(SugaroidErrors.NO_SERVER.code);
    expect((err as Error).message).toContain('_school._tcp');
    expect(required.closed).toBe(1);
  });

  it('turns a socket error into DISCOVERY and still closes', async () => {
    const session = new FakeSession();
    const found = browse(() => session, { timeoutMs: 60_000 });
    session.fail(Object.assign(new Error('bind EADDRINUSE 0.0.0.0:5353'), { code: 'EADDRINUSE' }));
    const err = await found.catch((e: unknown) => e);
    expect(isSugaroidError(err) && err.code).toBe(SugaroidErrors.DISCOVERY.code);
    expect(session.closed).toBe(1);
  });

  it('turns a failure to open the socket into DISCOVERY', async () => {
    const err = await browse(() => {
      throw new Error('no multicast');
    }).catch((e: unknown) => e);
    expect(isSugaroidError(err) && err.code).toBe(SugaroidErrors.DISCOVERY.code);
  });

  it('refuses a negative timeout', async () => {
    await expect(browse(() => new FakeSession(), { timeoutMs: -1 })).rejects.toThrow(RangeError);
  });
});

describe('toServers', () => {
  it('uses the first IPv4 address for the URL and splits the TXT services', () => {
    expect(toServers([SCHOOL])).toEqual([{
      name: 'schoolserver',
      host: 'schoolserver.local',
      addresses: ['fe80::1', '10.0.0.2'],
      port: 5080,
      url: 'http://10.0.0.2:5080',
      version: '0.1.0',
      services: ['registry', 'leases', 'backup'],
    }]);
  });

  it('falls back to the host name, and copes with binary or missing TXT', () => {
    const [v6only] = toServers([{ ...SCHOOL, addresses: ['fe80::1'], txt: { version: Buffer.from('2.0') } }]);
    expect(v6only).toMatchObject({ url: 'http://schoolserver.local:5080', version: '2.0', services: [] });
    const [bare] = toServers([{ name: 'x', host: 'x.local', port: 80 }]);
    expect(bare).toMatchObject({ addresses: [], version: null, services: [] });
  });

  it('uses the IPv4 source of the answer when the host has no address records', () => {
    const [lonely] = toServers([{ ...SCHOOL, addresses: [], referer: { address: '10.0.0.9' } }]);
    expect(lonely?.url).toBe('http://10.0.0.9:5080');
    const [named] = toServers([{ ...SCHOOL, addresses: ['fe80::1'], referer: { address: '10.0.0.9' } }]);
    expect(named?.url).toBe('http://schoolserver.local:5080');
  });

  it('drops services without a usable port or host', () => {
    expect(toServers([{ ...SCHOOL, port: 0 }, { ...SCHOOL, host: '' }])).toEqual([]);
  });
});
