/**
 * Snapshots off the school: the backup benchmark's kind of data (laptops'
 * Journals from sugaroid's generator), laid out as the backup plugin keeps
 * them, replicated by the daemon to Ceph's RADOS Gateway with encryption on;
 * then `restic backup` of the same folders into another bucket of the same
 * gateway, as an admin would run it beside the server (restic always
 * encrypts). Then 1 % of each laptop's files change in a new snapshot made as
 * the plugin makes them (a hard-link copy, changed files replaced), and both
 * run again. The daemon and restic share CPU 1; the gateway runs where the
 * kernel puts it. Bytes sent are what each bucket grew by. The daemon starts
 * before the data is written, so its timed pass is not one it began at start.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { generateJournal } from 'sugaroid';
import { BASE_CONFIG, DaemonProcess, filesUnder, makeRoot } from '../harness/index.js';
import { Gateway } from '../integration/s3/gateway.js';

const run = promisify(execFile);

/**
 * 20 laptops of 200 MiB as in the backup benchmark (4 GB a run, about five
 * minutes here); REPLICATE_BENCH_MB=20 runs a tenth of that, to try a change.
 */
const LAPTOPS = 20;
const JOURNAL_MB = Number(process.env.REPLICATE_BENCH_MB ?? 200);
if (!Number.isFinite(JOURNAL_MB) || JOURNAL_MB <= 0) throw new Error(`REPLICATE_BENCH_MB must be a positive number of MiB, got "${process.env.REPLICATE_BENCH_MB}"`);
const JOURNAL_BYTES = Math.round(JOURNAL_MB * 1024 * 1024);
const ENTRIES = 100;
const LARGE_ENTRIES = 2;
const SERVER_CPU = '1';
const MB = 1e6;
const FIRST = 'datastore-2026-03-01_20:15';
const SECOND = 'datastore-2026-03-02_20:15';

interface Run {
  readonly seconds: number;
  readonly cpu: number;
  /** Bytes the bucket grew by. */
  readonly sent: number;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[11]! + fields[12]!) / 100;
}

/**
 * The bytes a bucket holds, once its listing has settled: the gateway updates
 * a bucket's index after it has answered a PUT, so a listing made right after
 * the last upload can leave out the newest objects.
 */
async function bucketBytes(gateway: Gateway, bucket: string): Promise<number> {
  let last = await listedBytes(gateway, bucket);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await listedBytes(gateway, bucket);
    if (now === last) return now;
    last = now;
  }
}

async function listedBytes(gateway: Gateway, bucket: string): Promise<number> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let total = 0;
  let token: string | undefined;
  do {
    const page = await gateway.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const item of page.Contents ?? []) total += item.Size ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return total;
}

/** One pass of the daemon's replication, started through its admin API. */
async function runOurs(daemon: DaemonProcess, token: string, gateway: Gateway): Promise<Run> {
  const before = await bucketBytes(gateway, 'bench-ours');
  const cpu = cpuSeconds(daemon.child.pid!);
  const started = performance.now();
  const response = await daemon.fetch('/backup/v1/replication/run', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(290_000) });
  const status = (await response.json()) as { state: string; lastError: unknown; backlog: { snapshots: number } };
  const seconds = (performance.now() - started) / 1000;
  if (status.state !== 'idle' || status.backlog.snapshots !== 0) throw new Error(`replication did not finish: ${JSON.stringify(status)}`);
  return { seconds, cpu: cpuSeconds(daemon.child.pid!) - cpu, sent: (await bucketBytes(gateway, 'bench-ours')) - before };
}

/** Wait until the pass the daemon runs at start has ended. */
async function startPassDone(daemon: DaemonProcess, token: string): Promise<void> {
  for (;;) {
    const response = await daemon.fetch('/backup/v1/replication', { headers: { Authorization: `Bearer ${token}` } });
    const status = (await response.json()) as { state: string; lastPass: unknown };
    if (status.lastPass && status.state !== 'replicating') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `restic backup` of the laptops' folders on the server's CPU; CPU from the shell that waited for it. */
async function runRestic(users: string, env: NodeJS.ProcessEnv, gateway: Gateway): Promise<Run> {
  const before = await bucketBytes(gateway, 'bench-restic');
  const started = performance.now();
  const { stdout } = await run('taskset', ['-c', SERVER_CPU, 'sh', '-c', 'restic backup --quiet "$1" >&2 || exit 1; cat /proc/$$/stat', 'sh', users], { env, maxBuffer: 1 << 20 });
  const seconds = (performance.now() - started) / 1000;
  const fields = stdout.slice(stdout.lastIndexOf(')') + 2).split(' ').map(Number);
  return { seconds, cpu: (fields[13]! + fields[14]!) / 100, sent: (await bucketBytes(gateway, 'bench-restic')) - before };
}


/** A new snapshot as the plugin makes one: a hard-link copy, then `fraction` of the files replaced (new inodes, as rsync writes them). */
async function nextSnapshot(laptop: string, fraction: number): Promise<{ files: number; bytes: number }> {
  await run('cp', ['-al', '-T', join(laptop, FIRST), join(laptop, SECOND)]);
  const files = await filesUnder(join(laptop, SECOND));
  const changed = files.filter((_, i) => i % Math.round(1 / fraction) === 0);
  let bytes = 0;
  for (const file of changed) {
    const path = join(laptop, SECOND, file);
    const { size } = await stat(path);
    await unlink(path);
    await writeFile(path, randomBytes(size));
    bytes += size;
  }
  return { files: changed.length, bytes };
}

export async function benchReplicate(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'bench-replicate-'));
  const gateway = await Gateway.start({ store: 'bluestore' });
  let daemon: DaemonProcess | undefined;
  try {
    await gateway.createBucket('bench-ours');
    await gateway.createBucket('bench-restic');
    const root = await makeRoot({
      baseConfig: BASE_CONFIG.replace(/^start_timeout = .*$/m, 'start_timeout = 15s'),
      config: '[plugins]\nregistry = on\nbackup = on\n[registry]\nport = 0\naddress = 127.0.0.1\n[backup]\nssh_port = 0\nmax_load = 1000\n' +
        `replicate_to = s3://bench-ours/school\ns3_endpoint = ${gateway.endpoint}\ns3_credentials = ${await gateway.credentialsFile(work)}\nreplicate_encryption = on\n`,
    });
    const users = join(root, 'var/lib/sugar-server/backup/users');
    const serials = Array.from({ length: LAPTOPS }, (_, i) => `SHC${String(i).padStart(8, '0')}`);
    // Started before the laptops' folders are written: the pass a daemon runs at start finds nothing, and the timed pass is all of the work.
    daemon = await DaemonProcess.startIn(root, { cpus: SERVER_CPU, ...(process.env.REPLICATE_BENCH_PROF ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.REPLICATE_BENCH_PROF}`] } : {}) });
    const token = (await readFile(join(root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    await startPassDone(daemon, token);
    let total = 0;
    let files = 0;
    for (const serial of serials) {
      const figures = await generateJournal(join(users, serial, FIRST), { bytes: JOURNAL_BYTES, entries: ENTRIES, largeEntries: LARGE_ENTRIES });
      total += figures.bytes;
      files += figures.files;
    }
    await run('sync');

    const oursFull = await runOurs(daemon, token, gateway);

    const resticEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: gateway.accessKeyId,
      AWS_SECRET_ACCESS_KEY: gateway.secretAccessKey,
      RESTIC_REPOSITORY: `s3:${gateway.endpoint}/bench-restic`,
      RESTIC_PASSWORD: 'bench',
      RESTIC_CACHE_DIR: join(work, 'restic-cache'),
    };
    await run('restic', ['init', '--quiet'], { env: resticEnv });
    await run('sync');
    const resticFull = await runRestic(users, resticEnv, gateway);

    let changedFiles = 0;
    let changedBytes = 0;
    for (const serial of serials) {
      const change = await nextSnapshot(join(users, serial), 0.01);
      changedFiles += change.files;
      changedBytes += change.bytes;
    }
    await run('sync');
    const oursIncremental = await runOurs(daemon, token, gateway);
    await run('sync');
    const resticIncremental = await runRestic(users, resticEnv, gateway);

    const rate = (r: Run) => total / MB / r.seconds;
    const line = (r: Run) => `${r.seconds.toFixed(1)} s, ${(r.sent / MB).toFixed(1)} MB sent, server CPU ${r.cpu.toFixed(1)} s`;
    return [
      `replicate: ratio ${(rate(oursFull) / rate(resticFull)).toFixed(2)} (ours ${rate(oursFull).toFixed(1)} MB/s, restic ${rate(resticFull).toFixed(1)} MB/s) ` +
        `[${LAPTOPS} laptops' snapshots, ${(total / LAPTOPS / MB).toFixed(1)} MB each${JOURNAL_MB < 200 ? " (scaled down from the backup bench's 200 MB)" : ''}, ${files} files, ${(total / MB).toFixed(0)} MB in all, ` +
        `to Ceph's RADOS Gateway (BlueStore) on loopback, both encrypted; ours: ${line(oursFull)}; restic ${await resticVersion()} backup: ${line(resticFull)}; ` +
        `server CPU ratio (restic / ours) ${(resticFull.cpu / oursFull.cpu).toFixed(2)}]`,
      `replicate incremental: a new snapshot per laptop with 1 % of its files replaced (${changedFiles} files, ${(changedBytes / MB).toFixed(1)} MB in all): ` +
        `ours ${line(oursIncremental)}; restic ${line(resticIncremental)}`,
    ].join('\n');
  } finally {
    // SIGTERM first: a CPU profile (REPLICATE_BENCH_PROF) is written only by a daemon that exits of its own accord.
    await daemon?.stop();
    await daemon?.dispose();
    await gateway.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function resticVersion(): Promise<string> {
  const { stdout } = await run('restic', ['version']);
  return stdout.split(' ')[1] ?? '?';
}
