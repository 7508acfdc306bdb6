/**
 * The data folder's volume fills up while laptops register: a registration
 * that cannot reach the disk is refused with a code that names the fault,
 * activation goes on, and once the admin frees space the next registration is
 * kept, without a restart.
 */
import { Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../../harness/index.js';
import { DataVolume, onSmallVolume } from './data-volume.js';
import { admin, deployment, listenerPort, makeLease } from './school.js';

const CONFIG = '[plugins]\nregistry = on\nleases = on\n[registry]\nport = 0\naddress = 127.0.0.1\n[leases]\nport = 0\naddress = 127.0.0.1\n';

describe('a full disk under the stores', () => {
  let daemon: DaemonProcess;
  let volume: DataVolume;
  let registration: string;
  let activation: number;
  beforeAll(async () => {
    const root = await makeRoot({ config: CONFIG });
    daemon = await DaemonProcess.startIn(root, { wrap: onSmallVolume(root, '8m') });
    volume = new DataVolume(daemon);
    registration = `http://127.0.0.1:${await listenerPort(daemon, 'registry', 'registration')}/`;
    activation = await listenerPort(daemon, 'leases', 'activation');
  });
  afterAll(() => daemon?.dispose());

  it('refuses a registration it cannot keep with SERVER_ERR_STORE_WRITE, serves leases meanwhile, and keeps the next one once space is freed', async () => {
    const earlier = Laptop.create();
    expect((await earlier.register(registration)).success).toBe('OK');
    expect((await admin(daemon, '/leases/v1/bundles', { method: 'POST', body: makeLease(earlier) })).status).toBe(200);

    await volume.fill();
    // The journal's last page may still hold a few records: register until one needs a new page.
    let refused: Laptop | undefined;
    for (let n = 0; n < 100 && !refused; n++) {
      const laptop = Laptop.create();
      const answer = await laptop.register(registration);
      if (answer.success !== 'OK') {
        expect(answer).toMatchObject({ success: 'FAULT', error: expect.stringContaining('log says why') });
        refused = laptop;
      }
    }
    expect(refused, 'a registration on the full disk').toBeDefined();
    const logged = await daemon.waitForLog((l) => l.msg === 'registration failed');
    expect(logged.err).toMatchObject({ code: 'SERVER_ERR_STORE_WRITE', message: expect.stringMatching(/ENOSPC: no space left on device/) });

    // What was kept before still serves: the lease, and the registered laptop's record.
    expect((await earlier.activate('127.0.0.1', activation, { publicKey: deployment.publicKey })).outcome).toBe('lease');
    expect((await admin(daemon, `/registry/v1/laptops/${earlier.serial}`)).status).toBe(200);

    await volume.clear();
    const later = Laptop.create();
    expect((await later.register(registration)).success).toBe('OK');
    // The refused registration was kept in memory and went to disk with the next flush, as storage promises.
    const check = await volume.cli('store', 'dump', 'registry');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(later.serial);
    expect(check.stdout).toContain(refused!.serial);
  });
});
