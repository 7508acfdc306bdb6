/**
 * The stolen list travelling with the leases feed: a laptop reported stolen at
 * the Mothership is locked at the schools that mirror it (and at schools behind
 * a district server), recovered laptops are unlocked again, and what a school
 * marked itself stays its own. Real daemons, laptops played by sugaroid.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LeaseReport } from 'sugar-server-leases';
import { Laptop, type ActivationOutcome } from 'sugaroid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../harness/index.js';
import { DEPLOYMENT_KEY, makeLease } from '../harness/leases.js';

const LEASES = '[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n';
/** How long a school may take to follow its upstream: a few polls at the test's 300 ms interval. */
const FOLLOW_MS = 5_000;

/** One sugar-server with leases on: its activation port and its admin API. */
class LeaseServer {
  private constructor(
    readonly daemon: DaemonProcess,
    readonly port: number,
    private readonly token: string,
  ) {}

  /** Start in a fresh root, or in `root` as it was left (configuration and stores). */
  static async start(extra = '', root?: string): Promise<LeaseServer> {
    const daemon = root ? await DaemonProcess.startIn(root) : await DaemonProcess.start({ config: LEASES + extra });
    const listener = daemon.plugin(await daemon.status(), 'leases')?.listeners.find((l) => l.name === 'activation');
    if (!listener) {
      await daemon.dispose();
      throw new Error('leases is not running');
    }
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    return new LeaseServer(daemon, listener.port, token);
  }

  /** A school (or district) mirroring `upstream` every 300 ms. */
  static mirroring(upstream: string): Promise<LeaseServer> {
    return LeaseServer.start(`upstream = ${upstream}\nupstream_interval = 300ms\n`);
  }

  get feedUrl(): string {
    return `${this.daemon.url}/feeds/v1/leases/`;
  }

  admin(path: string, init: RequestInit = {}): Promise<Response> {
    return this.daemon.fetch(path, { ...init, headers: { ...init.headers as Record<string, string>, Authorization: `Bearer ${this.token}` } });
  }

  async upload(bundle: string): Promise<void> {
    expect((await this.admin('/leases/v1/bundles', { method: 'POST', body: bundle })).status).toBe(200);
  }

  async steal(laptop: Laptop): Promise<void> {
    expect((await this.admin(`/leases/v1/stolen/${laptop.serial}`, { method: 'PUT' })).status).toBe(201);
  }

  async recover(laptop: Laptop): Promise<void> {
    expect((await this.admin(`/leases/v1/stolen/${laptop.serial}`, { method: 'DELETE' })).status).toBe(204);
  }

  async stolen(): Promise<{ serial: string; sources: string[] }[]> {
    const { stolen } = (await (await this.admin('/leases/v1/stolen')).json()) as { stolen: { serial: string; sources: string[] }[] };
    return stolen.map(({ serial, sources }) => ({ serial, sources }));
  }

  /** What `laptop` gets at boot from this server, checking its lease with the deployment key as the XO does. */
  async outcome(laptop: Laptop): Promise<ActivationOutcome> {
    return (await laptop.activate('127.0.0.1', this.port, { publicKey: DEPLOYMENT_KEY.publicKey })).outcome;
  }

  /** Wait until `laptop` gets `expected` here; fails after {@link FOLLOW_MS}. */
  async becomes(laptop: Laptop, expected: ActivationOutcome): Promise<void> {
    const last = await until(() => this.outcome(laptop), (outcome) => outcome === expected);
    expect(last, `${laptop.serial} at ${this.daemon.url}`).toBe(expected);
  }

  /** The state of the mirrored leases feed in /status. */
  async feed(): Promise<{ lastError: string | null; generated: string | null }> {
    const plugin = this.daemon.plugin(await this.daemon.status(), 'leases') as unknown as { feeds: { lastError: string | null; generated: string | null }[] };
    return plugin.feeds[0]!;
  }
}

/** Probe until `ok` or {@link FOLLOW_MS} has passed; the last value either way. */
async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + FOLLOW_MS;
  let value = await probe();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await probe();
  }
  return value;
}

const servers: LeaseServer[] = [];
async function track(server: Promise<LeaseServer>): Promise<LeaseServer> {
  servers.push(await server);
  return servers.at(-1)!;
}
afterAll(async () => {
  for (const server of servers.reverse()) await server.daemon.dispose();
});

describe('a laptop reported stolen at the Mothership', () => {
  const [ana, ben, caro] = [Laptop.create(), Laptop.create(), Laptop.create()];
  let mothership: LeaseServer;
  let school: LeaseServer;
  beforeAll(async () => {
    mothership = await track(LeaseServer.start());
    await mothership.upload([ana, ben, caro].map((laptop) => makeLease(laptop)).join(''));
    school = await track(LeaseServer.mirroring(mothership.feedUrl));
    await school.becomes(ana, 'lease');
  });

  it('is published in stolen.txt beside the bundle', async () => {
    await mothership.steal(ana);
    const manifest = await mothership.daemon.json<{ files: { path: string }[] }>('/feeds/v1/leases/manifest.json');
    expect(manifest.files.map((f) => f.path)).toEqual(['leases.sig', 'stolen.txt']);
    expect(await (await mothership.daemon.fetch('/feeds/v1/leases/stolen.txt')).text()).toBe(`${ana.serial}\n`);
  });

  it('is locked at the school within a few seconds, and listed there as stolen upstream', async () => {
    await school.becomes(ana, 'stolen');
    expect(await school.stolen()).toEqual([{ serial: ana.serial, sources: ['upstream'] }]);
    const http = await school.daemon.fetch(`/leases/v1/lease?serial=${ana.serial}`);
    expect([http.status, await http.text()]).toEqual([200, 'STOLEN']);
  });

  it('cannot be unlocked by the school', async () => {
    const refused = await school.admin(`/leases/v1/stolen/${ana.serial}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('LEASES_ERR_STOLEN_UPSTREAM');
    const cli = await school.daemon.cli('leases', 'stolen', 'remove', ana.serial);
    expect([cli.code, cli.stderr]).toEqual([1, expect.stringContaining('only the upstream can take it off')]);
    expect(await school.outcome(ana)).toBe('stolen');
  });

  it('is unlocked again when the Mothership recovers it, while what the school marked itself stays locked', async () => {
    await school.steal(ben);
    expect(await school.outcome(ben)).toBe('stolen');
    await mothership.recover(ana);
    await school.becomes(ana, 'lease');
    expect(await school.outcome(ben)).toBe('stolen');
    expect(await school.stolen()).toEqual([{ serial: ben.serial, sources: ['local'] }]);
  });

  it('stays locked when the school removes its own mark of a laptop the Mothership still lists', async () => {
    await mothership.steal(caro);
    await school.becomes(caro, 'stolen');
    await school.steal(caro);
    expect(await school.stolen()).toContainEqual({ serial: caro.serial, sources: ['local', 'upstream'] });
    const removed = await school.admin(`/leases/v1/stolen/${caro.serial}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ serial: caro.serial, stolen: true, sources: ['upstream'], message: expect.stringContaining('stays stolen') });
    expect(await school.outcome(caro)).toBe('stolen');

    await school.steal(caro);
    const cli = await school.daemon.cli('leases', 'stolen', 'remove', caro.serial);
    expect([cli.code, cli.stdout.trim()]).toEqual([0, `${caro.serial}: the mark made here is removed, but it stays STOLEN: the upstream server lists it`]);
    const list = await school.daemon.cli('leases', 'stolen', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${ben.serial}  since \\S+  \\(marked here\\)$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${caro.serial}  since \\S+  \\(from upstream\\)$`, 'm'));
  });

  it('is counted by source in the school\'s report', async () => {
    const report = (await (await school.admin('/leases/v1/report')).json()) as LeaseReport;
    expect(report.counts).toMatchObject({ stolen: 2, stolenBySource: { local: 1, upstream: 1 } });
    const cli = await school.daemon.cli('leases', 'report');
    expect(cli.stdout.split('\n')[0]).toContain('2 stolen (1 marked here, 1 from upstream)');
  });

  it('is passed on by the school, with what it marked itself, to servers mirroring it', async () => {
    expect(await (await school.daemon.fetch('/feeds/v1/leases/stolen.txt')).text()).toBe([ben.serial, caro.serial].sort().map((s) => `${s}\n`).join(''));
  });
});

describe('a chain of three servers: Mothership, district, school', () => {
  it('passes a stolen serial down the chain, and its recovery', async () => {
    const laptop = Laptop.create();
    const mothership = await track(LeaseServer.start());
    await mothership.upload(makeLease(laptop));
    const district = await track(LeaseServer.mirroring(mothership.feedUrl));
    const school = await track(LeaseServer.mirroring(district.feedUrl));
    await school.becomes(laptop, 'lease');

    await mothership.steal(laptop);
    await school.becomes(laptop, 'stolen');
    expect(await district.stolen()).toEqual([{ serial: laptop.serial, sources: ['upstream'] }]);
    expect(await school.stolen()).toEqual([{ serial: laptop.serial, sources: ['upstream'] }]);

    await mothership.recover(laptop);
    await school.becomes(laptop, 'lease');
    expect(await district.stolen()).toEqual([]);
  });
});

/** An upstream that serves whatever feed a test sets, as an older or broken publisher might. */
class FakeUpstream {
  private files: Record<string, string> = {};
  private version = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeUpstream> {
    const server = createServer();
    const upstream = new FakeUpstream(server);
    server.on('request', (req, res) => upstream.serve(req.url ?? '', res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/feed/`;
  }

  publish(files: Record<string, string>): void {
    this.files = files;
    this.version++;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(url: string, res: ServerResponse): void {
    const path = url.replace(/^\/feed\//, '');
    if (path === 'manifest.json') {
      const files = Object.entries(this.files).map(([name, text]) => ({
        path: name, sha256: createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text),
      }));
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ name: 'leases', generated: new Date(Date.UTC(2025, 0, 1, 0, 0, this.version)).toISOString(), files }));
      return;
    }
    if (!Object.hasOwn(this.files, path)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.end(this.files[path]);
  }
}

describe('a stolen list the school cannot trust', () => {
  let upstream: FakeUpstream;
  afterEach(async () => {
    await upstream?.close();
  });

  it('refuses a version with a line that is not a serial, keeping the last good one whole', async () => {
    const [ana, ben, caro] = [Laptop.create(), Laptop.create(), Laptop.create()];
    upstream = await FakeUpstream.start();
    upstream.publish({ 'leases.sig': makeLease(ana), 'stolen.txt': `${ben.serial}\n` });
    const school = await track(LeaseServer.mirroring(upstream.url));
    await school.becomes(ben, 'stolen');

    upstream.publish({ 'leases.sig': makeLease(ana) + makeLease(caro), 'stolen.txt': `${ana.serial}\nrm -rf /\n` });
    const refused = await until(() => school.feed(), (feed) => feed.lastError !== null);
    expect(refused.lastError).toBe('stolen.txt line 2: "rm -rf /" is not a serial number; nothing from this feed version was applied');
    expect(await school.outcome(ana)).toBe('lease');
    expect(await school.outcome(ben)).toBe('stolen');
    expect(await school.outcome(caro)).toBe('none');

    // A publisher older than stolen.txt: its bundle applies, the upstream list stays.
    upstream.publish({ 'leases.sig': makeLease(ana) + makeLease(caro) });
    expect((await until(() => school.feed(), (feed) => feed.lastError === null)).lastError).toBeNull();
    expect(await school.outcome(caro)).toBe('lease');
    expect(await school.outcome(ben)).toBe('stolen');
  });
});

describe('a store from before there were two stolen lists', () => {
  it('keeps its stolen serials as marked here', async () => {
    const laptop = Laptop.create();
    const root = await makeRoot({ config: LEASES });
    const stores = join(root, 'var/lib/sugar-server/stores');
    await mkdir(stores, { recursive: true });
    await writeFile(join(stores, 'leases.json'), JSON.stringify({
      leases: {},
      stolen: { [laptop.serial]: { since: '2024-05-01T00:00:00.000Z' } },
      feedGenerated: null,
    }));
    const server = await track(LeaseServer.start('', root));
    expect(await server.outcome(laptop)).toBe('stolen');
    expect(await server.stolen()).toEqual([{ serial: laptop.serial, sources: ['local'] }]);
    expect(await (await server.daemon.fetch('/feeds/v1/leases/stolen.txt')).text()).toBe(`${laptop.serial}\n`);
    await server.recover(laptop);
    expect(await server.outcome(laptop)).toBe('none');
  });
});
