/**
 * Laptops of a booted test system, run on the host in that system's network
 * namespace (BootedDebian.inNetwork), where the daemon listens on its real
 * ports: 80 (HTTP), 8080 (registration), 191 (activation), 22 (backup).
 *
 *   fill   register, activate and back up each laptop (JSON job on stdin)
 *   check  what each laptop finds afterwards: backups open, its record, its lease, its snapshots
 *   poll   until stdin closes, one JSON line per round: the backup availability
 *          check a laptop makes, /status, and a lease on port 191
 */
import { createPublicKey } from 'node:crypto';
import { Laptop, generateJournal, type Identity } from 'sugaroid';

interface Job {
  token: string;
  publicKey: string;
  laptops: Identity[];
  leases?: string[];
  journals?: string[];
}

const HTTP = 'http://127.0.0.1';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

const admin = (job: Job, path: string, init: RequestInit = {}) =>
  fetch(`${HTTP}${path}`, { ...init, headers: { Authorization: `Bearer ${job.token}` } });

async function fill(job: Job) {
  const upload = await admin(job, '/leases/v1/bundles', { method: 'POST', body: job.leases!.join('') });
  if (upload.status !== 200) throw new Error(`lease upload: ${upload.status} ${await upload.text()}`);
  const done = [];
  for (const [i, identity] of job.laptops.entries()) {
    const laptop = new Laptop(identity);
    const registered = await laptop.register(`${HTTP}:8080/`);
    const activation = await laptop.activate('127.0.0.1', 191, { publicKey: createPublicKey(job.publicKey) });
    await generateJournal(job.journals![i]!, { bytes: 64 * 1024, entries: 4 });
    await laptop.backup('127.0.0.1', { httpPort: 80, sshPort: 22, journal: job.journals![i]!, backoffBaseMs: 50 });
    done.push({ serial: laptop.serial, registered: registered.success, activation: activation.outcome });
  }
  return done;
}

async function check(job: Job) {
  const found = [];
  for (const identity of job.laptops) {
    const laptop = new Laptop(identity);
    const available = (await fetch(`${HTTP}/backup/1/available/${laptop.serial}`)).status;
    const record = await admin(job, `/registry/v1/laptops/${laptop.serial}`);
    const activation = await laptop.activate('127.0.0.1', 191, { publicKey: createPublicKey(job.publicKey) });
    const snapshots = ((await (await admin(job, `/backup/v1/laptops/${laptop.serial}/snapshots`)).json()) as { snapshots: unknown[] }).snapshots;
    found.push({ serial: laptop.serial, available, record: record.status, activation: activation.outcome, snapshots });
  }
  return found;
}

/** What one round saw; a surface that did not answer is the error's code (ECONNREFUSED while it restarts). */
async function sample(job: Job, laptop: Laptop) {
  const failed = (error: unknown) => ((error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? String(error));
  const at = Date.now();
  let available: number | string;
  let retryAfter: string | null = null;
  let code: string | undefined;
  try {
    const answer = await fetch(`${HTTP}/backup/1/available/${laptop.serial}`);
    available = answer.status;
    retryAfter = answer.headers.get('retry-after');
    if (answer.status === 503) code = ((await answer.json()) as { error?: { code?: string } }).error?.code;
    else await answer.arrayBuffer();
  } catch (error) {
    available = failed(error);
  }
  let version: string | undefined;
  let maintenance: boolean | undefined;
  try {
    const status = (await (await fetch(`${HTTP}/status`)).json()) as { server: { version: string; maintenance: { on: boolean } } };
    version = status.server.version;
    maintenance = status.server.maintenance.on;
  } catch {
    // Between the old daemon and the new one nothing answers; `available` says so.
  }
  let lease: string;
  try {
    lease = (await laptop.activate('127.0.0.1', 191, { publicKey: createPublicKey(job.publicKey) })).outcome;
  } catch (error) {
    lease = failed(error);
  }
  return { at, available, retryAfter, code, version, maintenance, lease };
}

async function poll(job: Job) {
  const laptop = new Laptop(job.laptops[0]!);
  let open = true;
  process.stdin.on('end', () => (open = false)).resume();
  while (open) {
    process.stdout.write(`${JSON.stringify(await sample(job, laptop))}\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const [mode, jobText] = [process.argv[2], process.argv[3]];
const job = JSON.parse(jobText ?? (await readStdin())) as Job;
if (mode === 'poll') await poll(job);
else process.stdout.write(JSON.stringify(mode === 'fill' ? await fill(job) : await check(job)));
