/**
 * `sugaroid backup` and `sugaroid restore`: ds-backup from a shell, for one
 * laptop or many at once. Registered in cli.ts's command table.
 *
 * A laptop must be registered with its key before the server lets it in, so
 * `backup` either takes saved identities (`--identity FILE`, as `sugaroid
 * identity --private` prints them, or a list) or registers fresh laptops first
 * (`--register URL`). `--save FILE` keeps the laptops and their Journals for a
 * later `restore`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackupResult } from './clients/backup.js';
import type { CliIo } from './cli.js';
import { SugaroidErrors } from './errors.js';
import type { Identity } from './identity.js';
import { generateJournal } from './journal.js';
import { Laptop } from './laptop.js';
import { isSshKeyType, SSH_KEY_TYPES } from './ssh-keys.js';
import { describeSwarm, swarm } from './swarm.js';

const EXIT_FAILURE = 1;

/** One laptop as `--save` writes it and `--identity` reads it. */
interface SavedLaptop {
  readonly identity: Identity;
  /** The Journal it backed up, to check a restore against. */
  readonly journal?: string;
}

function wholeNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,7}$/.test(value)) throw SugaroidErrors.USAGE(`${flag} takes a whole number, not "${value}"`);
  return Number(value);
}

/** `512`, `64k`, `10M`, `1G` (powers of 1024). */
function byteSize(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(value);
  if (!match) throw SugaroidErrors.USAGE(`--size takes bytes such as 512, 64k, 10M or 1G, not "${value}"`);
  return Math.round(Number(match[1]) * 1024 ** ' kmg'.indexOf(match[2]!.toLowerCase() || ' '));
}

/** Saved laptops: one object (`sugaroid identity --private`), a `{identity, journal}`, or a list of either. */
async function readLaptops(file: string): Promise<SavedLaptop[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw SugaroidErrors.USAGE(`--identity ${file}: ${(err as Error).message}`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.map((item: { identity?: Identity; journal?: string } & Partial<Identity>) => {
    const identity = item.identity ?? (item as Identity);
    if (typeof identity?.serial !== 'string' || typeof identity.sshKey?.privateKey !== 'string') {
      throw SugaroidErrors.USAGE(`--identity ${file}: each laptop needs a serial and an sshKey with its privateKey (sugaroid identity --private)`);
    }
    return { identity, journal: item.journal };
  });
}

const SHARED = {
  server: { type: 'string' },
  'http-port': { type: 'string' },
  'ssh-port': { type: 'string' },
  identity: { type: 'string' },
  count: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `sugaroid backup`. */
export const backupCommand = {
  summary: 'back up laptops\' Journals as ds-backup does (availability check, rsync over ssh, completion)',
  usage: `Usage: sugaroid backup --server HOST (--identity FILE | --register URL) [--count N]
                       [--journal DIR | --size SIZE --entries N] [--power-logs DIR] [--documents DIR]
                       [--http-port N] [--ssh-port N] [--backoff MS] [--save FILE] [--json]

Asks http://HOST/backup/1/available/<SN> (backing off 60·2ⁿ s on 503, n = 1..6),
then runs the system rsync over the system ssh as the laptop: the Journal to
datastore-current, the power logs and Documents when given, then the completion
file. Exits 1 when a backup fails.
  --server HOST      the school server's host name or address
  --identity FILE    laptops to back up (sugaroid identity --private, a list, or a --save file)
  --register URL     register fresh laptops first at this XML-RPC URL (e.g. http://HOST:8080/)
  --key-type TYPE    ${SSH_KEY_TYPES.join(', ')} for fresh laptops (default ed25519; old XOs use dsa)
  --count N          back up N laptops at once (fresh ones with --register)
  --concurrency C    at most C backups in flight (default N)
  --journal DIR      the datastore to back up (shared by all laptops)
  --size SIZE        without --journal: generate a Journal of SIZE bytes per laptop (default 10M)
  --entries N        ... with N entries (default 100), 2 of them large
  --power-logs DIR   also back up this power-logs folder
  --documents DIR    also back up this Documents folder
  --http-port N      the availability check's port (default 80)
  --ssh-port N       the SSH port (default 22)
  --backoff MS       the back-off unit (default 60000, as ds-backup)
  --save FILE        write the laptops and their Journals, for sugaroid restore --identity FILE
  --json             print the results as JSON`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        ...SHARED,
        register: { type: 'string' },
        'key-type': { type: 'string' },
        journal: { type: 'string' },
        size: { type: 'string' },
        entries: { type: 'string' },
        'power-logs': { type: 'string' },
        documents: { type: 'string' },
        backoff: { type: 'string' },
        save: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (!values.server) throw SugaroidErrors.USAGE('backup needs --server HOST');
    if (!values.identity === !values.register) throw SugaroidErrors.USAGE('backup needs --identity FILE or --register URL (the server only lets registered laptops in)');
    const keyType = values['key-type'] ?? 'ed25519';
    if (!isSshKeyType(keyType)) throw SugaroidErrors.USAGE(`--key-type must be one of ${SSH_KEY_TYPES.join(', ')}, not "${keyType}"`);
    const saved = values.identity ? await readLaptops(values.identity) : [];
    const count = wholeNumber(values.count, '--count', values.identity ? saved.length : 1);
    if (values.identity && count > saved.length) throw SugaroidErrors.USAGE(`--count ${count}, but ${values.identity} holds ${saved.length} laptop(s)`);
    const laptops = values.identity
      ? saved.slice(0, count).map((s) => new Laptop(s.identity))
      : Array.from({ length: count }, () => Laptop.create({ keyType }));
    const size = byteSize(values.size, 10 * 1024 * 1024);
    const entries = wholeNumber(values.entries, '--entries', 100);
    const journals: string[] = [];
    for (const laptop of laptops) {
      if (values.journal) {
        journals.push(values.journal);
        continue;
      }
      const dir = await mkdtemp(join(tmpdir(), `sugaroid-journal-${laptop.serial}-`));
      await generateJournal(dir, { bytes: size, entries, largeEntries: Math.min(2, entries) });
      journals.push(dir);
    }
    if (values.register) {
      for (const laptop of laptops) {
        const answer = await laptop.register(values.register);
        if (answer.success !== 'OK') throw SugaroidErrors.REFUSED(`registration of ${laptop.serial}`, `${answer.success}: ${answer.error}`);
      }
    }
    const options = {
      httpPort: wholeNumber(values['http-port'], '--http-port', 80),
      sshPort: wholeNumber(values['ssh-port'], '--ssh-port', 22),
      backoffBaseMs: wholeNumber(values.backoff, '--backoff', 60_000),
      powerLogs: values['power-logs'],
      documents: values.documents,
    };
    const concurrency = wholeNumber(values.concurrency, '--concurrency', count);
    const report = await swarm(count, (i) => laptops[i]!.backup(values.server!, { ...options, journal: journals[i]! }), { concurrency });
    if (values.save) {
      const out: SavedLaptop[] = laptops.map((laptop, i) => ({ identity: laptop.identity, journal: journals[i] }));
      await writeFile(values.save, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o600 });
    } else if (!values.journal) {
      // Generated Journals are kept only when --save will point a restore at them.
      await Promise.all(journals.map((dir) => rm(dir, { recursive: true, force: true })));
    }
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else if (count > 1) io.out(`${count} laptops backing up to ${values.server}, ${concurrency} at a time\n${describeSwarm(report)}`);
    else if (report.ok === 1) io.out(describeBackup(report.results[0]!));
    else io.err(Object.values(report.firstErrors)[0]!);
    return report.errors === 0 ? 0 : EXIT_FAILURE;
  },
};

function describeBackup(result: BackupResult): string {
  const steps = result.transfers.map((t) => `  ${t.destination} in ${Math.round(t.elapsedMs)} ms`);
  return `${result.serial}: backed up in ${Math.round(result.elapsedMs)} ms after ${result.checks} availability check(s)\n${steps.join('\n')}`;
}

/** `sugaroid restore`. */
export const restoreCommand = {
  summary: 'pull a Journal snapshot back over ssh and check it byte for byte',
  usage: `Usage: sugaroid restore --server HOST --identity FILE [--count N] [--snapshot NAME]
                        [--into DIR] [--expect DIR] [--ssh-port N] [--json]

Runs the system rsync over the system ssh as the laptop to pull a snapshot
(datastore-latest unless named) into a folder, then compares it byte for byte
with the expected Journal (--expect, or the Journal a --save file recorded).
Exits 1 when a restore fails or differs.
  --server HOST      the school server's host name or address
  --identity FILE    the laptops (a sugaroid backup --save file, or sugaroid identity --private)
  --count N          restore the first N laptops of FILE at once (default all)
  --concurrency C    at most C restores in flight (default N)
  --snapshot NAME    datastore-latest (default) or datastore-YYYY-MM-DD_HH:MM
  --into DIR         where to put it (DIR/<SN> for several laptops; default a temporary folder)
  --expect DIR       the Journal it must equal
  --ssh-port N       the SSH port (default 22)
  --json             print the results as JSON`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args,
      options: { ...SHARED, snapshot: { type: 'string' }, into: { type: 'string' }, expect: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    if (!values.server) throw SugaroidErrors.USAGE('restore needs --server HOST');
    if (!values.identity) throw SugaroidErrors.USAGE('restore needs --identity FILE (the laptop that backed up)');
    const saved = await readLaptops(values.identity);
    const count = wholeNumber(values.count, '--count', saved.length);
    if (count > saved.length) throw SugaroidErrors.USAGE(`--count ${count}, but ${values.identity} holds ${saved.length} laptop(s)`);
    const sshPort = wholeNumber(values['ssh-port'], '--ssh-port', 22);
    const concurrency = wholeNumber(values.concurrency, '--concurrency', count);
    // Without --into, restores land in a temporary folder that is removed once every one checked out.
    const root = values.into ?? (await mkdtemp(join(tmpdir(), 'sugaroid-restore-')));
    const report = await swarm(count, (i) => {
      const { identity, journal } = saved[i]!;
      const into = values.into !== undefined && count === 1 ? values.into : join(root, identity.serial);
      return new Laptop(identity).restore(values.server!, { sshPort, snapshot: values.snapshot, into, expect: values.expect ?? journal });
    }, { concurrency });
    const kept = values.into !== undefined || report.errors > 0;
    if (!kept) await rm(root, { recursive: true, force: true });
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else if (count > 1) io.out(`${count} laptops restoring from ${values.server}, ${concurrency} at a time\n${describeSwarm(report)}`);
    else if (report.ok === 1) {
      const r = report.results[0]!;
      const where = kept ? `into ${r.into}` : '(temporary copy removed)';
      io.out(`${saved[0]!.identity.serial}: ${r.snapshot} restored ${where} in ${Math.round(r.elapsedMs)} ms; ${r.verified ? 'same bytes as the Journal' : 'not compared (no --expect)'}`);
    } else io.err(Object.values(report.firstErrors)[0]!);
    if (report.errors > 0 && values.into === undefined) io.err(`restored copies kept in ${root}`);
    return report.errors === 0 ? 0 : EXIT_FAILURE;
  },
};
