/**
 * Journal backup as the XO's ds-backup does it (PROTOCOLS.md section 2,
 * checked against OLPC ds-backup `client/ds-backup.py`): ask
 * `GET http://<host>/backup/1/available/<SN>`; on 503 wait 60·2ⁿ s and ask
 * again, for n = 1..6; on 200 run `rsync -z -rlt --partial --delete
 * --timeout=160` over ssh for the datastore (to `datastore-current`), the
 * power logs (`power-logs`) and the Documents folder (`documents`), each
 * source with a trailing slash; then copy an empty file to
 * `/var/lib/ds-backup/completion/<SN>` to say "done".
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SugaroidErrors } from '../errors.js';
import type { Identity } from '../identity.js';
import { requestText } from './http.js';
import { openSshSession, remote, runRsync, transferStats, type SshSettings } from './rsync.js';

/** ds-backup's options for the three transfers. */
export const DS_BACKUP_RSYNC_OPTIONS: readonly string[] = ['-z', '-rlt', '--partial', '--delete', '--timeout=160'];
/** ds-backup's options for the completion file; `-T /tmp` keeps the temporary file out of the watched folder. */
export const COMPLETION_RSYNC_OPTIONS: readonly string[] = ['-z', '-rlt', '--timeout', '10', '-T', '/tmp'];
export const COMPLETION_FOLDER = '/var/lib/ds-backup/completion/';
/** How many times ds-backup asks before giving up (`range(1, 7)`). */
export const AVAILABILITY_ATTEMPTS = 6;
/** ds-backup waits 60·2ⁿ seconds after the n-th "busy". */
export const BACKOFF_BASE_MS = 60_000;

export interface BackupOptions extends SshSettings {
  /** The laptop's datastore (`~/.sugar/default/datastore`). */
  readonly journal: string;
  /** `~/power-logs`; skipped when not given. */
  readonly powerLogs?: string;
  /** The Documents folder; skipped when not given (ds-backup skips it when absent). */
  readonly documents?: string;
  /** The HTTP port of the availability check; 80 unless given. */
  readonly httpPort?: number;
  /** The back-off unit; ds-backup's 60 s unless given (tests use milliseconds). */
  readonly backoffBaseMs?: number;
  /** Timeout of one availability request; 10 s unless given. */
  readonly timeoutMs?: number;
  /** Add `--stats` to each transfer to count the bytes moved (ds-backup does not). */
  readonly stats?: boolean;
  /** Run rsync and its ssh at this niceness (a fleet simulated beside the server it tests); as started unless given. */
  readonly nice?: number;
}

/** One rsync run of a backup. */
export interface TransferResult {
  readonly source: string;
  readonly destination: string;
  readonly elapsedMs: number;
  /** From `--stats`, when asked for. */
  readonly sent?: number;
  readonly received?: number;
}

export interface BackupResult {
  readonly serial: string;
  /** Availability requests made (1 when the first said go). */
  readonly checks: number;
  readonly transfers: readonly TransferResult[];
  readonly elapsedMs: number;
}

/** `http://host:port/backup/1/available/<SN>`. */
export function availabilityUrl(host: string, port: number, serial: string): URL {
  const name = host.includes(':') ? `[${host}]` : host;
  return new URL(`http://${name}:${port}/backup/1/available/${encodeURIComponent(serial)}`);
}

/** Ask until told to go, backing off on 503 as ds-backup does; resolves with the number of requests made. */
export async function waitForGo(host: string, serial: string, options: Pick<BackupOptions, 'httpPort' | 'backoffBaseMs' | 'timeoutMs'>): Promise<number> {
  const url = availabilityUrl(host, options.httpPort ?? 80, serial);
  const base = options.backoffBaseMs ?? BACKOFF_BASE_MS;
  for (let n = 1; n <= AVAILABILITY_ATTEMPTS; n++) {
    const answer = await requestText(url, {}, { timeoutMs: options.timeoutMs ?? 10_000 });
    if (answer.status === 200) return n;
    if (answer.status === 403) throw SugaroidErrors.REFUSED(`backup of ${serial}`, 'the server answered 403: this laptop is not registered there');
    if (answer.status !== 503) throw SugaroidErrors.HTTP('GET', url.href, answer.status);
    if (n < AVAILABILITY_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, base * 2 ** n));
  }
  throw SugaroidErrors.BUSY(url.href, AVAILABILITY_ATTEMPTS);
}

/** Back up this laptop's Journal to `host` as ds-backup does. */
export async function backup(host: string, identity: Identity, options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const checks = await waitForGo(host, identity.serial, options);
  const ssh = await openSshSession(identity, options);
  try {
    const sources: [string, string][] = [[options.journal, 'datastore-current']];
    if (options.powerLogs) sources.push([options.powerLogs, 'power-logs']);
    if (options.documents) sources.push([options.documents, 'documents']);
    const transfers: TransferResult[] = [];
    const stats = options.stats ? ['--stats'] : [];
    for (const [source, destination] of sources) {
      // The trailing slash copies the folder's contents, not the folder (ds-backup adds it too).
      const from = source.endsWith('/') ? source : `${source}/`;
      const run = await runRsync([...DS_BACKUP_RSYNC_OPTIONS, ...stats, '-e', ssh.command, from, remote(host, destination)], options);
      if (run.code !== 0) throw SugaroidErrors.TRANSFER(`backup of ${source} to ${destination}`, run.code, run.stderr);
      transfers.push({ source, destination, elapsedMs: run.elapsedMs, ...(options.stats ? transferStats(run.stdout) : {}) });
    }
    const done = join(ssh.dir, 'done');
    await writeFile(done, '');
    const completion = COMPLETION_FOLDER + identity.serial;
    const run = await runRsync([...COMPLETION_RSYNC_OPTIONS, ...stats, '-e', ssh.command, done, remote(host, completion)], options);
    if (run.code !== 0) throw SugaroidErrors.TRANSFER(`completion file ${completion}`, run.code, run.stderr);
    transfers.push({ source: done, destination: completion, elapsedMs: run.elapsedMs, ...(options.stats ? transferStats(run.stdout) : {}) });
    return { serial: identity.serial, checks, transfers, elapsedMs: performance.now() - started };
  } finally {
    await ssh.close();
  }
}
