/**
 * Blacklists at UT1 scale: 5 million generated domains and 300,000 URL
 * entries (plus expressions and some garbage), compiled as the daemon does
 * (in a worker), then the index loaded in a fresh process (load time,
 * resident bytes per domain, lookups/s), and the squid helper end to end
 * through stdin/stdout with channel IDs, against Debian's squidGuard on the
 * same lists and the same URL stream, each pinned to the same CPU, rounds
 * alternating. Goals: helper ≥ 10× squidGuard's lines/s, ≤ 16 bytes per
 * domain, load ≤ 1 s.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlacklistIndex, compileInWorker, Match, normaliseUrl, policyOf } from 'sugar-server-blacklists';
import { ADULT_EXPRESSION, generateLists, streamUrl } from '../fixtures/blacklists/generate.js';
import { DAEMON_MAIN, makeRoot } from '../harness/index.js';
import { prepareSquidGuard, SQUIDGUARD_BIN } from '../integration/blacklists/squidguard.js';
import { report } from './load.js';

/** `BLACKLISTS_BENCH_SCALE=0.02` runs a smaller copy (lists and stream), to check the benchmark works; figures are at 1. */
const SCALE = Number(process.env.BLACKLISTS_BENCH_SCALE ?? 1);
if (!(SCALE > 0 && SCALE <= 1)) throw new Error(`BLACKLISTS_BENCH_SCALE must be in (0, 1], not ${process.env.BLACKLISTS_BENCH_SCALE}`);
const scaled = (n: number) => Math.max(1, Math.round(n * SCALE));
const CATEGORIES = {
  adult: { domains: scaled(4_600_000), urls: scaled(240_000), expressions: true },
  malware: { domains: scaled(250_000), urls: scaled(40_000) },
  phishing: { domains: scaled(150_000), urls: scaled(20_000) },
};
const STREAM = scaled(500_000);
const CONCURRENCY = 64;
const ROUNDS = 3;
/** The CPU the helper and squidGuard run on; `npm run bench` keeps this process on CPU 0. */
const SERVER_CPU = '1';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => (ms / 1000).toFixed(2);

/** Lines/s of one helper process: started, warmed with one line, then timed from the first byte of input to the last answer. */
function timeHelper(command: readonly string[], warmup: string, input: string, lines: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', SERVER_CPU, ...command], { stdio: ['pipe', 'pipe', 'inherit'] });
    let answered = 0;
    let started = 0;
    child.on('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) answered++;
      if (started === 0 && answered >= 1) {
        answered = 0;
        started = performance.now();
        child.stdin.end(input, 'latin1');
      } else if (started && answered >= lines) {
        const elapsed = performance.now() - started;
        child.kill();
        resolve(lines / (elapsed / 1000));
      }
    });
    child.on('exit', (code) => {
      if (!started || answered < lines) reject(new Error(`${command[0]} exited (${code}) after ${answered} of ${lines} answers`));
    });
    child.stdin.write(`${warmup}\n`, 'latin1');
  });
}

function probe(indexFile: string, urlsFile: string): Promise<{ loadMs: number; residentBytes: number; fileBytes: number; domains: number; urls: number; lookupsPerSecond: number }> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL('blacklists-probe.mjs', import.meta.url));
    const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, '--expose-gc', script, indexFile, urlsFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`probe exited ${code}`))));
  });
}

/**
 * How long the pathological expression `.*a.*a.*b` takes on a URL of 4 KiB
 * (cubic backtracking, without V8's linear-time fallback): the median of 5
 * lookups through a compiled index, in milliseconds.
 */
async function timePathologicalExpression(dir: string): Promise<number> {
  const root = join(dir, 'pathological');
  await mkdir(join(root, 'adult'), { recursive: true });
  await writeFile(join(root, 'adult', 'expressions'), '.*a.*a.*b\n');
  const output = join(dir, 'pathological.idx');
  await compileInWorker({
    sourceRoot: root,
    source: { kind: 'folder', path: root, description: root, archive: null },
    policy: policyOf({ categories: ['adult'], deny: [], times: new Map() }),
    allowFile: join(dir, 'none'),
    blockFile: join(dir, 'none'),
    output,
    fingerprint: 'bench',
  }, () => {});
  const index = await BlacklistIndex.load(output);
  const url = normaliseUrl(`http://x.example/${'a'.repeat(4096)}`)!;
  const active = new Uint8Array(256).fill(1);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    index.match(url, active, new Match());
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function benchBlacklists(): Promise<string> {
  if (!SQUIDGUARD_BIN) throw new Error('the blacklists benchmark compares against squidGuard, which is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'bench-blacklists-'));
  try {
    const lists = await generateLists(join(dir, 'lists'), { seed: 2026, categories: CATEGORIES, garbagePerFile: 3 });
    const urls = Array.from({ length: STREAM }, (_, i) => streamUrl(lists, i).url);
    const urlsFile = join(dir, 'urls.txt');
    await writeFile(urlsFile, `${urls.join('\n')}\n`, 'latin1');

    const indexFile = join(dir, 'index.idx');
    const compileStarted = performance.now();
    const compiled = await compileInWorker({
      sourceRoot: lists.root,
      source: { kind: 'folder', path: lists.root, description: lists.root, archive: null },
      policy: policyOf({ categories: Object.keys(CATEGORIES), deny: [], times: new Map() }),
      allowFile: join(dir, 'none'),
      blockFile: join(dir, 'none'),
      output: indexFile,
      fingerprint: 'bench',
    }, () => {});
    const compileMs = performance.now() - compileStarted;
    const loaded = await probe(indexFile, urlsFile);
    const pathologicalMs = await timePathologicalExpression(dir);

    // squidGuard on the same lists; it dies on expressions regcomp refuses, so it gets the one valid expression.
    const sgDir = join(dir, 'squidguard');
    const expressions = join(dir, 'expressions');
    await writeFile(expressions, `${ADULT_EXPRESSION}\n`);
    const dests = Object.keys(CATEGORIES).map((name) => ({
      name,
      domains: join(lists.root, name, 'domains'),
      urls: join(lists.root, name, 'urls'),
      ...(name === 'adult' ? { expressions } : {}),
    }));
    const sgStarted = performance.now();
    const conf = await prepareSquidGuard(sgDir, dests);
    const sgBuildMs = performance.now() - sgStarted;

    const root = await makeRoot({ config: '[plugins]\nblacklists = on\n[blacklists]\npage_url = http://schoolserver/blocked\n' });
    const oursCommand = [process.execPath, DAEMON_MAIN, 'blacklists', 'helper', '--root', root, '--index', indexFile];
    const theirsCommand = [SQUIDGUARD_BIN, '-c', conf];
    const oursInput = urls.map((url, i) => `${i % CONCURRENCY} ${url} 10.0.0.5/- - GET myip=10.0.0.1 myport=3128\n`).join('');
    const theirsInput = urls.map((url) => `${url} 10.0.0.5/- - GET\n`).join('');
    const oursRates: number[] = [];
    const theirsRates: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      oursRates.push(await timeHelper(oursCommand, '0 http://warm.example/ 10.0.0.5/- - GET', oursInput, STREAM));
      theirsRates.push(await timeHelper(theirsCommand, 'http://warm.example/ 10.0.0.5/- - GET', theirsInput, STREAM));
      ratios.push(oursRates[round]! / theirsRates[round]!);
    }
    await rm(root, { recursive: true, force: true });

    // Each round measures both, one after the other, so the median of the per-round ratios resists a busy machine best.
    const ours = median(oursRates);
    const theirs = median(theirsRates);
    const ratio = median(ratios);
    const domains = loaded.domains;
    return (
      `${report('blacklists', ratio, ours, theirs, ' lines/s')} ` +
      `[${domains.toLocaleString('en')} domains + ${loaded.urls.toLocaleString('en')} URL entries + ${compiled.meta.expressions.length} expression, ${compiled.meta.garbage.total} garbage lines reported; ` +
      `compile ${seconds(compileMs)} s (squidGuard -C ${seconds(sgBuildMs)} s); index ${loaded.fileBytes} bytes (${(loaded.fileBytes / domains).toFixed(2)} B/domain); ` +
      `load ${(loaded.loadMs / 1000).toFixed(3)} s; resident ${(loaded.residentBytes / domains).toFixed(2)} B/domain; ` +
      `in-process ${Math.round(loaded.lookupsPerSecond)} lookups/s; .*a.*a.*b on a 4 KiB URL ${pathologicalMs.toFixed(1)} ms; helper: concurrency=${CONCURRENCY}, ${STREAM.toLocaleString('en')} lines, median of ${ROUNDS} rounds (ratio: median of per-round ratios), both on CPU ${SERVER_CPU}; ` +
      `goals ≥10× squidGuard, ≤16 B/domain, load ≤1 s]`
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
