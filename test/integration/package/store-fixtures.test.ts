/**
 * Upgrades never break a school's data: the stores every earlier release wrote
 * (test/fixtures/stores/<version>/, made by write.ts there) open in this one,
 * every plugin starts on them (migrating its document from the version that
 * release wrote to the one it declares now), and their laptops, leases and
 * stolen list are all still there.
 */
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_MAIN, DaemonProcess, makeRoot, runCommand } from '../../harness/index.js';
import { DOCUMENT_VERSIONS, EVERY_PLUGIN_CONFIG, type StoreFixtureExpectations } from '../../fixtures/stores/plugins.js';

const FIXTURES = new URL('../../fixtures/stores/', import.meta.url).pathname;
const versions = (await readdir(FIXTURES, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();

/** `store check`'s lines, as each store's document version by service. */
function documentVersions(check: string): Record<string, number> {
  return Object.fromEntries([...check.matchAll(/^(\w+): ok, document version (\d+),/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('stores written by earlier releases', () => {
  it('are kept for at least this release', () => {
    expect(versions).toContain('0.1.0');
  });

  it.each(versions)('from %s: open, and keep every laptop, lease and stolen serial', async (version) => {
    const expected = JSON.parse(await readFile(join(FIXTURES, version, 'expected.json'), 'utf8')) as StoreFixtureExpectations;
    const root = await makeRoot({ config: EVERY_PLUGIN_CONFIG });
    await cp(join(FIXTURES, version, 'stores'), join(root, 'var/lib/sugar-server/stores'), { recursive: true });
    const services = (await readdir(join(FIXTURES, version, 'stores'))).sort();
    expect(services).toEqual(Object.keys(DOCUMENT_VERSIONS).sort());
    // Each document as that release wrote it (0.1.0 knew no versions: 1), ...
    const before = await runCommand(process.execPath, [DAEMON_MAIN, 'store', 'check', '--root', root]);
    expect(before.code, before.stdout + before.stderr).toBe(0);
    expect(documentVersions(before.stdout)).toEqual(Object.fromEntries(services.map((s) => [s, expected.documents?.[s] ?? 1])));
    const daemon = await DaemonProcess.startIn(root, { readyTimeoutMs: 60_000 });
    try {
      // ... and once this release opened it, at the version its plugin declares now.
      const check = await daemon.cli('store', 'check');
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(documentVersions(check.stdout)).toEqual(DOCUMENT_VERSIONS);
      const status = await daemon.status();
      expect(status.plugins.filter((p) => p.enabled && p.state !== 'running').map((p) => `${p.service}: ${p.state} ${p.error?.message ?? ''}`)).toEqual([]);
      const token = (await readFile(join(root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
      const admin = (path: string) => daemon.fetch(path, { headers: { Authorization: `Bearer ${token}` } });
      for (const { serial, uuid } of expected.registered) {
        const record = await admin(`/registry/v1/laptops/${serial}`);
        expect(record.status, serial).toBe(200);
        expect(JSON.stringify(await record.json()).toLowerCase()).toContain(uuid.toLowerCase());
      }
      for (const serial of expected.leased) {
        const lease = await daemon.fetch(`/leases/v1/lease?serial=${serial}`);
        expect(lease.status, serial).toBe(200);
        expect(await lease.text()).toMatch(new RegExp(`^act01: ${serial} K 20990101T000000Z sig01: `));
      }
      const { stolen } = (await (await admin('/leases/v1/stolen')).json()) as { stolen: { serial: string }[] };
      expect(stolen.map((s) => s.serial)).toEqual(expect.arrayContaining([...expected.stolen]));
    } finally {
      await daemon.dispose();
    }
  }, 120_000);

  it('written by a newer release: the daemon refuses to start, says why, and changes nothing', async () => {
    const root = await makeRoot({ config: EVERY_PLUGIN_CONFIG });
    const stores = join(root, 'var/lib/sugar-server/stores');
    try {
      await cp(join(FIXTURES, '0.1.0', 'stores'), stores, { recursive: true });
      const snapshot = join(stores, 'registry/snapshot.json');
      const text = await readFile(snapshot, 'utf8');
      const newer = text.replace('"format":"sugar-server-store/1","journal":1', '"format":"sugar-server-store/3","journal":1,"document":1');
      expect(newer).not.toBe(text);
      await writeFile(snapshot, newer);
      const start = await runCommand(process.execPath, [DAEMON_MAIN, 'start', '--root', root], { timeoutMs: 60_000 });
      expect(start.code).toBe(65);
      expect(start.stderr).toContain(`sugar-server: store ${snapshot} was written by a newer sugar-server (store format 3; this version reads format 2 and older). ` +
        'Going back to an older version is refused');
      expect(await readFile(snapshot, 'utf8')).toBe(newer);
      expect(await readFile(join(stores, 'leases/snapshot.json'), 'utf8')).toBe(await readFile(join(FIXTURES, '0.1.0', 'stores/leases/snapshot.json'), 'utf8'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
