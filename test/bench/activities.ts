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
 *    sending the same bytes with the same headers.
 *
 * Servers are pinned to CPU 1; `npm run bench` keeps this process on CPU 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Laptop } from 'sugaroid';
import { buildXo } from '../fixtures/xo-builder.js';
import { DaemonProcess, makeRoot, type LogLine } from '../harness/index.js';
import { compare, report } from './load.js';

const SERVER_CPU = '1';
const BUNDLES = 1000;
const BIG_BUNDLE_BYTES = 20 * 1024 * 1024;
const LAPTOPS = 50;
const DOWNLOAD_ROUNDS = 5;
const PAGE_ROUNDS = 5;
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

function startBaseline(bundleFile: string, pageFile: string, headersFile: string): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('raw-activities-server.mjs', import.meta.url));
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, script, bundleFile, pageFile, headersFile], { stdio: ['ignore', 'pipe', 'inherit'] });
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

    const page = await daemon.fetch('/activities/');
    const pageFile = join(root, 'page.html');
    const headersFile = join(root, 'page-headers.json');
    await writeFile(pageFile, Buffer.from(await page.arrayBuffer()));
    const keep = ['content-type', 'content-security-policy', 'x-content-type-options', 'vary', 'cache-control', 'etag'];
    await writeFile(headersFile, JSON.stringify(Object.fromEntries(keep.map((name) => [name, page.headers.get(name) ?? '']))));
    baseline = await startBaseline(bundleFile, pageFile, headersFile);

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
        `[microformat page of ${BUNDLES + 1} activities, ${(page.headers.get('content-length') ?? '?')} bytes; median of ${PAGE_ROUNDS} rounds; per CPU-second ${pages.cpuRatio.toFixed(2)}]`,
    );
    return lines.join('\n');
  } finally {
    baseline?.child.kill();
    await daemon.dispose();
  }
}
