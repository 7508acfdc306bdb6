/**
 * 20 laptops back up 200 MB Journals at the same moment, each running
 * ds-backup's whole sequence with the real ssh and rsync (availability check,
 * the Journal transfer with ds-backup's options, the completion copy) against
 * the daemon; then the same data with the same rsync options over the
 * machine's own OpenSSH sshd into plain folders, as the baseline. Then 1 % of
 * the Journal's files change and both run again. The servers (the daemon with
 * its rsyncs, sshd with its sessions) share CPU 1; `npm run bench` keeps the
 * clients on CPU 0.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaptopSummary } from 'sugar-server-backup';
import { changeJournal, DS_BACKUP_RSYNC_OPTIONS, generateJournal, Laptop, swarm, transferStats, type BackupResult, type SwarmReport } from 'sugaroid';
import { DaemonProcess } from '../harness/index.js';
import { startBaselineSshd, type BaselineSshd } from './backup-sshd.js';

const LAPTOPS = 20;
const JOURNAL_BYTES = 200 * 1024 * 1024;
const ENTRIES = 1000;
const LARGE_ENTRIES = 4;
const SERVER_CPU = '1';
const MB = 1e6;

const CONFIG = '[plugins]\nregistry = on\nbackup = on\n[registry]\nport = 0\naddress = 127.0.0.1\n[backup]\nssh_port = 0\nmax_load = 1000\nmax_clients = 1000\n';

interface Run {
  readonly seconds: number;
  /** CPU seconds the server side spent: the daemon or sshd itself, and the processes under it (rsyncs, sshd sessions, snapshot tools). */
  readonly serverCpu: { readonly self: number; readonly children: number };
  /** Bytes rsync counted on the wire (sent + received), all laptops. */
  readonly moved: number;
}

function failed(report: SwarmReport<unknown>, what: string): void {
  if (report.errors) throw new Error(`${what}: ${report.errors} failed: ${JSON.stringify(report.firstErrors)}`);
}

/**
 * CPU seconds of a process itself and of the children it has waited for (/proc
 * `utime stime` and `cutime cstime`): the daemon's rsyncs, sshd's sessions and
 * the rsyncs under them, once they have ended.
 */
function cpuSeconds(pid: number): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { self: (fields[11]! + fields[12]!) / 100, children: (fields[13]! + fields[14]!) / 100 };
}

function cpuSince(pid: number, before: { self: number; children: number }): { self: number; children: number } {
  const now = cpuSeconds(pid);
  return { self: now.self - before.self, children: now.children - before.children };
}

/** Every laptop's ds-backup at once, until every snapshot is made. */
async function runOurs(daemon: DaemonProcess, token: string, laptops: readonly Laptop[], journal: string, ports: { httpPort: number; sshPort: number }): Promise<Run & { snapshotSeconds: number }> {
  const cpu = cpuSeconds(daemon.child.pid!);
  const started = Date.now();
  const report = await swarm(laptops.length, (i) => laptops[i]!.backup('127.0.0.1', { ...ports, journal, stats: true }));
  failed(report, 'ds-backup against the daemon');
  const snapshotMs = await snapshotsDone(daemon, token, laptops.map((l) => l.serial), started);
  const moved = (report.results as BackupResult[]).flatMap((r) => r.transfers).reduce((sum, t) => sum + (t.sent ?? 0) + (t.received ?? 0), 0);
  return { seconds: report.elapsedMs / 1000, serverCpu: cpuSince(daemon.child.pid!, cpu), moved, snapshotSeconds: snapshotMs / 1000 };
}

/** The same rsync (ds-backup's options) over sshd, one folder per laptop. */
async function runBaseline(sshd: BaselineSshd, journal: string, targets: readonly string[]): Promise<Run> {
  const cpu = cpuSeconds(sshd.pid);
  const ssh = `ssh -F /dev/null -o "PasswordAuthentication no" -o "StrictHostKeyChecking no" -o "UserKnownHostsFile /dev/null" -o "LogLevel ERROR" -i ${sshd.clientKey} -l ${sshd.user} -p ${sshd.port}`;
  const report = await swarm(targets.length, (i) => rsync([...DS_BACKUP_RSYNC_OPTIONS, '--stats', '-e', ssh, `${journal}/`, `127.0.0.1:${targets[i]}`]));
  failed(report, 'rsync over sshd');
  return { seconds: report.elapsedMs / 1000, serverCpu: cpuSince(sshd.pid, cpu), moved: (report.results as number[]).reduce((a, b) => a + b, 0) };
}

/** Run rsync; resolves with the bytes it moved. */
function rsync(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const stats = transferStats(out);
      if (code !== 0 || !stats) reject(new Error(`rsync exited with ${code}: ${err.trim()}`));
      else resolve(stats.sent + stats.received);
    });
  });
}

/** Snapshots are made after each completion copy: wait until every laptop has a backup newer than `since`. */
async function snapshotsDone(daemon: DaemonProcess, token: string, serials: readonly string[], since: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { laptops } = (await (await daemon.fetch('/backup/v1/laptops', { headers: { Authorization: `Bearer ${token}` } })).json()) as { laptops: LaptopSummary[] };
    const done = laptops.filter((l) => serials.includes(l.serial) && l.lastBackup !== null && Date.parse(l.lastBackup) >= since).length;
    if (done === serials.length) return Date.now() - started;
    if (Date.now() - started > 120_000) throw new Error(`only ${done} of ${serials.length} snapshots made`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const rate = (bytes: number, run: Run) => bytes / MB / run.seconds;

/** Write out what the last run left in the page cache, so each run starts with the disk idle. */
function settleDisk(): Promise<void> {
  return new Promise((resolve, reject) => spawn('sync', [], { stdio: 'ignore' }).on('close', () => resolve()).on('error', reject));
}

export async function benchBackup(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'bench-backup-'));
  let daemon: DaemonProcess | undefined;
  let sshd: BaselineSshd | undefined;
  try {
    const journal = join(work, 'journal');
    const figures = await generateJournal(journal, { bytes: JOURNAL_BYTES, entries: ENTRIES, largeEntries: LARGE_ENTRIES });
    const total = figures.bytes * LAPTOPS;

    daemon = await DaemonProcess.start({ cpus: SERVER_CPU, config: CONFIG });
    const status = await daemon.status();
    const sshPort = daemon.plugin(status, 'backup')!.listeners.find((l) => l.name === 'ssh')!.port;
    const registration = `http://127.0.0.1:${daemon.plugin(status, 'registry')!.listeners.find((l) => l.name === 'registration')!.port}/`;
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const ports = { httpPort: Number(new URL(daemon.url).port), sshPort };
    const laptops = Array.from({ length: LAPTOPS }, () => Laptop.create());
    for (const laptop of laptops) {
      const answer = await laptop.register(registration);
      if (answer.success !== 'OK') throw new Error(`registration refused: ${answer.error}`);
    }

    sshd = await startBaselineSshd(join(work, 'sshd'), SERVER_CPU);
    const targets = Array.from({ length: LAPTOPS }, (_, i) => join(work, 'baseline', String(i), 'datastore-current'));
    for (const target of targets) await mkdir(target, { recursive: true });

    await settleDisk();
    const oursFull = await runOurs(daemon, token, laptops, journal, ports);
    await settleDisk();
    const baselineFull = await runBaseline(sshd, journal, targets);

    const change = await changeJournal(journal, { fraction: 0.01 });
    await settleDisk();
    const oursIncremental = await runOurs(daemon, token, laptops, journal, ports);
    await settleDisk();
    const baselineIncremental = await runBaseline(sshd, journal, targets);

    const ours = rate(total, oursFull);
    const baseline = rate(total, baselineFull);
    const cpu = (run: Run) => run.serverCpu.self + run.serverCpu.children;
    const cpuRatio = cpu(baselineFull) / cpu(oursFull);
    const split = (run: Run) => `${cpu(run).toFixed(1)} s (${run.serverCpu.self.toFixed(1)} s itself, ${run.serverCpu.children.toFixed(1)} s under it)`;
    return [
      `backup: ratio ${(ours / baseline).toFixed(2)} (ours ${ours.toFixed(1)} MB/s, baseline ${baseline.toFixed(1)} MB/s) ` +
        `[${LAPTOPS} laptops at once, each ${(figures.bytes / MB).toFixed(1)} MB in ${figures.files} files (${ENTRIES} Journal entries, ${LARGE_ENTRIES} of them large); ` +
        `ours: ds-backup's availability check, rsync -z -rlt --partial --delete --timeout=160 over the daemon's SSH endpoint and the completion copy in ${oursFull.seconds.toFixed(1)} s, ` +
        `all snapshots made ${oursFull.snapshotSeconds.toFixed(1)} s after the last completion; baseline: the same rsync over OpenSSH sshd into plain folders in ${baselineFull.seconds.toFixed(1)} s; ` +
        `server CPU: ours ${split(oursFull)}, baseline ${split(baselineFull)}, per CPU-second ratio ${cpuRatio.toFixed(2)}]`,
      `backup incremental: after changing 1 % of the files (${change.changed.length} of ${figures.files}, ${(change.changedBytes / MB).toFixed(1)} MB) on every laptop: ` +
        `ours ${oursIncremental.seconds.toFixed(1)} s, ${(oursIncremental.moved / MB).toFixed(1)} MB moved, server CPU ${split(oursIncremental)}; ` +
        `baseline ${baselineIncremental.seconds.toFixed(1)} s, ${(baselineIncremental.moved / MB).toFixed(1)} MB moved, server CPU ${split(baselineIncremental)} [${LAPTOPS} laptops at once]`,
    ].join('\n');
  } finally {
    sshd?.stop();
    await daemon?.dispose();
    await rm(work, { recursive: true, force: true });
  }
}
