/**
 * The admin console's pages with a school's worth of data: 5,000 registered
 * laptops, 5,000 leases and 5,000 laptops with backup records. For each page
 * (overview, laptops, leases, backups), the time to answer it on loopback
 * (sequential requests over one kept-alive TLS connection, so the time is the
 * server's) at p50 and p99, and its size; beside it, the same server's JSON
 * admin API for the same data, as the baseline. Goals: p99 < 50 ms, < 200 KB.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BASE_CONFIG, DaemonProcess, makeRoot } from '../harness/index.js';
import { cpuSeconds } from './load.js';

const LAPTOPS = 5000;
const SAMPLES = 200;
/** The JSON baselines: fewer, since the backup list's JSON reads every laptop's folder. */
const BASELINE_SAMPLES = 40;
const WARMUP = 10;
const SERVER_CPU = '1';
const DAY_MS = 86_400_000;
/** One real ed25519 key blob: the pages show key types, never check keys. */
const KEY_BLOB = 'AAAAC3NzaC1lZDI1NTE5AAAAIGm2rJ9h7kq0QnQmY2o8a4kX6mB1fX9rB8jvZxYk3yQp';

const CONFIG = `[core]
start_timeout = 15s
[plugins]
registry = on
leases = on
backup = on
[registry]
address = 127.0.0.1
port = 0
[leases]
address = 127.0.0.1
port = 0
[backup]
ssh_port = 0
max_load = 1000
`;

const serialOf = (i: number) => `SHC${i.toString(16).toUpperCase().padStart(8, '0')}`;

/** The registry's and backup's documents as the stores' single-file format holds them (migrated on first open). */
async function writeStores(root: string, now: number): Promise<void> {
  const stores = join(root, 'var/lib/sugar-server/stores');
  await mkdir(stores, { recursive: true });
  const laptops: Record<string, unknown> = {};
  const backups: Record<string, unknown> = {};
  for (let i = 0; i < LAPTOPS; i++) {
    const serial = serialOf(i);
    const registered = new Date(now - (i % 300) * DAY_MS).toISOString();
    laptops[serial] = { serial, uuid: randomUUID().toUpperCase(), nick: `Laptop ${i}`, pubkey: KEY_BLOB, keyType: 'ssh-ed25519', classGroup: `class-${i % 12}`, firstRegistered: registered, lastRegistered: registered };
    const taken = (days: number) => new Date(now - days * DAY_MS - (i % 1440) * 60_000);
    const name = (at: Date) => `datastore-${at.toISOString().slice(0, 16).replace('T', '_')}`;
    const [last, before] = [taken(i % 20), taken((i % 20) + 7)];
    backups[serial] = {
      lastBackup: last.toISOString(),
      usage: 40_000_000 + i * 1000,
      snapshots: Object.fromEntries([before, last].map((at) => [name(at), { bytes: 30_000_000, files: 900, entries: 300, takenAt: at.toISOString() }])),
    };
  }
  await writeFile(join(stores, 'registry.json'), JSON.stringify({ laptops }));
  await writeFile(join(stores, 'backup.json'), JSON.stringify({ laptops: backups }));
}

/** A bundle of one lease per laptop, expiring over the next 26 weeks (signatures unchecked: no public_key). */
function leaseBundle(now: number): string {
  const lines: string[] = [];
  for (let i = 0; i < LAPTOPS; i++) {
    const expires = new Date(now + ((i % 182) - 10) * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    lines.push(`act01: ${serialOf(i)} K ${expires} sig01: sha256 ${'ab'.repeat(32)} ${'cd'.repeat(256)}`);
  }
  return `${lines.join('\n')}\n`;
}

interface Fetched {
  readonly ms: number;
  readonly bytes: number;
  readonly status: number;
}

function get(url: URL, headers: Record<string, string>, agent: Agent): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const send = url.protocol === 'https:' ? request : plainRequest;
    const req = send(url, { headers, ...(url.protocol === 'https:' ? { agent } : {}) }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ ms: performance.now() - started, bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Times of `samples` sequential requests, and the daemon's CPU per request (steadier than times on a busy machine). */
async function measure(url: URL, headers: Record<string, string>, agent: Agent, pid: number, samples = SAMPLES): Promise<{ p50: number; p99: number; bytes: number; cpuMs: number }> {
  for (let i = 0; i < WARMUP; i++) await get(url, headers, agent);
  const cpuBefore = cpuSeconds(pid);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const answer = await get(url, headers, agent);
    if (answer.status !== 200) throw new Error(`${url.pathname} answered ${answer.status}`);
    times.push(answer.ms);
    bytes = answer.bytes;
  }
  const cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / samples;
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(samples * 0.5)]!, p99: times[Math.floor(samples * 0.99)]!, bytes, cpuMs };
}

export async function benchAdmin(): Promise<string> {
  const now = Date.now();
  const root = await makeRoot({ baseConfig: BASE_CONFIG, config: CONFIG });
  await writeStores(root, now);
  const daemon = await DaemonProcess.startIn(root, { cpus: SERVER_CPU, readyTimeoutMs: 60_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  try {
    const token = (await readFile(join(root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const bearer = { Authorization: `Bearer ${token}` };
    const imported = await daemon.fetch('/leases/v1/bundles', { method: 'POST', headers: bearer, body: leaseBundle(now), signal: AbortSignal.timeout(60_000) });
    if (!imported.ok) throw new Error(`lease import answered ${imported.status}: ${await imported.text()}`);
    const consoleUrl = daemon.logs.find((l) => l.msg.startsWith('admin console at '))!.url as string;
    const cookie = await signIn(consoleUrl, token, agent);

    const pages = [
      { name: 'overview', page: '/', api: '/status' },
      { name: 'laptops', page: '/p/registry/laptops', api: '/registry/v1/laptops?limit=1000' },
      { name: 'leases', page: '/p/leases/leases', api: '/leases/v1/report' },
      { name: 'backups', page: '/p/backup/backups', api: '/backup/v1/laptops' },
    ];
    const lines: string[] = [];
    let worstP99 = 0;
    let largest = 0;
    for (const { name, page, api } of pages) {
      const pid = daemon.child.pid!;
      const html = await measure(new URL(page, consoleUrl), { Cookie: cookie }, agent, pid);
      const json = await measure(new URL(api, daemon.url), bearer, agent, pid, BASELINE_SAMPLES);
      worstP99 = Math.max(worstP99, html.p99);
      largest = Math.max(largest, html.bytes);
      lines.push(`  ${name.padEnd(9)} p50 ${html.p50.toFixed(1)} ms, p99 ${html.p99.toFixed(1)} ms, CPU ${html.cpuMs.toFixed(1)} ms, ${(html.bytes / 1024).toFixed(0)} KB` +
        ` | JSON ${api}: p50 ${json.p50.toFixed(1)} ms, p99 ${json.p99.toFixed(1)} ms, CPU ${json.cpuMs.toFixed(1)} ms, ${(json.bytes / 1024).toFixed(0)} KB`);
    }
    const verdict = worstP99 < 50 && largest < 200 * 1024 ? 'within the goals' : 'OUTSIDE the goals';
    return `admin: worst page p99 ${worstP99.toFixed(1)} ms, largest ${(largest / 1024).toFixed(0)} KB (goals p99 < 50 ms, < 200 KB: ${verdict}) ` +
      `[${LAPTOPS} laptops, leases and backup records; ${SAMPLES} sequential requests per page on loopback over TLS, server on CPU ${SERVER_CPU}; load average ${loadavg()[0]!.toFixed(1)}]\n${lines.join('\n')}`;
  } finally {
    agent.destroy();
    await daemon.dispose();
  }
}

async function signIn(consoleUrl: string, token: string, agent: Agent): Promise<string> {
  const body = new URLSearchParams({ account: '', password: token }).toString();
  return new Promise((resolve, reject) => {
    const req = request(new URL('/login', consoleUrl), { method: 'POST', agent, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
      if (res.statusCode !== 303 || !cookie) reject(new Error(`sign-in answered ${res.statusCode}`));
      else resolve(cookie);
    });
    req.on('error', reject);
    req.end(body);
  });
}
