/**
 * The activity library under load, each figure measured in this run:
 *
 *  - indexing: 1,000 generated bundles read and checked in full when the
 *    daemon starts (layout, activity.info, every entry inflated and
 *    CRC-checked, sha256), then a restart that finds them in the store;
 *  - downloads: 50 sugaroid laptops at once fetching a 20 MB bundle (each
 *    written to disk and checked as an .xo, as a laptop does), from the daemon
 *    and from raw node:http + fs.createReadStream, alternating rounds;
 *  - the microformat page: requests/s from the daemon against raw node:http
 *    sending the same bytes in the same HTTP chunks with the same headers;
 *  - how often Sugar's parser misreads an entry of that page (a version cut
 *    by a network read), fed read by read as libsoup reads it
 *    (test/fixtures/sugar_updater.py), for the page as sent and for the same
 *    page sent in one piece with a Content-Length, as it was before.
 *
 * Servers are pinned to CPU 1; `npm run bench` keeps this process on CPU 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Laptop } from 'sugaroid';
import { buildXo } from '../fixtures/xo-builder.js';
import { DaemonProcess, makeRoot, runCommand, type LogLine } from '../harness/index.js';
import { compare, report } from './load.js';

const SERVER_CPU = '1';
const BUNDLES = 1000;
const BIG_BUNDLE_BYTES = 20 * 1024 * 1024;
const LAPTOPS = 50;
const DOWNLOAD_ROUNDS = 5;
const PAGE_ROUNDS = 5;
/** Random arrival patterns per page in the misread measurement. */
const MISREAD_TRIALS = 20;
const SUGAR_UPDATER = fileURLToPath(new URL('../fixtures/sugar_updater.py', import.meta.url));
const MB = 1024 * 1024;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Write `count` bundles of different ids, versions and translations into `dir`. */
async function generateLibrary(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let start = 0; start < count; start += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - start) }, async (_, j) => {
      const i = start + j;
      const data = await buildXo({
        id: `org.bench.Activity${i}`,
        name: `Activity ${i}`,
        version: `${1 + (i % 9)}.${i % 4}`,
        summary: `Benchmark activity number ${i}, for testing the index`,
        translations: { es: { name: `Actividad ${i}` }, fr: { name: `Activité ${i}` } },
        files: { [`lib/module${i}.py`]: `# module ${i}\n`.repeat(200) },
      });
      await writeFile(join(dir, `org.bench.Activity${i}-${1 + (i % 9)}.${i % 4}.xo`), data);
    }));
  }
}

function startBaseline(bundleFile: string, pageFile: string, headersFile: string, chunksFile: string): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('raw-activities-server.mjs', import.meta.url));
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, script, bundleFile, pageFile, headersFile, chunksFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', (url) => resolve({ child, url })));
}

/** 50 laptops download `url` at once; MB/s over the whole round. */
async function downloadRound(url: string, expect: { id: string; version: string }, size: number): Promise<number> {
  const laptops = Array.from({ length: LAPTOPS }, () => Laptop.create({ keyType: 'ed25519' }));
  const started = performance.now();
  await Promise.all(laptops.map((laptop) => laptop.download(url, { expect, timeoutMs: 120_000 })));
  return (LAPTOPS * size) / MB / ((performance.now() - started) / 1000);
}

const indexed = (line: LogLine) => line.msg === 'library indexed';

/** The sizes of the HTTP chunks the body of `url` comes in, read off the wire. */
async function chunkSizes(url: string): Promise<number[]> {
  const { hostname, port, pathname } = new URL(url);
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`));
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer from ${url}`)));
    socket.on('data', (data: Buffer) => parts.push(data));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
  const sizes: number[] = [];
  for (let at = raw.indexOf('\r\n\r\n') + 4; ;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) return sizes;
    sizes.push(size);
    at = lineEnd + 2 + size + 2;
  }
}

interface MisreadRate {
  readonly patterns: number;
  readonly entry_rate: number;
  readonly page_rate: number;
}

/** One line per arrival model: entries misread, and page reads with any misread entry, before and after. */
async function misreadLines(url: string): Promise<string[]> {
  const run = await runCommand('python3', [SUGAR_UPDATER, 'misread-rates', url, String(MISREAD_TRIALS)], { timeoutMs: 900_000 });
  if (run.code !== 0) throw new Error(`sugar_updater.py misread-rates failed: ${run.stderr}`);
  const { entries, models } = JSON.parse(run.stdout) as { entries: number; models: Record<string, Record<'as sent' | 'in one piece', MisreadRate>> };
  const percent = (rate: number) => `${(rate * 100).toFixed(rate && rate < 0.001 ? 4 : 2)}%`;
  return Object.entries(models).map(([model, { 'as sent': after, 'in one piece': before }]) =>
    `activities-misread: ${percent(after.entry_rate)} of entries (${percent(after.page_rate)} of page reads), ` +
      `before ${percent(before.entry_rate)} (${percent(before.page_rate)}) ` +
      `[${entries} entries fed to Sugar's parser read by read as libsoup reads them; ${model}; ${after.patterns} patterns; ` +
      'before: the same page in one piece with a Content-Length]');
}

export async function benchActivities(): Promise<string> {
  const root = await makeRoot({ config: '[plugins]\nactivities = on\n' });
  const library = join(root, 'var/lib/sugar-server/activities/library');
  await generateLibrary(library, BUNDLES);

  let daemon = await DaemonProcess.startIn(root, { cpus: SERVER_CPU });
  let baseline: { child: ChildProcess; url: string } | undefined;
  try {
    const first = await daemon.waitForLog(indexed, 120_000);
    if (first.bundles !== BUNDLES) throw new Error(`indexed ${String(first.bundles)} bundles, expected ${BUNDLES}`);
    const firstSeconds = (first.durationMs as number) / 1000;
    await daemon.stop();
    daemon = await DaemonProcess.startIn(root, { cpus: SERVER_CPU });
    const again = await daemon.waitForLog(indexed, 60_000);
    const lines = [
      `activities-index: ${BUNDLES} bundles in ${firstSeconds.toFixed(2)} s (${Math.round(BUNDLES / firstSeconds)} bundles/s) ` +
        `[each read in full: layout, activity.info and translations, every entry inflated and CRC-checked, sha256; ` +
        `after a restart, from the store: ${((again.durationMs as number) / 1000).toFixed(2)} s, ${String(again.read)} read]`,
    ];

    const token = (await readFile(join(root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const big = await buildXo({ id: 'org.bench.Big', name: 'Big', version: '1', padding: BIG_BUNDLE_BYTES });
    const uploaded = await daemon.fetch('/activities/v1/bundles', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: big, signal: AbortSignal.timeout(60_000) });
    if (uploaded.status !== 201) throw new Error(`upload answered ${uploaded.status}: ${await uploaded.text()}`);
    const bundleFile = join(library, 'org.bench.Big-1.xo');

    lines.push(...await misreadLines(`${daemon.url}/activities/`));

    const page = await daemon.fetch('/activities/');
    const pageBytes = Buffer.from(await page.arrayBuffer());
    const pageFile = join(root, 'page.html');
    const headersFile = join(root, 'page-headers.json');
    const chunksFile = join(root, 'page-chunks.json');
    await writeFile(pageFile, pageBytes);
    const keep = ['content-type', 'content-security-policy', 'x-content-type-options', 'vary', 'cache-control', 'etag'];
    await writeFile(headersFile, JSON.stringify(Object.fromEntries(keep.map((name) => [name, page.headers.get(name) ?? '']))));
    await writeFile(chunksFile, JSON.stringify(await chunkSizes(`${daemon.url}/activities/`)));
    baseline = await startBaseline(bundleFile, pageFile, headersFile, chunksFile);

    const expect = { id: 'org.bench.Big', version: '1' };
    const ours = `${daemon.url}/activities/bundles/org.bench.Big-1.xo`;
    const theirs = `${baseline.url}/bundle.xo`;
    await downloadRound(ours, expect, big.length);
    await downloadRound(theirs, expect, big.length);
    const rounds: { ours: number; baseline: number }[] = [];
    for (let round = 0; round < DOWNLOAD_ROUNDS; round++) {
      rounds.push({ ours: await downloadRound(ours, expect, big.length), baseline: await downloadRound(theirs, expect, big.length) });
    }
    lines.push(
      `${report('activities-download', median(rounds.map((r) => r.ours / r.baseline)), median(rounds.map((r) => r.ours)), median(rounds.map((r) => r.baseline)), ' MB/s')} ` +
        `[${LAPTOPS} sugaroid laptops at once, ${(big.length / MB).toFixed(1)} MB bundle, each written to disk and checked as an .xo; median of ${DOWNLOAD_ROUNDS} rounds]`,
    );

    const pages = await compare({ url: `${daemon.url}/activities/`, pid: daemon.child.pid! }, { url: `${baseline.url}/page`, pid: baseline.child.pid! }, { rounds: PAGE_ROUNDS, seconds: 3, warmupSeconds: 2 });
    if (pages.failures) throw new Error(`${pages.failures} failed page requests during the benchmark`);
    lines.push(
      `${report('activities-page', pages.ratio, pages.ours, pages.baseline, ' req/s')} ` +
        `[microformat page of ${BUNDLES + 1} activities, ${pageBytes.length} bytes in HTTP chunks; median of ${PAGE_ROUNDS} rounds; per CPU-second ${pages.cpuRatio.toFixed(2)}]`,
    );
    return lines.join('\n');
  } finally {
    baseline?.child.kill();
    await daemon.dispose();
  }
}
