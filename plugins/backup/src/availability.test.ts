import { describe, expect, it } from 'vitest';
import { Availability, type AvailabilityDeps } from './availability.js';
import { RecentClients } from './recent-clients.js';
import type { VolumeUse } from './volume.js';

const SN = 'SHC0123456A';
const MINUTE = 60_000;

function availability(overrides: { load?: number; volume?: VolumeUse; registered?: boolean | null; usage?: number; quota?: number; maxClients?: number } = {}) {
  let now = 1_000_000;
  const deps: AvailabilityDeps = {
    limits: { maxLoad: 5, maxDiskUse: 0.9, maxInodeUse: 0.9, quota: overrides.quota ?? 0 },
    probe: { loadAverage: () => overrides.load ?? 0.5, volumeUse: async () => overrides.volume ?? { disk: 0.5, inodes: 0.5 } },
    root: '/backups',
    recent: new RecentClients(5 * MINUTE, overrides.maxClients ?? 10),
    isRegistered: (serial) => (overrides.registered === undefined ? serial.startsWith('SHC') : overrides.registered),
    usage: () => overrides.usage ?? 0,
    now: () => now,
  };
  return { availability: new Availability(deps), advance: (ms: number) => (now += ms) };
}

describe('Availability', () => {
  it('says go to a registered laptop on a quiet server', async () => {
    expect(await availability().availability.answer(SN)).toEqual({ status: 200, reason: 'go' });
  });

  it('answers 403 to a serial that is not one, or not registered', async () => {
    const { availability: a } = availability();
    expect(await a.answer('../etc')).toEqual({ status: 403, reason: 'not a laptop serial' });
    expect(await a.answer('shc0123456a')).toMatchObject({ status: 403 });
    expect(await a.answer('XYZ0123456A')).toEqual({ status: 403, reason: 'not registered' });
  });

  it('answers 503 when the registry is not running', async () => {
    expect(await availability({ registered: null }).availability.answer(SN)).toMatchObject({ status: 503, reason: 'the registry is not running' });
  });

  it.each([
    ['the load average is above max_load', { load: 5.5 }, /load average 5.50 is above 5/],
    ['the volume is over 90 % full', { volume: { disk: 0.95, inodes: 0.1 } }, /95\.0 % full/],
    ['over 90 % of the inodes are used', { volume: { disk: 0.1, inodes: 0.91 } }, /inodes/],
    ['the laptop is at its quota', { quota: 1000, usage: 1000 }, /quota of 1000/],
  ])('answers 503 when %s', async (_what, overrides, reason) => {
    const verdict = await availability(overrides).availability.answer(SN);
    expect(verdict.status).toBe(503);
    expect(verdict.reason).toMatch(reason);
  });

  it('ignores inodes on a file system that does not count them', async () => {
    expect(await availability({ volume: { disk: 0.1, inodes: null } }).availability.answer(SN)).toMatchObject({ status: 200 });
  });

  it('lets at most max_clients different laptops go within the window; one already let in may ask again', async () => {
    const { availability: a, advance } = availability({ maxClients: 2 });
    expect((await a.answer('SHC00000001')).status).toBe(200);
    expect((await a.answer('SHC00000002')).status).toBe(200);
    expect(await a.answer('SHC00000003')).toMatchObject({ status: 503, reason: expect.stringMatching(/^2 laptops were told to go/) });
    expect((await a.answer('SHC00000001')).status).toBe(200);
    advance(5 * MINUTE);
    expect((await a.answer('SHC00000003')).status).toBe(200);
  });

  it('holds uploads over SSH to the volume and quota limits, not to the client count', async () => {
    expect(await availability({ maxClients: 1 }).availability.uploadRefusal(SN)).toBeNull();
    expect(await availability({ volume: { disk: 0.99, inodes: 0 } }).availability.uploadRefusal(SN)).toMatch(/full/);
  });
});
