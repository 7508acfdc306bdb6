import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegisteredLaptop } from 'sugar-server-registry';
import { callXmlRpc, Laptop, swarm } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, runCommand, storedDocument } from '../harness/index.js';

const CONFIG = '[plugins]\nregistry = on\n[registry]\nport = 0\naddress = 127.0.0.1\n';
const SUGAR_REGISTER = fileURLToPath(new URL('./registry/sugar_register.py', import.meta.url));

interface Registry {
  daemon: DaemonProcess;
  /** The XML-RPC port, as a laptop's `http://schoolserver:8080/`. */
  xmlrpc: string;
  token: string;
}

async function startRegistry(extra = ''): Promise<Registry> {
  const daemon = await DaemonProcess.start({ config: CONFIG + extra });
  const plugin = daemon.plugin(await daemon.status(), 'registry');
  const listener = plugin?.listeners.find((l) => l.name === 'registration');
  if (plugin?.state !== 'running' || !listener) throw new Error(`registry not running: ${JSON.stringify(plugin)}`);
  const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  return { daemon, xmlrpc: `http://127.0.0.1:${listener.port}/`, token };
}

function admin(registry: Registry, path: string, init: RequestInit = {}): Promise<Response> {
  return registry.daemon.fetch(path, { ...init, headers: { Authorization: `Bearer ${registry.token}` } });
}

async function record(registry: Registry, serial: string): Promise<RegisteredLaptop> {
  const response = await admin(registry, `/registry/v1/laptops/${serial}`);
  expect(response.status).toBe(200);
  return (await response.json()) as RegisteredLaptop;
}

interface LaptopPage {
  total: number;
  offset: number;
  limit: number;
  laptops: RegisteredLaptop[];
}

async function page(registry: Registry, query = ''): Promise<LaptopPage> {
  const response = await admin(registry, `/registry/v1/laptops${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as LaptopPage;
}

/** The core's JSON error body. */
async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

/** POST a raw body to the XML-RPC port. */
function postXml(registry: Registry, body: string): Promise<Response> {
  return fetch(registry.xmlrpc, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body, signal: AbortSignal.timeout(10_000) });
}

const faultCode = (xml: string) => Number(/<name>faultCode<\/name>\s*<value><int>(-?\d+)<\/int>/.exec(xml)?.[1]);

describe('registry: laptops register', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(() => registry?.daemon.dispose());

  it('registers an old XO by XML-RPC, with its bare DSA key blob', async () => {
    const laptop = Laptop.create({ keyType: 'dsa' });
    const result = await laptop.register(registry.xmlrpc);
    expect(result).toEqual({ success: 'OK', backupurl: `${laptop.serial}@schoolserver:backup`, jabberserver: 'schoolserver' });
    expect(await record(registry, laptop.serial)).toMatchObject({
      serial: laptop.serial, uuid: laptop.identity.uuid, nick: laptop.identity.nick,
      pubkey: laptop.identity.sshKey.publicBlob, keyType: 'ssh-dss', classGroup: null,
    });
  });

  it('registers a newer laptop by JSON', async () => {
    const laptop = Laptop.create({ keyType: 'ecdsa' });
    expect(await laptop.register(registry.daemon.url, { protocol: 'json' }))
      .toEqual({ success: 'OK', backupurl: `${laptop.serial}@schoolserver:backup`, jabberserver: 'schoolserver' });
    expect((await record(registry, laptop.serial)).keyType).toBe('ecdsa-sha2-nistp256');
  });

  it('refuses a bad serial and a bad key with a reason, by both protocols, storing nothing', async () => {
    const good = Laptop.create().identity;
    const badSerial = new Laptop({ ...good, serial: 'shc0123456a' });
    const badKey = new Laptop({ ...good, sshKey: { ...good.sshKey, publicBlob: 'c3NoLWZvbw==' } });
    const { total } = await page(registry);

    expect(await badSerial.register(registry.xmlrpc)).toEqual({ success: 'ERR', error: expect.stringMatching(/^serial "shc0123456a" is not a laptop serial/) });
    expect(await badSerial.register(registry.daemon.url, { protocol: 'json' }))
      .toMatchObject({ success: 'ERR', code: 'REGISTRY_ERR_BAD_SERIAL' });
    expect(await badKey.register(registry.xmlrpc)).toEqual({ success: 'ERR', error: expect.stringMatching(/^public key /) });
    expect(await badKey.register(registry.daemon.url, { protocol: 'json' })).toMatchObject({ success: 'ERR', code: 'REGISTRY_ERR_BAD_KEY' });

    expect((await page(registry)).total).toBe(total);
    expect((await admin(registry, `/registry/v1/laptops/${good.serial}`)).status).toBe(404);
  });

  it('updates the record when a laptop registers again, keeping its first registration time', async () => {
    const laptop = Laptop.create();
    await laptop.register(registry.xmlrpc);
    const first = await record(registry, laptop.serial);
    const renamed = new Laptop({ ...Laptop.create({ keyType: 'rsa' }).identity, serial: laptop.serial, uuid: laptop.identity.uuid.toUpperCase(), nick: 'Ana María' });
    expect((await renamed.register(registry.xmlrpc)).success).toBe('OK');
    const second = await record(registry, laptop.serial);
    expect(second).toMatchObject({
      uuid: first.uuid, nick: 'Ana María', pubkey: renamed.identity.sshKey.publicBlob, keyType: 'ssh-rsa', firstRegistered: first.firstRegistered,
    });
    expect(Date.parse(second.lastRegistered)).toBeGreaterThanOrEqual(Date.parse(first.lastRegistered));
  });

  it('refuses a registered serial from another uuid, and warns with both uuids', async () => {
    const laptop = Laptop.create();
    await laptop.register(registry.xmlrpc);
    const impostor = new Laptop({ ...laptop.identity, uuid: randomUUID() });
    expect(await impostor.register(registry.xmlrpc)).toEqual({ success: 'ERR', error: expect.stringMatching(/already registered to a machine with another uuid/) });
    expect(await impostor.register(registry.daemon.url, { protocol: 'json' })).toMatchObject({ success: 'ERR', code: 'REGISTRY_ERR_UUID_CLASH' });
    const warning = await registry.daemon.waitForLog((line) => line.level === 40 && line.serial === laptop.serial);
    expect(warning).toMatchObject({ registeredUuid: laptop.identity.uuid, offeredUuid: impostor.identity.uuid, code: 'REGISTRY_ERR_UUID_CLASH' });
    expect((await record(registry, laptop.serial)).uuid).toBe(laptop.identity.uuid);
  });

  it('answers an unknown method and wrong parameters with XML-RPC faults', async () => {
    const url = new URL(registry.xmlrpc);
    expect(await callXmlRpc(url, 'unregister', ['SHC0123456A'])).toMatchObject({ kind: 'fault', faultCode: -32601 });
    expect(await callXmlRpc(url, 'register', ['SHC0123456A', 'Ana', randomUUID()]))
      .toMatchObject({ kind: 'fault', faultCode: -32602, faultString: expect.stringMatching(/got 3 parameters/) });
  });

  it('answers malformed XML, and bodies that are no XML at all, with a parse fault', async () => {
    for (const body of ['<methodCall><methodName>register</methodName>', '{"serial":"SHC0123456A"}', '']) {
      const response = await postXml(registry, body);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
      expect(faultCode(await response.text())).toBe(-32700);
    }
  });

  it('refuses a registration posted as a web form or without a type, as a page on another site could send it', async () => {
    const laptop = Laptop.create();
    const { serial, nick, uuid, sshKey } = laptop.identity;
    const body = `<?xml version='1.0'?><methodCall><methodName>register</methodName><params>${[serial, nick, uuid, sshKey.publicBlob]
      .map((p) => `<param><value><string>${p}</string></value></param>`).join('')}</params></methodCall>`;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const response = await fetch(registry.xmlrpc, {
        method: 'POST', body: new Blob([body], type ? { type } : {}), signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(faultCode(text)).toBe(-32600);
      expect(text).toMatch(/Content-Type/);
    }
    expect((await admin(registry, `/registry/v1/laptops/${serial}`)).status).toBe(404);
    for (const type of ['text/xml', 'text/xml; charset=utf-8', 'application/xml', 'Text/XML']) {
      const response = await fetch(registry.xmlrpc, { method: 'POST', headers: { 'Content-Type': type }, body, signal: AbortSignal.timeout(10_000) });
      expect(await response.text()).toContain('<name>success</name>\n<value><string>OK</string>');
    }
    expect((await record(registry, serial)).uuid).toBe(uuid);
  });

  it('refuses entity tricks outright and keeps serving', async () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) =>
      `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('')}]>` +
      '<methodCall><methodName>register</methodName><params><param><value>&lol9;</value></param></params></methodCall>';
    const external = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
      '<methodCall><methodName>register</methodName><params><param><value>&xxe;</value></param></params></methodCall>';
    for (const body of [laughs, external]) {
      const text = await (await postXml(registry, body)).text();
      expect(faultCode(text)).toBe(-32600);
      expect(text).toContain('document type declarations and entity declarations are not accepted');
      expect(text).not.toContain('root:');
    }
    expect((await Laptop.create().register(registry.xmlrpc)).success).toBe('OK');
  });

  it('refuses an oversized body before reading it, and keeps serving', async () => {
    const laptop = Laptop.create();
    const response = await postXml(registry, `<methodCall><methodName>register</methodName><params><param><value>${'A'.repeat(20_000)}</value></param></params></methodCall>`);
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe('SERVER_ERR_BODY_TOO_LARGE');
    const json = await registry.daemon.fetch('/registry/v1/register', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ serial: laptop.serial, nick: 'x'.repeat(20_000) }),
    });
    expect(json.status).toBe(413);
    expect((await laptop.register(registry.xmlrpc)).success).toBe('OK');
    expect(registry.daemon.plugin(await registry.daemon.status(), 'registry')?.state).toBe('running');
  });

  it("answers Python's xmlrpc.client exactly as Sugar reads it", async () => {
    const laptop = Laptop.create({ keyType: 'dsa', nick: 'José <Ana> & "Bo"' });
    const { serial, nick, uuid, sshKey } = laptop.identity;
    const sugar = async (...args: string[]) => {
      const run = await runCommand('python3', [SUGAR_REGISTER, registry.xmlrpc, ...args]);
      expect(run.stderr).toBe('');
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };
    expect(await sugar('register', serial, nick, uuid, sshKey.publicBlob))
      .toEqual({ success: 'OK', backupurl: `${serial}@schoolserver:backup`, jabberserver: 'schoolserver' });
    expect((await record(registry, serial)).nick).toBe(nick);
    // Sugar's fallback identity when the firmware has none.
    expect(await sugar('register', 'SHF00000000', nick, '00000000-0000-0000-0000-000000000000', sshKey.publicBlob)).toMatchObject({ success: 'OK' });
    expect(await sugar('register', 'SHC123', nick, uuid, sshKey.publicBlob)).toEqual({ success: 'ERR', error: expect.stringMatching(/not a laptop serial/) });
    expect(await sugar('unregister', serial)).toMatchObject({ fault: -32601 });
  });
});

describe('registry: the admin API', () => {
  let registry: Registry;
  const serials = ['SHC00000003', 'SHC00000001', 'SHC00000005', 'SHC00000002', 'SHC00000004'];

  beforeAll(async () => {
    registry = await startRegistry();
    for (const serial of serials) expect((await Laptop.create({ serial }).register(registry.xmlrpc)).success).toBe('OK');
  });
  afterAll(() => registry?.daemon.dispose());

  it('lets only the admin read and delete laptops', async () => {
    for (const [method, path] of [['GET', '/registry/v1/laptops'], ['GET', '/registry/v1/laptops/SHC00000001'], ['DELETE', '/registry/v1/laptops/SHC00000001']] as const) {
      const none = await registry.daemon.fetch(path, { method });
      expect(none.status).toBe(401);
      expect((await errorOf(none)).code).toBe('SERVER_ERR_UNAUTHORIZED');
      const wrong = await registry.daemon.fetch(path, { method, headers: { Authorization: 'Bearer not-the-token-at-all' } });
      expect(wrong.status).toBe(401);
    }
    expect((await record(registry, 'SHC00000001')).serial).toBe('SHC00000001');
  });

  it('pages through the laptops in serial order', async () => {
    const first = await page(registry, '?limit=2');
    expect(first).toMatchObject({ total: 5, offset: 0, limit: 2 });
    expect(first.laptops.map((l) => l.serial)).toEqual(['SHC00000001', 'SHC00000002']);
    const last = await page(registry, '?offset=4&limit=2');
    expect(last.laptops.map((l) => l.serial)).toEqual(['SHC00000005']);
    const all = await page(registry);
    expect(all).toMatchObject({ total: 5, offset: 0, limit: 100 });
    expect(all.laptops.map((l) => l.serial)).toEqual([...serials].sort());
  });

  it.each(['offset=-1', 'limit=0', 'limit=1001', 'limit=abc', 'offset=1&offset=2'])('refuses the page %s', async (query) => {
    const response = await admin(registry, `/registry/v1/laptops?${query}`);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('REGISTRY_ERR_BAD_PAGE');
  });

  it('checks the serial in the path before using it', async () => {
    for (const path of ['shc00000001', '..%2F..%2Fetc', '__proto__', 'SHC00000001%00']) {
      const response = await admin(registry, `/registry/v1/laptops/${path}`);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('REGISTRY_ERR_BAD_SERIAL');
    }
    const unknown = await admin(registry, '/registry/v1/laptops/SHC0000000F');
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toEqual({ code: 'REGISTRY_ERR_NOT_REGISTERED', message: 'no laptop with serial SHC0000000F is registered' });
  });

  it('deletes a laptop, which may then register from another machine', async () => {
    expect((await admin(registry, '/registry/v1/laptops/SHC00000003', { method: 'DELETE' })).status).toBe(204);
    expect((await admin(registry, '/registry/v1/laptops/SHC00000003')).status).toBe(404);
    expect((await admin(registry, '/registry/v1/laptops/SHC00000003', { method: 'DELETE' })).status).toBe(404);
    expect((await page(registry)).total).toBe(4);
    expect((await Laptop.create({ serial: 'SHC00000003' }).register(registry.xmlrpc)).success).toBe('OK');
  });
});

describe('registry: laptops in bulk, and class groups', () => {
  let registry: Registry;
  let workdir: string;
  const ana = Laptop.create({ keyType: 'dsa', nick: '=HYPERLINK("http://x")' });
  const bo = Laptop.create({ keyType: 'ed25519', nick: 'Bo, "the 2nd"' });
  const newcomer = Laptop.create({ keyType: 'rsa' });
  const row = (laptop: Laptop, classGroup = '', uuid = laptop.identity.uuid) =>
    [laptop.serial, uuid, laptop.identity.nick, laptop.identity.sshKey.publicBlob, classGroup];
  const csvOf = (rows: string[][], header = 'serial,uuid,nick,key,class group') =>
    `${header}\n${rows.map((fields) => fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',')).join('\n')}\n`;

  beforeAll(async () => {
    registry = await startRegistry();
    workdir = await mkdtemp(join(tmpdir(), 'registry-csv-'));
    for (const laptop of [ana, bo]) expect((await laptop.register(registry.xmlrpc)).success).toBe('OK');
  });
  afterAll(async () => {
    await registry?.daemon.dispose();
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  it('exports every laptop as CSV, a nick that looks like a formula defused', async () => {
    const result = await registry.daemon.cli('registry', 'export', '--csv');
    expect(result.code).toBe(0);
    // RFC 4180: a field is quoted when it holds a comma, a quote or a line break.
    const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const lines = [ana, bo].sort((a, b) => a.serial.localeCompare(b.serial)).map((laptop) => [
      laptop.serial, laptop.identity.uuid, laptop === ana ? `'${ana.identity.nick}` : bo.identity.nick,
      `${laptop === ana ? 'ssh-dss' : 'ssh-ed25519'} ${laptop.identity.sshKey.publicBlob}`, '',
    ].map(field).join(','));
    expect(result.stdout).toBe(`serial,uuid,nick,key,class group\n${lines.join('\n')}\n`);
    expect((await registry.daemon.cli('registry', 'export')).code).toBe(2);
  });

  it('reports every bad row of a dry run by line, and writes nothing', async () => {
    const file = join(workdir, 'bad.csv');
    await writeFile(file, csvOf([
      row(ana, '5B'),
      row(newcomer, '5B', 'not-a-uuid'),
      [newcomer.serial, 'too', 'few'],
      row(bo, '5A', randomUUID()),
      row(ana, '6A'),
      row(newcomer, '5B'),
    ]));
    const result = await registry.daemon.cli('registry', 'import', '--csv', file, '--dry-run');
    expect(result.code).toBe(1);
    const problems = result.stdout.split('\n').filter((line) => line.startsWith(`${file}:`));
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3: ${newcomer.serial}: REGISTRY_ERR_BAD_UUID: uuid "not-a-uuid"`)),
      `${file}:4: -: REGISTRY_ERR_BAD_ROW: has 3 fields; the header names 5`,
      expect.stringMatching(new RegExp(`^${file}:5: ${bo.serial}: REGISTRY_ERR_UUID_CLASH: `)),
      `${file}:6: ${ana.serial}: REGISTRY_ERR_BAD_ROW: serial ${ana.serial} is already listed on line 2`,
    ]);
    expect(result.stdout).toMatch(/^checked 6 rows, nothing written \(dry run\)/);

    const real = await registry.daemon.cli('registry', 'import', '--csv', file, '--json');
    expect(real.code).toBe(1);
    expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, applied: false, rows: 6, problems: { length: 4 } });
    expect((await admin(registry, `/registry/v1/laptops/${newcomer.serial}`)).status).toBe(404);
    expect((await record(registry, ana.serial)).classGroup).toBeNull();
  });

  it('refuses a file that is no laptop list, naming what is wrong', async () => {
    const file = join(workdir, 'header.csv');
    await writeFile(file, csvOf([row(ana)], 'serial,uuid,name,key,class group'));
    const result = await registry.daemon.cli('registry', 'import', '--csv', file, '--dry-run');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not a laptop list: line 1: unknown column "name"/);
  });

  it('imports a good list in one go: class groups set, a laptop added, and the export imports back unchanged', async () => {
    const file = join(workdir, 'good.csv');
    await writeFile(file, csvOf([row(ana, ' 5B '), row(newcomer, '5A'), row(bo)]));
    const dry = await registry.daemon.cli('registry', 'import', '--csv', file, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: 'checked 3 rows, nothing written (dry run): the good rows would give 1 added, 1 updated, 1 unchanged\n' });
    expect((await admin(registry, `/registry/v1/laptops/${newcomer.serial}`)).status).toBe(404);

    const result = await registry.daemon.cli('registry', 'import', '--csv', file);
    expect(result).toMatchObject({ code: 0, stdout: 'imported 3 rows: 1 added, 1 updated, 1 unchanged\n' });
    expect(await record(registry, ana.serial)).toMatchObject({ classGroup: '5B', nick: ana.identity.nick, keyType: 'ssh-dss' });
    expect(await record(registry, newcomer.serial)).toMatchObject({ classGroup: '5A', uuid: newcomer.identity.uuid, keyType: 'ssh-rsa' });
    expect((await record(registry, bo.serial)).classGroup).toBeNull();

    // The laptop registers later as it always does: its class stays.
    expect((await newcomer.register(registry.xmlrpc)).success).toBe('OK');
    expect((await record(registry, newcomer.serial)).classGroup).toBe('5A');

    const exported = join(workdir, 'exported.csv');
    expect((await registry.daemon.cli('registry', 'export', '--csv', '--output', exported)).code).toBe(0);
    const again = await registry.daemon.cli('registry', 'import', '--csv', exported);
    expect(again).toMatchObject({ code: 0, stdout: 'imported 3 rows: 0 added, 0 updated, 3 unchanged\n' });
    expect((await record(registry, ana.serial)).nick).toBe(ana.identity.nick);
  });

  it('lets the admin set and clear a class group through the JSON API', async () => {
    const patch = (serial: string, body: unknown, token = registry.token) => registry.daemon.fetch(`/registry/v1/laptops/${serial}`, {
      method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const set = await patch(bo.serial, { classGroup: '6C' });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ serial: bo.serial, classGroup: '6C' });
    expect((await record(registry, bo.serial)).classGroup).toBe('6C');
    expect((await (await patch(bo.serial, { classGroup: null })).json())).toMatchObject({ classGroup: null });

    expect((await patch(bo.serial, { classGroup: '6C' }, 'not-the-token-at-all')).status).toBe(401);
    const bad = await patch(bo.serial, { classGroup: 'a\u0007b' });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('REGISTRY_ERR_BAD_CLASS_GROUP');
    const other = await patch(bo.serial, { nick: 'Mallory' });
    expect(other.status).toBe(400);
    expect((await errorOf(other)).code).toBe('REGISTRY_ERR_BAD_BODY');
    expect((await patch('SHC0000000F', { classGroup: '6C' })).status).toBe(404);
    expect((await record(registry, bo.serial)).classGroup).toBeNull();
  });
});

describe('registry: allow_rebind', () => {
  it('lets a registered serial move to another uuid when the admin allows it', async () => {
    const registry = await startRegistry('allow_rebind = on\n');
    try {
      const laptop = Laptop.create();
      await laptop.register(registry.xmlrpc);
      const replaced = new Laptop({ ...laptop.identity, uuid: randomUUID() });
      expect((await replaced.register(registry.xmlrpc)).success).toBe('OK');
      expect((await record(registry, laptop.serial)).uuid).toBe(replaced.identity.uuid);
      await registry.daemon.waitForLog((line) => line.level === 40 && line.outcome === 'rebound' && line.previousUuid === laptop.identity.uuid);
    } finally {
      await registry.daemon.dispose();
    }
  });
});

describe('registry: a whole school at once', () => {
  it('acknowledges 1,000 simultaneous registrations, every one on disk after a SIGKILL', async () => {
    const registry = await startRegistry();
    try {
      const laptops = Array.from({ length: 1000 }, () => Laptop.create());
      const report = await swarm(laptops.length, (i) => laptops[i]!.register(registry.xmlrpc));
      expect(report.firstErrors).toEqual({});
      expect(report.results.filter((result) => result?.success !== 'OK').slice(0, 3)).toEqual([]);

      registry.daemon.child.kill('SIGKILL');
      await registry.daemon.waitForExit();
      const stored = (await storedDocument<{ laptops: Record<string, RegisteredLaptop> }>(registry.daemon.root, 'registry')).laptops;
      const missing = laptops.filter((l) => stored[l.serial]?.uuid !== l.identity.uuid).map((l) => l.serial);
      expect(missing).toEqual([]);
      expect(Object.keys(stored)).toHaveLength(1000);
    } finally {
      await registry.daemon.dispose();
    }
  });
});
