/**
 * Trusted feeds at deployment scale: what signing costs a school.
 *
 * Two Motherships, real daemons laid out alike, each publishing a feed of
 * 100,000 files (the feeder test plugin's notes, 1,000 per folder) and a
 * 500,000-lease bundle (the leases plugin's store): one signs with an online
 * key named in a root-signed keys.json, the other publishes unsigned. Each
 * round a fresh school daemon mirrors both feeds from one of them, the signed
 * one with `[feeds] trusted_keys` pinning the root key, and the time from its
 * start to both feeds applied is taken (the notes read back by the plugin, the
 * bundle through the leases plugin's own import). Signed and unsigned rounds
 * alternate; the ratio is signed over unsigned, the median of the rounds.
 *
 * `FEEDS_BENCH_SCALE=0.01` runs a small copy to check it works;
 * `FEEDS_BENCH_ROUNDS` sets the rounds of each (3).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAEMON_MAIN, DaemonProcess, makeRoot, runCommand, type LogLine } from '../harness/index.js';
import { writeLeaseStore, writeStore } from './store-layout.js';

const SCALE = Number(process.env.FEEDS_BENCH_SCALE ?? 1);
const FILES = Math.max(100, Math.round(100_000 * SCALE));
const LEASES = Math.max(100, Math.round(500_000 * SCALE));
const ROUNDS = Math.max(1, Number(process.env.FEEDS_BENCH_ROUNDS ?? 3));
const MOTHERSHIP_CPU = '1';
const SCHOOL_CPU = '0';
/** Long enough that a school polls only once in a round. */
const NO_REPOLL = '1h';
// Closing a store of half a million leases waits for a compaction (seconds).
const DROP_INS = { '50-scale.conf': '[core]\nstop_timeout = 60s\n' };
const APPLY_TIMEOUT_MS = 1_800_000;

const serialOf = (i: number) => `SHF${i.toString(16).toUpperCase().padStart(8, '0')}`;
const notePath = (i: number) => `part-${String(Math.floor(i / 1000)).padStart(3, '0')}/note-${String(i).padStart(6, '0')}.txt`;
const noteText = (i: number) => `note ${i}: ${'the quick brown fox jumps over the lazy dog. '.repeat(1 + (i % 8))}\n`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const progress = (text: string) => console.error(`  feeds: ${text}`);

interface Keys {
  readonly dir: string;
  readonly root: string;
  readonly online: string;
}

/** A root key, an online key, and keys.json naming the online key, signed by the root: as a deployment makes them. */
async function makeKeys(): Promise<Keys> {
  const dir = await mkdtemp(join(tmpdir(), 'sugar-server-bench-keys-'));
  const cli = async (...args: string[]) => {
    const run = await runCommand(process.execPath, [DAEMON_MAIN, 'feeds', ...args]);
    if (run.code !== 0) throw new Error(`feeds ${args[0]} exited ${run.code}: ${run.stderr}`);
  };
  const keys = { dir, root: join(dir, 'root.key'), online: join(dir, 'online.key') };
  await cli('keygen', keys.root, '--comment', 'bench root');
  await cli('keygen', keys.online, '--comment', 'bench online');
  await mkdir(join(dir, 'published'));
  await cli('sign-keys', '--root-key', keys.root, '--out', join(dir, 'published'), `${keys.online}.pub`);
  return keys;
}

/** A Mothership holding the notes and the leases; signing when `keys` are given. */
async function startMothership(keys: Keys | null): Promise<DaemonProcess> {
  const signing = keys ? `[feeds]\nsigning_key = ${keys.online}\nkeys_file = ${join(keys.dir, 'published/keys.json')}\n` : '';
  const root = await makeRoot({ config: `[plugins]\nfeeder = on\nleases = on\n[leases]\nport = 0\n${signing}`, dropIns: DROP_INS });
  await writeStore(root, 'feeder', 'notes', FILES, (i) => [notePath(i), noteText(i)], {});
  await writeLeaseStore(root, LEASES, serialOf);
  const daemon = await DaemonProcess.startIn(root, { cpus: MOTHERSHIP_CPU, readyTimeoutMs: 180_000 });
  // The first manifest of each feed takes its version (and, signed, its signature) before any round.
  for (const feed of ['notes', 'leases']) {
    const manifest = await daemon.json<{ files: unknown[]; version: number }>(`/feeds/v1/${feed}/manifest.json`, { signal: AbortSignal.timeout(300_000) });
    if (!manifest.version) throw new Error(`${feed} manifest has no version`);
  }
  const index = await daemon.json<{ signed: boolean }>('/feeds/v1/index.json');
  if (index.signed !== (keys !== null)) throw new Error(`Mothership signs: ${index.signed}, expected ${keys !== null}`);
  return daemon;
}

interface Round {
  readonly seconds: number;
  readonly notesSeconds: number;
  readonly leasesSeconds: number;
}

/** The log line that says `feed` was applied, or a refusal turned into an error. */
function applied(school: DaemonProcess, feed: string): Promise<LogLine> {
  return school.waitForLog((line) => line.feed === feed && (line.msg === 'feed updated' || line.msg === 'feed not updated; keeping the last good copy'), APPLY_TIMEOUT_MS).then((line) => {
    if (line.msg !== 'feed updated') throw new Error(`school refused ${feed}: ${String(line.code)}: ${JSON.stringify(line.err ?? line)}`);
    return line;
  });
}

/** A fresh school mirrors both feeds of `mothership`; seconds from its start to each applied. */
async function schoolRound(mothership: DaemonProcess, keys: Keys | null): Promise<Round> {
  const trust = keys ? `[feeds]\ntrusted_keys = ${keys.root}.pub\n` : '';
  const root = await makeRoot({
    config:
      `[plugins]\nfeeder = on\nleases = on\n` +
      `[feeder]\nupstream = ${mothership.url}/feeds/v1/notes/\ninterval = ${NO_REPOLL}\n` +
      `[leases]\nport = 0\nupstream = ${mothership.url}/feeds/v1/leases/\nupstream_interval = ${NO_REPOLL}\n${trust}`,
    dropIns: DROP_INS,
  });
  const started = Date.now();
  const school = await DaemonProcess.startIn(root, { cpus: SCHOOL_CPU, readyTimeoutMs: 60_000 });
  try {
    const [notes, leases] = await Promise.all([applied(school, 'notes'), applied(school, 'leases')]);
    if (notes.added !== FILES) throw new Error(`the school took ${String(notes.added)} notes, expected ${FILES}`);
    const imported = await school.waitForLog((line) => line.msg === 'leases feed applied', 10_000);
    if (imported.leases !== LEASES || imported.refused !== 0) throw new Error(`the school imported ${String(imported.leases)} leases (${String(imported.refused)} refused), expected ${LEASES}`);
    const states = (await school.status()).plugins.flatMap((p) => p.feeds as { name: string; trust: string; signedBy: string | null }[]);
    for (const state of states) {
      if (state.trust !== (keys ? 'signed' : 'unauthenticated') || (keys !== null) !== (state.signedBy !== null)) throw new Error(`feed state ${JSON.stringify(state)}`);
    }
    const at = (line: LogLine) => ((line.time as number) - started) / 1000;
    return { seconds: Math.max(at(notes), at(leases)), notesSeconds: at(notes), leasesSeconds: at(leases) };
  } finally {
    await school.dispose();
  }
}

export async function benchFeeds(): Promise<string> {
  const keys = await makeKeys();
  const motherships: DaemonProcess[] = [];
  try {
    progress(`laying out two Motherships with ${FILES} files and ${LEASES} leases each`);
    const signedMothership = await startMothership(keys);
    motherships.push(signedMothership);
    const unsignedMothership = await startMothership(null);
    motherships.push(unsignedMothership);

    const signed: Round[] = [];
    const unsigned: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so a drift of the machine falls on both alike.
      const order = round % 2 === 0 ? (['unsigned', 'signed'] as const) : (['signed', 'unsigned'] as const);
      for (const mode of order) {
        const result = mode === 'signed' ? await schoolRound(signedMothership, keys) : await schoolRound(unsignedMothership, null);
        (mode === 'signed' ? signed : unsigned).push(result);
        progress(`round ${round + 1} ${mode}: ${result.seconds.toFixed(1)} s (notes ${result.notesSeconds.toFixed(1)} s, leases ${result.leasesSeconds.toFixed(1)} s)`);
      }
    }
    const ratio = median(signed.map((s, i) => s.seconds / unsigned[i]!.seconds));
    const mid = (rounds: Round[], pick: (r: Round) => number) => median(rounds.map(pick)).toFixed(1);
    return (
      `feeds: ratio ${ratio.toFixed(3)} (signed ${mid(signed, (r) => r.seconds)} s, unsigned ${mid(unsigned, (r) => r.seconds)} s end to end) ` +
      `[a fresh school's start to ${FILES} files and ${LEASES} leases applied from a Mothership daemon over HTTP, ` +
      `signed (trusted_keys, online key named by a root-signed keys.json) against unsigned; signed: files ${mid(signed, (r) => r.notesSeconds)} s, ` +
      `leases ${mid(signed, (r) => r.leasesSeconds)} s; unsigned: files ${mid(unsigned, (r) => r.notesSeconds)} s, leases ${mid(unsigned, (r) => r.leasesSeconds)} s; ` +
      `median of ${ROUNDS} alternating rounds]`
    );
  } finally {
    for (const daemon of motherships) await daemon.dispose();
    await rm(keys.dir, { recursive: true, force: true });
  }
}
