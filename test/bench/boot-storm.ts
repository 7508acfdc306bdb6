/**
 * 8 o'clock: a thousand laptops boot at once. Each asks port 191 for its lease
 * (checking it against its serial, uuid and the deployment key, as the XO does)
 * and registers over XML-RPC on the registration port, all at the same moment.
 * Then activation answers/s against a raw node:net server answering a fixed
 * lease, both pinned to the same CPU, alternating rounds.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Laptop, swarm, type SwarmReport } from 'sugaroid';
import { DaemonProcess } from '../harness/index.js';
import { cpuSeconds, report } from './load.js';

const LAPTOPS = 1000;
const ROUNDS = 7;
const SERVER_CPU = '1';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function summary(name: string, result: SwarmReport<unknown>): string {
  const errors = Object.entries(result.errorsByCode).map(([code, n]) => `${code} ×${n} (${result.firstErrors[code]})`);
  return (
    `${name}: ${result.count} laptops in ${Math.round(result.elapsedMs)} ms; ` +
    `p50 ${result.latencyMs.p50.toFixed(1)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms; errors ${result.errors}` +
    (errors.length ? ` [${errors.join('; ')}]` : '')
  );
}

export async function benchBootStorm(): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const daemon = await DaemonProcess.start({
    cpus: SERVER_CPU,
    config: '[plugins]\nregistry = on\nleases = on\n[registry]\nport = 0\n[leases]\nport = 0\n',
  });
  const raw = { child: undefined as ReturnType<typeof spawn> | undefined };
  try {
    // Keys go into the daemon's /etc, then a reload makes the plugin verify and sign with them.
    const etc = join(daemon.root, 'etc/sugar-server');
    await writeFile(join(etc, 'leases-public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(etc, 'leases-private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(join(etc, 'conf.d/50-keys.conf'), `[leases]\npublic_key = ${etc}/leases-public.pem\nsigning_key = ${etc}/leases-private.pem\n`);
    const reloaded = await daemon.reload();
    if (reloaded.server.config.lastError) throw new Error(reloaded.server.config.lastError);

    const status = await daemon.status();
    const leasePort = daemon.plugin(status, 'leases')!.listeners.find((l) => l.name === 'activation')!.port;
    const registryUrl = `http://127.0.0.1:${daemon.plugin(status, 'registry')!.listeners.find((l) => l.name === 'registration')!.port}/`;
    const token = (await readFile(join(etc, 'admin.token'), 'utf8')).trim();

    const laptops = Array.from({ length: LAPTOPS }, () => Laptop.create());
    const signing = await swarm(
      LAPTOPS,
      async (i) => {
        const response = await daemon.fetch('/leases/v1/sign', {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ serial: laptops[i]!.serial, uuid: laptops[i]!.identity.uuid, expires: '+30d' }),
        });
        if (!response.ok) throw new Error(`signing answered ${response.status}: ${await response.text()}`);
      },
      { concurrency: 32 },
    );
    if (signing.errors) throw new Error(`leases could not be signed: ${JSON.stringify(signing.firstErrors)}`);

    const cpuBefore = cpuSeconds(daemon.child.pid!);
    const storm = await swarm(LAPTOPS, async (i) => {
      const laptop = laptops[i]!;
      const [activation, registration] = await Promise.all([
        laptop.activate('127.0.0.1', leasePort, { publicKey }),
        laptop.register(registryUrl),
      ]);
      if (activation.outcome !== 'lease') throw new Error(`activation answered ${activation.outcome}`);
      if (registration.success !== 'OK') throw new Error(`registration answered ${registration.success}: ${registration.error}`);
    });
    // One client process plays all thousand laptops; the daemon's own share of the storm is its CPU time.
    const stormCpuMs = (cpuSeconds(daemon.child.pid!) - cpuBefore) * 1000;
    const registered = await daemon.json<{ total: number }>('/registry/v1/laptops?limit=1', { headers: { Authorization: `Bearer ${token}` } });

    // The baseline answers laptop 0's lease to everyone, so both servers are asked by the same laptop.
    const lease = (await laptops[0]!.activate('127.0.0.1', leasePort)).lease!;
    const leaseFile = join(daemon.root, 'lease.txt');
    await writeFile(leaseFile, lease);
    raw.child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, fileURLToPath(new URL('raw-activation-server.mjs', import.meta.url)), leaseFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rawPort = Number(await new Promise<string>((resolve) => createInterface({ input: raw.child!.stdout! }).once('line', resolve)));

    const answersPerSecond = async (port: number) => {
      const round = await swarm(LAPTOPS, () => laptops[0]!.activate('127.0.0.1', port));
      if (round.errors) throw new Error(`activation round failed: ${JSON.stringify(round.firstErrors)}`);
      return LAPTOPS / (round.elapsedMs / 1000);
    };
    await answersPerSecond(leasePort);
    await answersPerSecond(rawPort);
    const ours: number[] = [];
    const baseline: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await answersPerSecond(leasePort));
      baseline.push(await answersPerSecond(rawPort));
    }
    const ratio = median(ours.map((o, i) => o / baseline[i]!));
    return [
      `${summary('boot-storm', storm)} (activate with signature check + XML-RPC register per laptop; ${registered.total} registered on disk; daemon CPU ${Math.round(stormCpuMs)} ms for the whole storm)`,
      `${report('activation', ratio, median(ours), median(baseline), ' answers/s')} [${LAPTOPS} laptops at once per round, median of ${ROUNDS} rounds]`,
    ].join('\n');
  } finally {
    raw.child?.kill();
    await daemon.dispose();
  }
}
