/**
 * Stores at deployment scale. The registry and the leases are laid out with N
 * laptops (a snapshot written directly, as a Mothership would hold them), then
 * the daemon starts on them and fresh laptops register (JSON and XML-RPC, 64 at
 * once); the rate at 100,000 and 500,000 is compared with the rate at 1,000.
 * With 500,000 held: a 500,000-lease bundle imported, activation answers/s
 * against a raw node:net server, start time and resident memory per laptop.
 * Then the crash campaign: SIGKILL at random moments under a write stream,
 * every acknowledged write looked for after each restart.
 *
 * `STORES_BENCH_SCALE=0.02` runs a small copy to check it works.
 */
import { spawn } from 'node:child_process';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Laptop, swarm } from 'sugaroid';
import { DAEMON_MAIN, DaemonProcess, makeRoot, runCommand, storedDocument } from '../harness/index.js';
import { cpuSeconds, report } from './load.js';
import { leaseLine, writeLeaseStore, writeStore } from './store-layout.js';

const SCALE = Number(process.env.STORES_BENCH_SCALE ?? 1);
const SIZES = [1000, 100_000, 500_000].map((n) => Math.max(100, Math.round(n * SCALE)));
const FRESH = Math.max(500, Math.round(5000 * Math.min(1, SCALE * 10)));
const KILLS = Math.max(5, Math.round(50 * Math.min(1, SCALE * 10)));
const SERVER_CPU = '1';
const CONFIG = '[plugins]\nregistry = on\nleases = on\n[registry]\nport = 0\n[leases]\nport = 0\nupload_limit = 1G\n';
// Closing a store waits for a compaction, which at half a million laptops takes seconds.
// (The harness's 2 s start timeout stays: opening a store is not held against a plugin.)
const DROP_INS = { '50-scale.conf': '[core]\nstop_timeout = 60s\n' };

const serialOf = (i: number) => `SHF${i.toString(16).toUpperCase().padStart(8, '0')}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function layOut(count: number, pubkey: string): Promise<string> {
  const root = await makeRoot({ config: CONFIG, dropIns: DROP_INS });
  const now = new Date().toISOString();
  await writeStore(root, 'registry', 'laptops', count, (i) => {
    const serial = serialOf(i);
    return [serial, { serial, uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, nick: `laptop ${i}`, pubkey, keyType: 'ssh-ed25519', classGroup: null, firstRegistered: now, lastRegistered: now }];
  }, {});
  await writeLeaseStore(root, count, serialOf);
  return root;
}

function rssBytes(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((text) => Number(/^VmRSS:\s+(\d+) kB/m.exec(text)![1]) * 1024);
}
function peakRssBytes(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((text) => Number(/^VmHWM:\s+(\d+) kB/m.exec(text)![1]) * 1024);
}

/** Registrations/s, and the daemon's CPU time per registration (what the store's size could change). */
async function registrationsPerSecond(daemon: DaemonProcess, protocol: 'json' | 'xmlrpc', laptops: Laptop[]): Promise<{ rate: number; cpuMs: number }> {
  const status = await daemon.status();
  const url = protocol === 'json' ? daemon.url : `http://127.0.0.1:${daemon.plugin(status, 'registry')!.listeners.find((l) => l.name === 'registration')!.port}/`;
  const cpuBefore = cpuSeconds(daemon.child.pid!);
  const result = await swarm(laptops.length, (i) => laptops[i]!.register(url, { protocol }).then((answer) => {
    if (answer.success !== 'OK') throw new Error(`registration answered ${answer.success}: ${answer.error}`);
  }), { concurrency: 64 });
  if (result.errors) throw new Error(`${protocol} registrations failed: ${JSON.stringify(result.firstErrors)}`);
  return { rate: laptops.length / (result.elapsedMs / 1000), cpuMs: ((cpuSeconds(daemon.child.pid!) - cpuBefore) * 1000) / laptops.length };
}

interface SizeResult {
  count: number;
  startMs: number;
  json: { rate: number; cpuMs: number };
  xmlrpc: { rate: number; cpuMs: number };
  rss: number;
}

async function atSize(count: number, pubkey: string): Promise<SizeResult & { daemon?: DaemonProcess }> {
  const root = await layOut(count, pubkey);
  const started = performance.now();
  const daemon = await DaemonProcess.startIn(root, { cpus: SERVER_CPU, readyTimeoutMs: 180_000 });
  // Ready means every plugin's store is open: status says running.
  const status = await daemon.status();
  if (daemon.plugin(status, 'registry')?.state !== 'running' || daemon.plugin(status, 'leases')?.state !== 'running') throw new Error(`plugins not running: ${JSON.stringify(status.plugins)}`);
  const startMs = performance.now() - started;
  const rss = await rssBytes(daemon.child.pid!);
  const fresh = (n = FRESH) => Array.from({ length: n }, () => Laptop.create());
  await registrationsPerSecond(daemon, 'json', fresh(200));
  const json = await registrationsPerSecond(daemon, 'json', fresh());
  const xmlrpc = await registrationsPerSecond(daemon, 'xmlrpc', fresh());
  return { count, startMs, json, xmlrpc, rss, daemon };
}

/** Import a bundle of `count` fresh leases as an admin does: `sugar-server leases import FILE`. */
async function importBundle(daemon: DaemonProcess, count: number): Promise<{ seconds: number; peakRss: number }> {
  const file = join(daemon.root, 'bundle.json');
  const handle = await open(file, 'w');
  await handle.write('[1,{');
  for (let first = 0; first < count; first += 10_000) {
    const parts: string[] = [];
    for (let i = first; i < Math.min(count, first + 10_000); i++) {
      const serial = `SHB${i.toString(16).toUpperCase().padStart(8, '0')}`;
      parts.push(`${JSON.stringify(serial)}:${JSON.stringify(leaseLine(serial))}`);
    }
    await handle.write(`${first ? ',' : ''}${parts.join(',')}`);
  }
  await handle.write('}]');
  await handle.close();
  const started = performance.now();
  const run = await runCommand(process.execPath, [DAEMON_MAIN, 'leases', 'import', file, '--json', '--root', daemon.root], { timeoutMs: 900_000 });
  if (run.code !== 0) throw new Error(`leases import exited ${run.code}: ${run.stderr.slice(0, 500)}`);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, peakRss: await peakRssBytes(daemon.child.pid!) };
}

async function activationRatio(daemon: DaemonProcess, held: number): Promise<string> {
  const status = await daemon.status();
  const port = daemon.plugin(status, 'leases')!.listeners.find((l) => l.name === 'activation')!.port;
  // 1,000 laptops spread over the whole store, each asking for its own lease.
  const laptops = Array.from({ length: 1000 }, (_, i) => Laptop.create({ serial: serialOf(Math.floor((i * held) / 1000)) }));
  const lease = leaseLine(laptops[0]!.serial);
  const leaseFile = join(daemon.root, 'lease.txt');
  await writeFile(leaseFile, lease);
  const raw = spawn('taskset', ['-c', SERVER_CPU, process.execPath, fileURLToPath(new URL('raw-activation-server.mjs', import.meta.url)), leaseFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const rawPort = Number(await new Promise<string>((resolve) => createInterface({ input: raw.stdout! }).once('line', resolve)));
    const round = async (target: number) => {
      // The raw server answers laptop 0's lease to all, so only ours is asked to find each laptop's own.
      const result = await swarm(laptops.length, (i) => laptops[target === port ? i : 0]!.activate('127.0.0.1', target).then((answer) => {
        if (answer.outcome !== 'lease') throw new Error(`activation answered ${answer.outcome}`);
      }));
      if (result.errors) throw new Error(`activation round failed: ${JSON.stringify(result.firstErrors)}`);
      return laptops.length / (result.elapsedMs / 1000);
    };
    await round(port);
    await round(rawPort);
    const ours: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 7; i++) {
      ours.push(await round(port));
      baseline.push(await round(rawPort));
    }
    return `${report('stores-activation', median(ours.map((o, i) => o / baseline[i]!)), median(ours), median(baseline), ' answers/s')} [${held} laptops' leases held, 1000 at once per round, median of 7 rounds]`;
  } finally {
    raw.kill();
  }
}

/** SIGKILL under a stream of registrations; every acknowledged one must be there after each kill. */
async function crashCampaign(pubkeyLaptops: Laptop[]): Promise<{ cycles: number; acknowledged: number; lost: number }> {
  const root = await makeRoot({ config: CONFIG, dropIns: DROP_INS });
  const acknowledged: string[] = [];
  let lost = 0;
  let next = 0;
  try {
    for (let cycle = 0; cycle < KILLS; cycle++) {
      const daemon = await DaemonProcess.startIn(root, { readyTimeoutMs: 60_000 });
      const killAfter = acknowledged.length + 10 + Math.floor(Math.random() * 150);
      let killed = false;
      const writer = async () => {
        while (!killed && next < pubkeyLaptops.length) {
          const laptop = pubkeyLaptops[next++]!;
          const answer = await laptop.register(daemon.url, { protocol: 'json' }).catch(() => undefined);
          if (answer?.success === 'OK') acknowledged.push(laptop.serial);
          if (acknowledged.length >= killAfter && !killed) {
            killed = true;
            daemon.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, writer));
      await daemon.waitForExit();
      const stored = (await storedDocument<{ laptops: Record<string, unknown> }>(root, 'registry')).laptops;
      lost += acknowledged.filter((serial) => !Object.hasOwn(stored, serial)).length;
    }
    return { cycles: KILLS, acknowledged: acknowledged.length, lost };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Progress on stderr: a run at full scale takes minutes. */
const progress = (text: string) => console.error(`  stores: ${text}`);

export async function benchStores(): Promise<string> {
  const pubkey = Laptop.create().identity.sshKey.publicBlob;
  const lines: string[] = [];
  const results: SizeResult[] = [];
  for (const count of SIZES) {
    progress(`laying out ${count} laptops and leases`);
    const { daemon, ...result } = await atSize(count, pubkey);
    results.push(result);
    progress(`at ${count}: started in ${Math.round(result.startMs)} ms, json ${Math.round(result.json.rate)}/s, xmlrpc ${Math.round(result.xmlrpc.rate)}/s`);
    try {
      if (count === SIZES[SIZES.length - 1]) {
        const imported = await importBundle(daemon!, count);
        progress(`imported ${count} leases in ${imported.seconds.toFixed(1)} s`);
        const asked = performance.now();
        await daemon!.json('/status', { signal: AbortSignal.timeout(300_000) });
        progress(`status answered ${Math.round(performance.now() - asked)} ms after the import`);
        for (const line of daemon!.logs.filter((l) => l.level >= 40).slice(-5)) progress(`daemon: ${line.msg}`);
        lines.push(`stores-import: ${count} leases in ${imported.seconds.toFixed(1)} s, peak RSS ${(imported.peakRss / 2 ** 20).toFixed(0)} MiB (with ${count} laptops and leases held)`);
        lines.push(await activationRatio(daemon!, count));
      }
    } finally {
      await daemon!.dispose();
    }
  }
  const base = results[0]!;
  for (const r of results) {
    // What each laptop adds: resident memory over the smallest size's, per extra laptop.
    const perLaptop = r === base ? '' : `; RSS ${Math.round((r.rss - base.rss) / (r.count - base.count))} B/laptop (laptop and lease held)`;
    lines.push(
      `stores-registrations at ${r.count}: json ${Math.round(r.json.rate)}/s (${(r.json.rate / base.json.rate).toFixed(2)} of the rate at ${base.count}; daemon CPU ${r.json.cpuMs.toFixed(2)} ms each), ` +
        `xmlrpc ${Math.round(r.xmlrpc.rate)}/s (${(r.xmlrpc.rate / base.xmlrpc.rate).toFixed(2)}; ${r.xmlrpc.cpuMs.toFixed(2)} ms each); start ${Math.round(r.startMs)} ms, RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB${perLaptop}`,
    );
  }
  const campaignLaptops = Array.from({ length: KILLS * 400 }, () => Laptop.create());
  progress(`crash campaign: ${KILLS} kills`);
  const campaign = await crashCampaign(campaignLaptops);
  lines.push(`stores-crash: ${campaign.cycles} SIGKILLs under registrations, ${campaign.acknowledged} acknowledged, ${campaign.lost} lost`);
  return lines.join('\n');
}
