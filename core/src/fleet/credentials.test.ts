import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../paths.js';
import { credentialFile, digestOf, ensureServerId, matchesDigest, newSecret, parseSchoolCredential, readCredential, writeCredential } from './credentials.js';
import { FleetErrors } from './errors.js';
import { FleetRegistry } from './registry.js';
import type { FleetReport } from './report.js';

function sampleReport(overrides: Partial<FleetReport> = {}): FleetReport {
  const feed = { name: 'leases', owner: 'leases', version: 7, generated: '2026-12-04T09:00:00.000Z', appliedAt: null, lastSuccess: null, lastError: null, lastErrorCode: null, expired: false, trust: 'signed' as const };
  const counts = { laptops: 412, leasesExpiringSoon: 3, leasesExpired: 1, stolen: 2, backupsOverdue: 17, backupBytesUsed: 1e9, backupBytesQuota: 5e9, blacklistIndex: null };
  return { schema: 1, serverId: '6f1c2d0e-8a1b-4c3d-9e8f-0a1b2c3d4e5f', name: 'Escuela 12', group: null, version: '0.1.0', sentAt: '2026-12-04T10:00:00.000Z', startedAt: '2026-12-01T08:00:00.000Z', plugins: [], feeds: [feed], counts, downstream: null, ...overrides };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempPaths() {
  const root = await mkdtemp(join(tmpdir(), 'sugar-fleet-'));
  dirs.push(root);
  return resolvePaths({ root });
}

describe('secrets and credentials', () => {
  it('keeps digests, and matches a secret only to its own', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(matchesDigest(secret, digestOf(secret))).toBe(true);
    expect(matchesDigest(newSecret(), digestOf(secret))).toBe(false);
    expect(matchesDigest(secret, 'not hex')).toBe(false);
  });

  it('reads `Bearer <server id>.<secret>` and nothing else', () => {
    const secret = newSecret();
    expect(parseSchoolCredential(`Bearer 6f1c2d0e-8a1b.${secret}`)).toEqual({ serverId: '6f1c2d0e-8a1b', secret });
    for (const header of ['', `Basic 6f1c2d0e-8a1b.${secret}`, `Bearer ${secret}`, `Bearer ../x.${secret}`, 'Bearer 6f1c2d0e-8a1b.short']) {
      expect(parseSchoolCredential(header), header).toBeNull();
    }
  });

  it('writes the credential for its owner only, and says what is wrong with a broken one', async () => {
    const paths = await tempPaths();
    expect(await readCredential(paths)).toBeNull();
    const credential = { upstream: 'http://127.0.0.1:5080/', serverId: await ensureServerId(paths), secret: newSecret(), name: 'Escuela 12', group: null, enrolledAt: '2026-12-04T10:00:00.000Z' };
    await writeCredential(paths, credential);
    expect((await stat(credentialFile(paths))).mode & 0o777).toBe(0o600);
    expect(await readCredential(paths)).toEqual(credential);
    await writeFile(credentialFile(paths), '{"upstream": 1}');
    await expect(readCredential(paths)).rejects.toMatchObject({ code: FleetErrors.NOT_ENROLLED.code });
  });

  it('keeps one server id across calls', async () => {
    const paths = await tempPaths();
    const id = await ensureServerId(paths);
    expect(await ensureServerId(paths)).toBe(id);
    expect((await readFile(join(paths.data, 'core/server-id'), 'utf8')).trim()).toBe(id);
  });
});

describe('invites and check-ins on the upstream', () => {
  it('takes each token once, before it expires, and stores no token or secret', async () => {
    const paths = await tempPaths();
    const file = join(paths.data, 'core/fleet.json');
    const registry = await FleetRegistry.open(file);
    const now = Date.parse('2026-12-04T10:00:00Z');
    const { token } = await registry.invite('Escuela 12', 'district-7', 7 * 86_400_000, now);
    const late = await registry.invite('Escuela 13', null, 1000, now);
    const serverId = sampleReport().serverId;
    await expect(registry.enrol(late.token, 'aaaaaaaa-1', now + 2000)).rejects.toMatchObject({ code: FleetErrors.BAD_INVITE.code });
    const { secret, school } = await registry.enrol(token, serverId, now);
    expect(school).toMatchObject({ name: 'Escuela 12', group: 'district-7', serverId });
    await expect(registry.enrol(token, 'bbbbbbbb-2', now)).rejects.toMatchObject({ code: FleetErrors.BAD_INVITE.code });

    expect(registry.authenticate({ serverId, secret })).toBe(school);
    expect(() => registry.authenticate({ serverId, secret: newSecret() })).toThrow(expect.objectContaining({ code: FleetErrors.UNKNOWN_SCHOOL.code }));
    expect(() => registry.authenticate({ serverId: 'cccccccc-3', secret })).toThrow(expect.objectContaining({ code: FleetErrors.UNKNOWN_SCHOOL.code }));
    expect(() => registry.authenticate(null)).toThrow(expect.objectContaining({ code: FleetErrors.UNKNOWN_SCHOOL.code }));
    expect(await registry.forget(serverId)).toBe(true);
    expect(() => registry.authenticate({ serverId, secret })).toThrow(expect.objectContaining({ code: FleetErrors.UNKNOWN_SCHOOL.code }));
    expect(registry.record(serverId)).toBeNull();
    expect(await registry.forget(serverId)).toBe(false);
    await registry.close();

    const dir = join(paths.data, 'core/fleet');
    const onDisk = (await Promise.all((await import('node:fs/promises').then((fs) => fs.readdir(dir))).map((f) => readFile(join(dir, f), 'utf8')))).join('');
    expect(onDisk).not.toContain(token);
    expect(onDisk).not.toContain(secret);
  });

  it('keeps the latest report and a bounded ring of brief ones, across a reopen', async () => {
    const paths = await tempPaths();
    const file = join(paths.data, 'core/fleet.json');
    let registry = await FleetRegistry.open(file);
    const { token } = await registry.invite('Escuela 12', null, 86_400_000);
    const { school } = await registry.enrol(token, sampleReport().serverId);
    const t0 = Date.parse('2026-12-04T10:00:00Z');
    for (let i = 0; i < 8; i++) {
      const feed = { ...sampleReport().feeds[0]!, version: 7 + Math.floor(i / 4), appliedAt: null };
      await registry.checkin(school, sampleReport({ feeds: [feed] }), 5, t0 + i * 60_000);
    }
    await registry.close();
    registry = await FleetRegistry.open(file);
    const record = registry.record(school.serverId)!;
    expect(record.history.map((h) => h.at)).toEqual([7, 6, 5, 4, 3].map((i) => new Date(t0 + i * 60_000).toISOString()));
    expect(record.latest!.report.feeds[0]!.version).toBe(8);
    // Held since the first check-in at that version (the report gave no applied time).
    expect(record.latest!.held.leases).toEqual({ version: 8, since: new Date(t0 + 4 * 60_000).toISOString() });
    await registry.close();
  });
});
