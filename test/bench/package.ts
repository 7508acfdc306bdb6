/**
 * What a release costs a school: the .deb's and the offline bundle's sizes,
 * how long install.sh takes on a fresh Debian 12 with no network, and the time
 * from `sugar-server start` to systemd's READY=1 with every plugin on, for an
 * empty school and for one with 5,000 laptops registered and leased. The
 * baselines are the goals (2 s and 5 s): a ratio under 1 meets them.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Laptop, swarm } from 'sugaroid';
import { EVERY_PLUGIN_CONFIG } from '../fixtures/stores/plugins.js';
import { buildPackage, DaemonProcess, DebianRoot, makeLease, makeRoot, NotifySocket } from '../harness/index.js';

const LAPTOPS = 5000;
const STARTS = 3;
const GOAL_EMPTY_S = 2;
const GOAL_FULL_S = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Seconds from spawning the daemon to READY=1 on its notify socket; the median of a few starts. */
async function startToReady(root: string): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const socket = await NotifySocket.open();
    const started = Date.now();
    const daemon = await DaemonProcess.startIn(root, { env: { NOTIFY_SOCKET: socket.path }, readyTimeoutMs: 120_000 });
    try {
      const ready = await socket.next((f) => f.READY === '1', 0, 120_000);
      seconds.push((ready.at - started) / 1000);
    } finally {
      await daemon.stop();
      await socket.close();
    }
  }
  return median(seconds);
}

/** 5,000 laptops registered over XML-RPC and leased through the admin API, as a big school has them. */
async function fill(root: string): Promise<void> {
  const daemon = await DaemonProcess.startIn(root, { readyTimeoutMs: 120_000 });
  try {
    const status = await daemon.status();
    const registration = `http://127.0.0.1:${daemon.plugin(status, 'registry')!.listeners.find((l) => l.name === 'registration')!.port}/`;
    const laptops = Array.from({ length: LAPTOPS }, () => Laptop.create());
    const registered = await swarm(LAPTOPS, (i) => laptops[i]!.register(registration), { concurrency: 32 });
    if (registered.errors) throw new Error(`registration failed: ${JSON.stringify(registered.firstErrors)}`);
    const token = (await readFile(join(root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const imported = await daemon.fetch('/leases/v1/bundles', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: laptops.map((l) => makeLease(l)).join(''), signal: AbortSignal.timeout(120_000) });
    if (!imported.ok) throw new Error(`lease import answered ${imported.status}: ${await imported.text()}`);
  } finally {
    await daemon.stop();
  }
}

export async function benchPackage(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'sugar-server-bench-package-'));
  const root = await makeRoot({ config: EVERY_PLUGIN_CONFIG });
  let debian: DebianRoot | undefined;
  try {
    const build = await buildPackage({ offline: true, out: work });
    const debBytes = (await stat(build.deb)).size;
    const bundleBytes = (await stat(build.bundle!)).size;

    debian = await DebianRoot.create();
    await debian.put(`/root/${basename(build.bundle!)}`, await readFile(build.bundle!));
    const installStarted = performance.now();
    const install = await debian.run(`cd /root && tar -xzf ${basename(build.bundle!)} && cd ${basename(build.bundle!, '.tar.gz')} && ./install.sh`, { timeoutMs: 600_000 });
    const installSeconds = (performance.now() - installStarted) / 1000;
    if (install.code !== 0) throw new Error(`install.sh failed:\n${install.stdout}${install.stderr}`);

    // A first start makes the backup host keys; what is timed is a school's every later start.
    await (await DaemonProcess.startIn(root, { readyTimeoutMs: 120_000 })).stop();
    const empty = await startToReady(root);
    await fill(root);
    const full = await startToReady(root);

    return (
      `package: .deb ${mb(debBytes)}, offline bundle ${mb(bundleBytes)}; install.sh ${installSeconds.toFixed(1)} s on a fresh Debian 12 with no network; ` +
      `start→READY=1, every plugin on: empty ratio ${(empty / GOAL_EMPTY_S).toFixed(2)} (ours ${empty.toFixed(2)} s, goal ${GOAL_EMPTY_S} s), ` +
      `${LAPTOPS} laptops ratio ${(full / GOAL_FULL_S).toFixed(2)} (ours ${full.toFixed(2)} s, goal ${GOAL_FULL_S} s)`
    );
  } finally {
    await debian?.dispose();
    await rm(root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}
