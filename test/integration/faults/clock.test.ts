/**
 * The wall clock jumps forward and back under a running daemon (an NTP step,
 * a dead RTC battery corrected), through the test-only
 * SUGAR_SERVER_TEST_CLOCK_FILE offset the daemon's clock honours: the lease
 * counts in /status follow the clock both ways, and activation answers all
 * along (the laptop, not the server, judges a lease's expiry).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../../harness/index.js';
import { admin, deployment, listenerPort, makeLease, until } from './school.js';

const DAY = 86_400_000;
let work: string;
let offsetFile: string;
let daemon: DaemonProcess;
let activation: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'clock-faults-'));
  offsetFile = join(work, 'clock-offset');
  await writeFile(offsetFile, '0');
  const root = await makeRoot({ config: '[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\nexpiry_warning = 30d\n' });
  daemon = await DaemonProcess.startIn(root, { env: { SUGAR_SERVER_TEST_CLOCK_FILE: offsetFile } });
  activation = await listenerPort(daemon, 'leases', 'activation');
});
afterAll(async () => {
  await daemon?.dispose();
  await rm(work, { recursive: true, force: true });
});

const counts = async () => daemon.plugin(await daemon.status(), 'leases')!.details as { expiringSoon: number; expired: number };
const jump = (days: number) => writeFile(offsetFile, String(days * DAY));

describe('the clock jumping', () => {
  it('forward past a lease\'s end and back again: /status counts it expired, then expiring, and activation answers throughout', async () => {
    const laptop = Laptop.create();
    expect((await admin(daemon, '/leases/v1/bundles', { method: 'POST', body: makeLease(laptop, new Date(Date.now() + 10 * DAY)) })).status).toBe(200);
    // /status is rebuilt at most once a second.
    expect(await until(counts, (c) => c.expiringSoon === 1)).toMatchObject({ expiringSoon: 1, expired: 0 });

    await jump(20);
    expect(await until(counts, (c) => c.expired === 1)).toMatchObject({ expiringSoon: 0, expired: 1 });
    expect((await laptop.activate('127.0.0.1', activation, { publicKey: deployment.publicKey })).outcome).toBe('lease');

    await jump(0);
    expect(await until(counts, (c) => c.expired === 0)).toMatchObject({ expiringSoon: 1, expired: 0 });
  });
});
