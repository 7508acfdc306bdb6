/**
 * A school mirroring the leases feed of its Mothership through a network that
 * fails: the upstream answers slowly, cuts bodies short, resets connections,
 * and the school's own disk fills up mid-download. Each time the school says
 * why in the feed's status, keeps serving the last good leases, and applies
 * the next version once the fault clears, without a restart.
 */
import { Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../../harness/index.js';
import { DataVolume, onSmallVolume } from './data-volume.js';
import { admin, deployment, listenerPort, makeLease, until } from './school.js';
import { FaultyUpstream } from './upstream-proxy.js';

const LEASES = '[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n';

let mothership: DaemonProcess;
let school: DaemonProcess;
let proxy: FaultyUpstream;
let volume: DataVolume;
let activation: number;
/** Every lease published so far, as one bundle (an upload replaces nothing: leases add up). */
const published: Laptop[] = [];

beforeAll(async () => {
  mothership = await DaemonProcess.start({ config: LEASES });
  proxy = await FaultyUpstream.start(mothership.url);
  const root = await makeRoot({ config: `${LEASES}upstream = ${proxy.url}/feeds/v1/leases/\nupstream_interval = 200ms\n` });
  school = await DaemonProcess.startIn(root, { wrap: onSmallVolume(root, '8m') });
  volume = new DataVolume(school);
  activation = await listenerPort(school, 'leases', 'activation');
});
afterAll(async () => {
  await school?.dispose();
  await proxy?.close();
  await mothership?.dispose();
});

async function publish(): Promise<Laptop> {
  const laptop = Laptop.create();
  expect((await admin(mothership, '/leases/v1/bundles', { method: 'POST', body: makeLease(laptop) })).status).toBe(200);
  published.push(laptop);
  return laptop;
}

const outcome = async (laptop: Laptop) => (await laptop.activate('127.0.0.1', activation, { publicKey: deployment.publicKey })).outcome;
const feed = async () => school.plugin(await school.status(), 'leases')!.feeds[0] as { lastError: string | null; lastErrorCode: string | null; lastSuccess: string | null };

/** Every laptop published before `latest` still gets its lease at the school. */
async function lastGoodServes(latest: Laptop): Promise<void> {
  for (const laptop of published.filter((l) => l !== latest)) expect(await outcome(laptop), laptop.serial).toBe('lease');
  expect(await outcome(latest)).toBe('none');
}

/** The fault clears: the school applies the version it missed. */
async function recovers(latest: Laptop): Promise<void> {
  proxy.mode = 'pass';
  expect(await until(() => outcome(latest), (o) => o === 'lease')).toBe('lease');
  expect(await until(feed, (f) => f.lastError === null)).toMatchObject({ lastError: null });
}

describe('a school mirroring its Mothership\'s leases', () => {
  it('follows the feed while the network is good', async () => {
    const first = await publish();
    expect(await until(() => outcome(first), (o) => o === 'lease')).toBe('lease');
  });

  // A body cut short names the URL it came from, as a refused connection does.
  const says = { truncate: /^feed file http:\/\/127\.0\.0\.1:\d+\/feeds\/v1\/leases\/\S* could not be fetched: /, reset: /manifest\.json could not be fetched: read ECONNRESET/ };
  for (const mode of ['truncate', 'reset'] as const) {
    it(`upstream ${mode === 'truncate' ? 'cutting bodies short' : 'resetting connections'}: the feed says why, the last good leases serve, the next version applies once it clears`, async () => {
      proxy.mode = mode;
      const asked = proxy.seen[mode];
      const latest = await publish();
      const state = await until(feed, (f) => f.lastError !== null && proxy.seen[mode] > asked);
      expect(state.lastError).toMatch(says[mode]);
      expect(state.lastErrorCode).toBe('SERVER_ERR_FEED_DOWNLOAD');
      await lastGoodServes(latest);
      await recovers(latest);
    });
  }

  it('upstream answering slowly: activation goes on meanwhile, and the version applies when it arrives', async () => {
    proxy.mode = 'slow';
    const asked = proxy.seen.slow;
    const latest = await publish();
    await until(async () => proxy.seen.slow, (n) => n > asked);
    await lastGoodServes(latest);
    expect(await until(() => outcome(latest), (o) => o === 'lease')).toBe('lease');
    expect((await feed()).lastError).toBeNull();
    proxy.mode = 'pass';
  });

  it('its own disk full mid-download: the feed names ENOSPC, the last good leases serve, and the version applies once space is freed', async () => {
    await volume.fill();
    let latest: Laptop;
    try {
      latest = await publish();
      const state = await until(feed, (f) => f.lastError !== null);
      expect(state.lastError).toMatch(/ENOSPC: no space left on device/);
      expect(state.lastErrorCode).toBe('SERVER_ERR_FEED_LOCAL_WRITE');
      await lastGoodServes(latest);
    } finally {
      await volume.clear();
    }
    await recovers(latest);
  });
});
