/**
 * Maintenance mode as laptops, a school mirroring this server and the admin
 * meet it: every laptop-facing HTTP surface answers 503 with Retry-After,
 * activation on port 191 keeps giving leases, the admin API, /status and
 * /metrics keep answering, and the switch survives a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';
import { BackupServer } from './backup/backup-server.js';

const EXTRA = '[plugins]\nleases = on\nactivities = on\nblacklists = on\n[leases]\nport = 0\naddress = 127.0.0.1\n';

describe('maintenance mode', () => {
  let server: BackupServer;
  let token: string;
  let activationPort: number;
  const laptop = Laptop.create();
  const lease = (serial: string) => `act01: ${serial} K 20991231T000000Z sig01: sha256 ${'ab'.repeat(32)} ${'cd'.repeat(256)}\n`;

  /** Every laptop-facing surface: method, URL, and the body a laptop sends. */
  const surfaces = () => {
    const http = server.daemon.url;
    return [
      { name: 'activities page', url: `${http}/activities/` },
      { name: 'activity update check', url: `${http}/services/update-aslo.php?id=org.laptop.Chat&appVersion=0.110` },
      { name: 'ds-backup availability check', url: `${http}/backup/1/available/${laptop.serial}` },
      { name: 'registration (JSON)', url: `${http}/registry/v1/register`, init: { method: 'POST', body: '{}' } },
      { name: 'registration (XML-RPC)', url: server.registration, init: { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: '<?xml version="1.0"?><methodCall><methodName>register</methodName><params></params></methodCall>' } },
      { name: 'block page', url: `${http}/blocked?category=adult` },
      { name: 'HTTP lease', url: `${http}/leases/v1/lease?serial=${laptop.serial}` },
      { name: 'published feed', url: `${http}/feeds/v1/leases/manifest.json` },
    ];
  };

  beforeAll(async () => {
    server = await BackupServer.start(EXTRA);
    token = (await readFile(join(server.daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const leases = server.daemon.plugin(await server.daemon.status(), 'leases');
    activationPort = leases!.listeners.find((l) => l.name === 'activation')!.port;
    const upload = await server.daemon.fetch('/leases/v1/bundles', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify([1, { [laptop.serial]: lease(laptop.serial) }]) });
    expect(upload.status).toBe(200);
  });
  afterAll(() => server?.daemon.dispose());

  it('holds every laptop-facing HTTP surface back with 503 and Retry-After, never the lease on port 191', async () => {
    for (const surface of surfaces()) expect((await fetch(surface.url, surface.init)).status, surface.name).not.toBe(503);

    const on = await server.daemon.cli('maintenance', 'on', '--retry-after', '15m', '--reason', 'upgrading to 0.2');
    expect(on.stdout).toMatch(/^maintenance: on since \S+ \(upgrading to 0\.2\); clients are told to come back in 900 s\n$/);

    for (const surface of surfaces()) {
      const answer = await fetch(surface.url, surface.init);
      expect(answer.status, surface.name).toBe(503);
      expect(answer.headers.get('retry-after'), surface.name).toBe('900');
      expect(await answer.json(), surface.name).toMatchObject({ error: { code: 'SERVER_ERR_MAINTENANCE', message: expect.stringContaining('upgrading to 0.2') } });
    }
    expect(await laptop.activate('127.0.0.1', activationPort)).toMatchObject({ outcome: 'lease' });

    const status = await server.daemon.status() as unknown as { server: { maintenance: { on: boolean; reason: string; since: string } } };
    expect(status.server.maintenance).toMatchObject({ on: true, reason: 'upgrading to 0.2', retryAfterSeconds: 900 });
    expect(await (await server.daemon.fetch('/metrics')).text()).toMatch(/^sugar_server_maintenance 1$/m);
    expect((await server.admin('/leases/v1/report')).status).toBe(200);
    expect((await server.admin(`/registry/v1/laptops`)).status).toBe(200);
  });

  it('stays on across a restart, and off brings every surface back', async () => {
    await server.daemon.stop();
    server = await BackupServer.start('', server.daemon.root);
    expect((await fetch(`${server.daemon.url}/activities/`)).status).toBe(503);
    expect((await server.daemon.cli('maintenance', 'status')).stdout).toMatch(/^maintenance: on since /);
    await server.daemon.waitForLog((l) => /starting in maintenance mode/.test(l.msg));

    expect((await server.daemon.cli('maintenance', 'off')).stdout).toBe('maintenance: off\n');
    for (const surface of surfaces()) expect((await fetch(surface.url, surface.init)).status, surface.name).not.toBe(503);
    expect(await (await server.daemon.fetch('/metrics')).text()).toMatch(/^sugar_server_maintenance 0$/m);
  });

  it('refuses a reason that is not one short line', async () => {
    const answer = await server.daemon.fetch('/core/v1/maintenance', {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ on: true, reason: 'two\nlines' }),
    });
    expect(answer.status).toBe(400);
    expect((await server.daemon.cli('maintenance', 'status')).stdout).toBe('maintenance: off\n');
  });
});

describe('a mirror whose upstream is in maintenance', () => {
  let mothership: DaemonProcess;
  let school: DaemonProcess;
  beforeAll(async () => {
    mothership = await DaemonProcess.start({ config: '[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n' });
    await mothership.cli('maintenance', 'on', '--retry-after', '1h');
    school = await DaemonProcess.start({
      config: `[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\nupstream = ${mothership.url}/feeds/v1/leases/\nupstream_interval = 1s\n`,
    });
  });
  afterAll(async () => {
    await school?.dispose();
    await mothership?.dispose();
  });

  it('says the upstream is busy and does not ask again before its Retry-After', async () => {
    await school.waitForLog((l) => l.code === 'SERVER_ERR_FEED_UPSTREAM_BUSY');
    const status = await school.status();
    const state = school.plugin(status, 'leases')!.feeds[0] as { lastErrorCode: string; lastError: string };
    expect(state.lastErrorCode).toBe('SERVER_ERR_FEED_UPSTREAM_BUSY');
    expect(state.lastError).toContain('asking again in 3600 s');
    // The interval is one second; over three more, a mirror that ignored Retry-After would have asked (and logged) three times.
    const before = school.logs.filter((l) => l.code === 'SERVER_ERR_FEED_UPSTREAM_BUSY').length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(school.logs.filter((l) => l.code === 'SERVER_ERR_FEED_UPSTREAM_BUSY').length).toBe(before);
  });
});
