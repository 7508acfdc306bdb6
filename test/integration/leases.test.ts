/**
 * The leases plugin as laptops and admins meet it: sugaroid laptops asking on the
 * activation port, bundles imported over the admin API, the CLI and a USB
 * folder, signatures checked with a key made here, signing, the stolen list,
 * the expiry report, and one server mirroring another's leases.
 */
import { constants, createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportReport, LeaseReport } from 'sugar-server-leases';
import { isSugaroidError, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

const DAY = 86_400_000;
const LEASES = '[plugins]\nleases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n';

/** The deployment's key pair, as OLPC (or a deployment) holds it. */
function makeKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyid = publicKey.export({ type: 'pkcs1', format: 'der' }).subarray(-32).toString('hex');
  return { publicKey, privateKey, keyid };
}
type Keys = ReturnType<typeof makeKeys>;

/** `YYYYMMDDTHHMMSSZ`, `days` from now. */
function exp(days: number): string {
  return new Date(Date.now() + days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** A lease line as bios-crypto's make-lease.sh writes it (RSASSA-PSS, SHA-256, 8-byte salt over SN:UUID:K:EXP). */
function makeLease(laptop: Laptop, days: number, keys: Keys, uuid = laptop.identity.uuid.toUpperCase()): string {
  const expires = exp(days);
  const signature = sign('sha256', Buffer.from(`${laptop.serial}:${uuid}:K:${expires}`), {
    key: keys.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8,
  });
  return `act01: ${laptop.serial} K ${expires} sig01: sha256 ${keys.keyid} ${signature.toString('hex')}\n`;
}

/** An XO as OLPC built it: its UUID is upper case in its manufacturing data. */
function xo(): Laptop {
  const laptop = Laptop.create();
  return new Laptop({ ...laptop.identity, uuid: laptop.identity.uuid.toUpperCase() });
}

/** Canonical JSON bundle, keys sorted, no spaces. */
function jsonBundle(leases: Record<string, string>): string {
  return JSON.stringify([1, Object.fromEntries(Object.entries(leases).sort(([a], [b]) => (a < b ? -1 : 1)))]);
}

class LeaseServer {
  private constructor(
    readonly daemon: DaemonProcess,
    readonly port: number,
    private readonly token: string,
  ) {}

  static async start(extra = ''): Promise<LeaseServer> {
    const daemon = await DaemonProcess.start({ config: LEASES + extra });
    const plugin = daemon.plugin(await daemon.status(), 'leases');
    const listener = plugin?.listeners.find((l) => l.name === 'activation');
    if (plugin?.state !== 'running' || !listener) {
      await daemon.dispose();
      throw new Error(`leases not running: ${JSON.stringify(plugin)}`);
    }
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    return new LeaseServer(daemon, listener.port, token);
  }

  admin(path: string, init: RequestInit = {}): Promise<Response> {
    return this.daemon.fetch(path, { ...init, headers: { ...init.headers as Record<string, string>, Authorization: `Bearer ${this.token}` } });
  }

  async upload(bundle: string): Promise<ImportReport> {
    const response = await this.admin('/leases/v1/bundles', { method: 'POST', body: bundle });
    expect(response.status).toBe(200);
    return (await response.json()) as ImportReport;
  }

  activate(laptop: Laptop, options: { publicKey?: KeyObject; request?: string } = {}) {
    return laptop.activate('127.0.0.1', this.port, options);
  }
}

/** The `{error: {code, message}}` of a refused request. */
async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

/** Send raw bytes to the activation port and read what comes back before it closes. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (chunk) => (body += chunk));
    socket.on('close', () => resolve(body));
    socket.on('error', () => {});
  });
}

let workdir: string;
beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'leases-suite-'));
});
afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

describe('laptops activating, leases stored as-is (no public key)', () => {
  const keys = makeKeys();
  let server: LeaseServer;
  beforeAll(async () => {
    server = await LeaseServer.start();
  });
  afterAll(() => server?.daemon.dispose());

  it('warns at start that signatures are not checked, and says so in /status', async () => {
    await server.daemon.waitForLog((l) => l.level === 40 && /public_key is not set/.test(l.msg));
    const status = server.daemon.plugin(await server.daemon.status(), 'leases');
    expect(status?.details).toMatchObject({ verification: 'off', stolen: expect.any(Number), expired: expect.any(Number) });
    expect(JSON.stringify(status?.details)).not.toMatch(/[A-Z]{3}[0-9A-F]{8}/);
  });

  it('gives a laptop its lease from a JSON bundle, all of its leases as stored', async () => {
    const ana = xo();
    const two = makeLease(ana, 100, keys) + makeLease(ana, 200, keys);
    const report = await server.upload(jsonBundle({ [ana.serial]: two }));
    expect(report).toMatchObject({ form: 'json', verification: 'off', serials: 1, leases: 2, refused: [] });
    expect(await server.activate(ana)).toEqual({ outcome: 'lease', lease: firstLine(two), expires: expect.any(String) });
    expect(await rawExchange(server.port, ana.serial)).toBe(two);
    const logged = await server.daemon.waitForLog((l) => l.serial === ana.serial && l.outcome === 'lease');
    expect(JSON.stringify(logged)).not.toContain('act01');
  });

  it('takes a single-lease bundle, and the rtcreset form of the request', async () => {
    const ben = xo();
    expect(await server.upload(makeLease(ben, 30, keys))).toMatchObject({ form: 'lines', serials: 1 });
    const result = await server.activate(ben, { request: `rtcreset ${ben.serial} 20110512T003512Z 0000000135` });
    expect(result.outcome).toBe('lease');
  });

  it('answers nothing to a laptop it has no lease for, and to garbage', async () => {
    expect(await server.activate(xo())).toEqual({ outcome: 'none' });
    expect(await server.activate(xo(), { request: 'GET / HTTP/1.0\r\n\r\n' })).toEqual({ outcome: 'none' });
    expect(await rawExchange(server.port, 'S'.repeat(1000))).toBe('');
  });

  it('locks a stolen laptop: exactly STOLEN, on port 191 and over HTTP', async () => {
    const caro = xo();
    await server.upload(makeLease(caro, 30, keys));
    expect((await server.admin(`/leases/v1/stolen/${caro.serial}`, { method: 'PUT' })).status).toBe(201);
    expect(await server.activate(caro)).toEqual({ outcome: 'stolen' });
    expect(await rawExchange(server.port, caro.serial)).toBe('STOLEN');
    const http = await server.daemon.fetch(`/leases/v1/lease?serial=${caro.serial}`);
    expect([http.status, await http.text()]).toEqual([200, 'STOLEN']);
  });

  it('serves the lease over HTTP for newer clients, 404 when there is none', async () => {
    const dan = xo();
    const line = makeLease(dan, 30, keys);
    await server.upload(line);
    const found = await server.daemon.fetch(`/leases/v1/lease?serial=${dan.serial}`);
    expect([found.status, found.headers.get('content-type'), await found.text()]).toEqual([200, 'text/plain; charset=us-ascii', line]);
    const missing = await server.daemon.fetch('/leases/v1/lease?serial=SHC0FFFFFFF');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'LEASES_ERR_NO_LEASE', message: 'no lease for SHC0FFFFFFF' } });
    expect((await server.daemon.fetch('/leases/v1/lease?serial=../etc')).status).toBe(400);
  });

  it('keeps the admin API for admins and refuses bundles that are not bundles', async () => {
    expect((await server.daemon.fetch('/leases/v1/bundles', { method: 'POST', body: '[1,{}]' })).status).toBe(401);
    const garbage = await server.admin('/leases/v1/bundles', { method: 'POST', body: 'hello world' });
    expect(garbage.status).toBe(400);
    expect((await errorOf(garbage)).code).toBe('LEASES_ERR_BAD_BUNDLE');
  });

  it('imports many laptops\' leases, and a swarm of them activates at once', async () => {
    const laptops = Array.from({ length: 40 }, () => xo());
    await server.upload(jsonBundle(Object.fromEntries(laptops.map((l) => [l.serial, makeLease(l, 90, keys)]))));
    const results = await Promise.all(laptops.map((l) => server.activate(l)));
    expect(results.every((r) => r.outcome === 'lease')).toBe(true);
  });
});

/** The first line of a lease text, with its newline: the one the laptop keeps. */
function firstLine(text: string): string {
  return `${text.split('\n')[0]}\n`;
}

describe('importing from files and USB folders with the CLI', () => {
  const keys = makeKeys();
  let server: LeaseServer;
  beforeAll(async () => {
    server = await LeaseServer.start();
  });
  afterAll(() => server?.daemon.dispose());

  /** An xs-activation folder as `sha1sum * > manifest.sha1` leaves it. */
  async function usbDisk(files: Record<string, string>): Promise<string> {
    const disk = await mkdtemp(join(workdir, 'usb-'));
    const folder = join(disk, 'xs-activation');
    await mkdir(folder);
    for (const [name, data] of Object.entries(files)) await writeFile(join(folder, name), data);
    const sha1 = (data: string) => createHash('sha1').update(data).digest('hex');
    await writeFile(join(folder, 'manifest.sha1'), Object.entries(files).map(([name, data]) => `${sha1(data)}  ${name}\n`).join(''));
    return disk;
  }

  it('imports a lease.sig file', async () => {
    const ana = xo();
    const file = join(workdir, 'lease.sig');
    await writeFile(file, makeLease(ana, 30, keys));
    const result = await server.daemon.cli('leases', 'import', file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('imported 1 lease for 1 serial (lease lines)');
    expect(result.stdout).toContain('signatures NOT checked');
    expect((await server.activate(ana)).outcome).toBe('lease');
  });

  it('imports a USB disk\'s xs-activation folder whose manifest checks out', async () => {
    const ben = xo();
    const disk = await usbDisk({ 'leases.sig': jsonBundle({ [ben.serial]: makeLease(ben, 30, keys) }), 'README.txt': 'leases for school 12' });
    const result = await server.daemon.cli('leases', 'import', disk);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('imported 1 lease for 1 serial (JSON bundle)');
    expect((await server.activate(ben)).outcome).toBe('lease');
  });

  it('refuses the whole folder, naming the file, when a digest is wrong', async () => {
    const caro = xo();
    const disk = await usbDisk({ 'leases.sig': makeLease(caro, 30, keys) });
    await writeFile(join(disk, 'xs-activation', 'leases.sig'), makeLease(caro, 3000, keys));
    const result = await server.daemon.cli('leases', 'import', disk);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/leases\.sig: its sha1 is [0-9a-f]{40}, manifest\.sha1 says [0-9a-f]{40}; nothing was imported/);
    expect(await server.activate(caro)).toEqual({ outcome: 'none' });
  });

  it('says what is wrong with its arguments', async () => {
    expect((await server.daemon.cli('leases', 'import')).code).toBe(2);
    expect((await server.daemon.cli('leases', 'import', join(workdir, 'absent.sig'))).stderr).toContain('does not exist');
  });
});

describe('signatures checked with the deployment key', () => {
  const keys = makeKeys();
  const stranger = makeKeys();
  let server: LeaseServer;
  beforeAll(async () => {
    const keyFile = join(workdir, 'deployment.pem');
    await writeFile(keyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    server = await LeaseServer.start(`public_key = ${keyFile}\n[plugins]\nregistry = on\n[registry]\nport = 0\naddress = 127.0.0.1\n`);
  });
  afterAll(() => server?.daemon.dispose());

  it('imports the good leases and reports each bad one with its serial and reason', async () => {
    const [good, forged, foreign] = [xo(), xo(), xo()];
    const forgedLine = makeLease(forged, 30, keys).replace(/[0-9a-f]{16}\n$/, '0123456789abcdef\n');
    const report = await server.upload(jsonBundle({
      [good.serial]: makeLease(good, 30, keys),
      [forged.serial]: forgedLine,
      [foreign.serial]: makeLease(foreign, 30, stranger),
    }));
    expect(report).toMatchObject({ verification: 'on', serials: 1, checked: { full: 0, key: 1 } });
    expect(report.refused).toEqual(expect.arrayContaining([
      { serial: forged.serial, code: 'LEASES_ERR_BAD_SIGNATURE', reason: expect.stringContaining(forged.serial) },
      { serial: foreign.serial, code: 'LEASES_ERR_WRONG_KEY', reason: expect.stringContaining(stranger.keyid) },
    ]));
    expect(report.refused).toHaveLength(2);
    expect(await server.activate(good, { publicKey: keys.publicKey })).toMatchObject({ outcome: 'lease' });
    expect(await server.activate(forged)).toEqual({ outcome: 'none' });
  });

  it('checks the whole signed statement for a registered laptop, expiry included', async () => {
    const ana = xo();
    expect((await ana.register(server.daemon.url, { protocol: 'json' })).success).toBe('OK');
    const good = makeLease(ana, 30, keys);
    expect((await server.upload(good)).checked).toEqual({ full: 1, key: 0 });
    const stretched = good.replace(/ K \d{8}T\d{6}Z /, ` K ${exp(3000)} `);
    const report = await server.upload(stretched);
    expect(report.refused).toEqual([{ serial: ana.serial, code: 'LEASES_ERR_BAD_SIGNATURE', reason: expect.stringContaining('uuid from the registry') }]);
    expect((await server.activate(ana, { publicKey: keys.publicKey })).lease).toBe(good);
  });

  it('a laptop checking with the key refuses a lease that is not for it', async () => {
    const ben = xo();
    const impostor = new Laptop({ ...ben.identity, uuid: '00000000-0000-0000-0000-000000000000' });
    await server.upload(makeLease(ben, 30, keys));
    const err = await server.activate(impostor, { publicKey: keys.publicKey }).catch((e: unknown) => e);
    expect(isSugaroidError(err) && err.code).toBe('SUGAROID_ERR_BAD_LEASE');
  });
});

describe('signing leases with the deployment\'s own key', () => {
  const keys = makeKeys();
  let keyFile: string;
  let publicFile: string;
  let server: LeaseServer;
  beforeAll(async () => {
    keyFile = join(workdir, 'signing.pem');
    publicFile = join(workdir, 'signing.public');
    await writeFile(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    // The public half as OLPC's tools write it: raw DER, PKCS#1.
    await writeFile(publicFile, keys.publicKey.export({ type: 'pkcs1', format: 'der' }));
    server = await LeaseServer.start(`signing_key = ${keyFile}\npublic_key = ${publicFile}\n`);
  });
  afterAll(() => server?.daemon.dispose());

  it('signs and stores a lease through the API, and the laptop accepts it with the public key', async () => {
    const ana = xo();
    const response = await server.admin('/leases/v1/sign', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ serial: ana.serial, uuid: ana.identity.uuid, expires: '+30d' }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { serial: string; expires: string; lease: string };
    expect(body.lease).toMatch(new RegExp(`^act01: ${ana.serial} K \\d{8}T\\d{6}Z sig01: sha256 ${keys.keyid} [0-9a-f]{512}\\n$`));
    const result = await server.activate(ana, { publicKey: keys.publicKey });
    expect(result).toEqual({ outcome: 'lease', lease: body.lease, expires: body.expires });
  });

  it('refuses a sign request it cannot make into a lease', async () => {
    const post = (body: unknown) => server.admin('/leases/v1/sign', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const codes = [];
    for (const body of [
      { serial: 'SHC0A1B2C3D', uuid: 'nope', expires: '+30d' },
      { serial: 'SHC 0A1', uuid: '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D', expires: '+30d' },
      { serial: 'SHC0A1B2C3D', uuid: '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D', expires: '2001-01-01' },
    ]) codes.push((await errorOf(await post(body))).code);
    expect(codes).toEqual(['LEASES_ERR_BAD_UUID', 'LEASES_ERR_BAD_SERIAL', 'LEASES_ERR_BAD_EXPIRY']);
  });

  it('prints a lease with the sign command that verifies with the public key', async () => {
    const uuid = '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D';
    const result = await server.daemon.cli('leases', 'sign', '--serial', 'SHC005007B7', '--uuid', uuid, '--expires', '2099-06-30');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const match = /^act01: SHC005007B7 K (20990630T235959Z) sig01: sha256 ([0-9a-f]{64}) ([0-9a-f]+)\n$/.exec(result.stdout);
    expect(match?.[2]).toBe(keys.keyid);
    const good = verify('sha256', Buffer.from(`SHC005007B7:${uuid}:K:${match![1]}`), {
      key: keys.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8,
    }, Buffer.from(match![3]!, 'hex'));
    expect(good).toBe(true);
  });

  it('signs with --key, and says so when there is no key at all', async () => {
    const other = makeKeys();
    const otherFile = join(workdir, 'other.der');
    await writeFile(otherFile, other.privateKey.export({ type: 'pkcs1', format: 'der' }));
    const signed = await server.daemon.cli('leases', 'sign', '--serial', 'SHC005007B7', '--uuid', '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D', '--expires', '+1d', '--key', otherFile);
    expect(signed.stdout).toContain(` sig01: sha256 ${other.keyid} `);
    const plain = await LeaseServer.start();
    try {
      const response = await plain.admin('/leases/v1/sign', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"serial":"SHC005007B7","uuid":"1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D","expires":"+1d"}' });
      expect(response.status).toBe(409);
      expect((await errorOf(response)).code).toBe('LEASES_ERR_NO_SIGNING_KEY');
      const cli = await plain.daemon.cli('leases', 'sign', '--serial', 'SHC005007B7', '--uuid', '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D', '--expires', '+1d');
      expect([cli.code, cli.stderr]).toEqual([2, expect.stringContaining('sign needs --key FILE')]);
    } finally {
      await plain.daemon.dispose();
    }
  });
});

describe('the stolen list, by API and CLI', () => {
  const keys = makeKeys();
  let server: LeaseServer;
  beforeAll(async () => {
    server = await LeaseServer.start();
  });
  afterAll(() => server?.daemon.dispose());

  it('locks a laptop from the next request on, and unlocks it again', async () => {
    const ana = xo();
    await server.upload(makeLease(ana, 30, keys));
    expect((await server.activate(ana)).outcome).toBe('lease');

    const add = await server.daemon.cli('leases', 'stolen', 'add', ana.serial);
    expect([add.code, add.stdout.trim()]).toEqual([0, `${ana.serial} is on the stolen list: it is answered STOLEN from now on`]);
    expect(await server.activate(ana)).toEqual({ outcome: 'stolen' });

    const list = await server.daemon.cli('leases', 'stolen', 'list');
    expect(list.stdout).toMatch(new RegExp(`^${ana.serial}  since \\d{4}-`));
    const api = (await (await server.admin('/leases/v1/stolen')).json()) as { stolen: { serial: string }[] };
    expect(api.stolen.map((s) => s.serial)).toEqual([ana.serial]);

    expect((await server.daemon.cli('leases', 'stolen', 'remove', ana.serial)).code).toBe(0);
    expect((await server.activate(ana)).outcome).toBe('lease');
    expect((await server.daemon.cli('leases', 'stolen', 'list')).stdout.trim()).toBe('no serial is on the stolen list');
  });

  it('marks a serial it holds no lease for, and refuses what makes no sense', async () => {
    expect((await server.admin('/leases/v1/stolen/SHC0BADBAD0', { method: 'PUT' })).status).toBe(201);
    expect((await server.admin('/leases/v1/stolen/SHC0BADBAD0', { method: 'PUT' })).status).toBe(200);
    expect(await rawExchange(server.port, 'SHC0BADBAD0')).toBe('STOLEN');
    expect((await server.admin('/leases/v1/stolen/SHC0BADBAD0', { method: 'DELETE' })).status).toBe(204);
    const again = await server.admin('/leases/v1/stolen/SHC0BADBAD0', { method: 'DELETE' });
    expect([again.status, (await errorOf(again)).code]).toEqual([404, 'LEASES_ERR_NOT_STOLEN']);
    const removeCli = await server.daemon.cli('leases', 'stolen', 'remove', 'SHC0BADBAD0');
    expect([removeCli.code, removeCli.stderr]).toEqual([1, expect.stringContaining('is not on the stolen list')]);
    expect((await server.daemon.cli('leases', 'stolen', 'add', 'not/a/serial')).code).toBe(2);
    expect((await server.daemon.fetch('/leases/v1/stolen/SHC0BADBAD0', { method: 'PUT' })).status).toBe(401);
  });
});

describe('the report', () => {
  const keys = makeKeys();
  let server: LeaseServer;
  const laptops = { soon: xo(), later: xo(), far: xo(), gone: xo(), unleased: xo() };
  beforeAll(async () => {
    server = await LeaseServer.start('[plugins]\nregistry = on\n[registry]\nport = 0\naddress = 127.0.0.1\n');
    await server.upload(jsonBundle({
      [laptops.soon.serial]: makeLease(laptops.soon, 3.5, keys),
      [laptops.later.serial]: makeLease(laptops.later, 20.5, keys),
      [laptops.far.serial]: makeLease(laptops.far, 60.5, keys),
      [laptops.gone.serial]: makeLease(laptops.gone, -100, keys) + makeLease(laptops.gone, -2, keys),
    }));
    for (const laptop of [laptops.soon, laptops.unleased]) expect((await laptop.register(server.daemon.url, { protocol: 'json' })).success).toBe('OK');
  });
  afterAll(() => server?.daemon.dispose());

  it('lists expired and soon-expiring serials by their last lease, soonest first', async () => {
    const report = (await (await server.admin('/leases/v1/report')).json()) as LeaseReport;
    expect(report.counts).toEqual({ serials: 4, leases: 5, stolen: 0, stolenBySource: { local: 0, upstream: 0 } });
    expect(report.warningDays).toBe(30);
    expect(report.expiringSoon.map((e) => [e.serial, e.daysLeft]))
      .toEqual([[laptops.soon.serial, 3], [laptops.later.serial, 20]]);
    expect(report.expired.map((e) => [e.serial, e.daysAgo])).toEqual([[laptops.gone.serial, 2]]);
    expect(report.registered).toEqual({ count: 2, withoutLease: [{ serial: laptops.unleased.serial, nick: laptops.unleased.identity.nick }] });
    const wider = (await (await server.admin('/leases/v1/report?days=90')).json()) as LeaseReport;
    expect(wider.expiringSoon.map((e) => e.serial)).toEqual([laptops.soon.serial, laptops.later.serial, laptops.far.serial]);
    expect((await server.admin('/leases/v1/report?days=soon')).status).toBe(400);
  });

  it('prints it readably with the CLI, expired first', async () => {
    const result = await server.daemon.cli('leases', 'report');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(lines[0]).toBe('4 serial(s) with leases, 5 lease(s), 0 stolen (0 marked here, 0 from upstream); signatures NOT checked (no public_key)');
    expect(at('EXPIRED (1)')).toBeLessThan(at('EXPIRING within 30 days (2)'));
    expect(at(laptops.gone.serial)).toBeLessThan(at(laptops.soon.serial));
    expect(at(laptops.soon.serial)).toBeLessThan(at(laptops.later.serial));
    expect(lines[at(laptops.soon.serial)]).toMatch(/expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC {2}\(in 3 days\)$/);
    expect(at(laptops.far.serial)).toBe(-1);
    expect(at('registered laptops without a lease (1 of 2)')).toBeGreaterThan(0);
    const json = await server.daemon.cli('leases', 'report', '--days', '90', '--json');
    expect(JSON.parse(json.stdout).expiringSoon).toHaveLength(3);
  });

  it('says when the registry is not running', async () => {
    const alone = await LeaseServer.start();
    try {
      const report = (await (await alone.admin('/leases/v1/report')).json()) as LeaseReport;
      expect(report).toMatchObject({ registered: null, registryNote: 'registry not running', verification: 'off' });
    } finally {
      await alone.daemon.dispose();
    }
  });
});

describe('one server mirroring another\'s leases', () => {
  const keys = makeKeys();
  let mothership: LeaseServer;
  let school: LeaseServer;
  beforeAll(async () => {
    mothership = await LeaseServer.start();
  });
  afterAll(async () => {
    await school?.daemon.dispose();
    await mothership?.daemon.dispose();
  });

  it('publishes everything it holds as a canonical bundle, and a school serves it to its laptops', async () => {
    const ana = xo();
    const lease = makeLease(ana, 30, keys);
    await mothership.upload(lease);
    const manifest = await mothership.daemon.json('/feeds/v1/leases/manifest.json');
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(['leases.sig', 'stolen.txt']);
    const published = await (await mothership.daemon.fetch('/feeds/v1/leases/leases.sig')).text();
    expect(published).toBe(jsonBundle({ [ana.serial]: lease }));

    school = await LeaseServer.start(`upstream = ${mothership.daemon.url}/feeds/v1/leases/\nupstream_interval = 300ms\n`);
    const deadline = Date.now() + 15_000;
    let result = await school.activate(ana);
    while (result.outcome !== 'lease' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await school.activate(ana);
    }
    expect(result).toMatchObject({ outcome: 'lease', lease });

    const ben = xo();
    await mothership.upload(makeLease(ben, 30, keys));
    await school.daemon.waitForLog((l) => l.msg === 'leases feed applied' && l.serials === 2, 15_000);
    expect((await school.activate(ben)).outcome).toBe('lease');
  });
});
