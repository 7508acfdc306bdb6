/**
 * The activities plugin as laptops and admins meet it: sugaroid reading the
 * microformat page and asking ASLO, Range reads of bundles, downloads checked
 * against the page, Python's own parsers reading the page and the RDF as Sugar
 * does, admin uploads (good and hostile), deletes, the CLI, the problems list,
 * and one server mirroring another's library.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSugaroidError, Laptop, type UpdateCheck } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXo, hostile, writeXo, type XoSpec } from '../fixtures/xo-builder.js';
import { DaemonProcess, makeRoot, runCommand, SUGAROID_MAIN } from '../harness/index.js';

const SUGAR_UPDATER = fileURLToPath(new URL('../fixtures/sugar_updater.py', import.meta.url));
const ACTIVITIES = '[plugins]\nactivities = on\n';

class ActivityServer {
  private constructor(
    readonly daemon: DaemonProcess,
    readonly library: string,
    private readonly token: string,
  ) {}

  /** A daemon whose library holds `files` (name → bundle bytes) before it starts. */
  static async start(options: { config?: string; files?: Record<string, Buffer | Promise<Buffer>> } = {}): Promise<ActivityServer> {
    const root = await makeRoot({ config: ACTIVITIES + (options.config ?? '') });
    const library = join(root, 'var/lib/sugar-server/activities/library');
    await mkdir(library, { recursive: true });
    for (const [name, data] of Object.entries(options.files ?? {})) await writeFile(join(library, name), await data);
    const daemon = await DaemonProcess.startIn(root);
    await daemon.waitForLog((l) => l.msg === 'library indexed');
    const token = (await readFile(join(root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    return new ActivityServer(daemon, library, token);
  }

  get page(): string {
    return `${this.daemon.url}/activities/`;
  }

  bundleUrl(file: string): string {
    return `${this.daemon.url}/activities/bundles/${file}`;
  }

  admin(path: string, init: RequestInit = {}): Promise<Response> {
    return this.daemon.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${this.token}` } });
  }

  async upload(data: Buffer | Promise<Buffer>, query = ''): Promise<Response> {
    return this.admin(`/activities/v1/bundles${query}`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.olpc-sugar' }, body: await data });
  }
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

async function python(...args: string[]): Promise<any> {
  const run = await runCommand('python3', [SUGAR_UPDATER, ...args]);
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A GET with a Host header of our choosing (fetch always sends the URL's). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { Host: host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    }).on('error', reject).end();
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const PAINT: XoSpec = { id: 'org.laptop.Paint', name: 'Paint', summary: 'Draw and paint', translations: { es: { name: 'Pintar', summary: 'Dibuja y pinta' } } };
const CHAT: XoSpec = { id: 'org.laptop.Chat', name: 'Chat', version: '86', oldStyle: true, translations: { es: { name: 'Charla' } } };
const HOSTILE_TEXT: XoSpec = { id: 'org.example.Sneaky', name: '<script>alert(1)</script>', summary: '"quoted" & \'single\' <b>bold</b>', iconSvg: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' };

describe('the activity page, ASLO and the JSON API, as laptops see them', () => {
  let server: ActivityServer;
  let paint34: Buffer;
  beforeAll(async () => {
    paint34 = await buildXo({ ...PAINT, version: '34' });
    server = await ActivityServer.start({
      config: '[activities]\ngroup_name = Escuela 12\ngroup_description = Activities for <grade 3>\n',
      files: {
        'org.laptop.Paint-33.xo': buildXo({ ...PAINT, version: '33' }),
        'org.laptop.Paint-34.xo': paint34,
        'Chat-86.xo': buildXo(CHAT),
        'Sneaky-1.xo': buildXo(HOSTILE_TEXT),
        'broken.xo': hostile.notZip(),
        'evil.xo': hostile.traversal(),
      },
    });
  });
  afterAll(() => server?.daemon.dispose());

  it('offers the newest version of each activity, with links relative to the page', async () => {
    const laptop = Laptop.create();
    const check = await laptop.checkUpdates(server.page, { installed: [{ id: 'org.laptop.Paint', version: '33' }] });
    expect(check).toMatchObject({ groupName: 'Escuela 12', groupDescription: 'Activities for <grade 3>', offered: 3, failed: [] });
    expect(check.updates.map((u) => [u.id, u.installedVersion, u.version, u.url])).toEqual([
      ['org.example.Sneaky', null, '1', server.bundleUrl('Sneaky-1.xo')],
      ['org.laptop.Chat', null, '86', server.bundleUrl('Chat-86.xo')],
      ['org.laptop.Paint', '33', '34', server.bundleUrl('org.laptop.Paint-34.xo')],
    ]);
    expect(check.updates.find((u) => u.id === 'org.laptop.Paint')!.size).toBe(paint34.length);
  });

  it('lets a laptop read the name and icon of activities it does not have, by Range, in its language', async () => {
    const check = await Laptop.create().checkUpdates(server.page, { locale: 'es_PE', installed: [{ id: 'org.laptop.Paint', version: '34' }] });
    const chat = check.updates.find((u) => u.id === 'org.laptop.Chat')!;
    expect(chat).toMatchObject({ name: 'Charla', installedVersion: null });
    expect(chat.iconSvg).toContain('<svg');
    expect(check.updates.map((u) => u.id)).not.toContain('org.laptop.Paint');
    // The end of the file, then the entries: a few requests, never the whole bundle.
    expect(check.rangeRequests).toBeLessThanOrEqual(6);
  });

  it('reads the same entries with Python\'s HTMLParser as Sugar does', async () => {
    const check = await Laptop.create().checkUpdates(server.page);
    const sugar = await python('microformat', server.page);
    expect(sugar.group_name).toBe('Escuela 12');
    expect(sugar.group_desc).toBe('Activities for <grade 3>');
    expect(sugar.entries).toEqual(Object.fromEntries(check.updates.map((u) => [u.id, { version: u.version, url: u.url, optional: false }])));
    // Without the trailing slash the links still resolve to the bundles.
    const bare = await python('microformat', `${server.daemon.url}/activities`);
    expect(bare.entries['org.laptop.Paint'].url).toBe(server.bundleUrl('org.laptop.Paint-34.xo'));
  });

  it('shows people names, summaries and sizes in their language, escaping everything a bundle says', async () => {
    const spanish = await server.daemon.fetch('/activities/', { headers: { 'Accept-Language': 'es-PE, en;q=0.5' } });
    const html = await spanish.text();
    expect(html).toContain('<h2 class="name" lang="es">Pintar</h2>');
    expect(html).toContain('Dibuja y pinta');
    expect(spanish.headers.get('vary')).toBe('Accept-Language');
    const english = await (await server.daemon.fetch('/activities/index.html', { headers: { 'Accept-Language': 'fr, en' } })).text();
    expect(english).toContain('<h2 class="name">Paint</h2>');
    expect(english).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(english).toContain('&quot;quoted&quot; &amp; &#39;single&#39; &lt;b&gt;bold&lt;/b&gt;');
    expect(english).not.toMatch(/<script|<svg/);
    expect(english).toContain('<img class="icon" src="icons/org.laptop.Paint.svg"');
    const policy = spanish.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe');
  });

  it('serves icons as SVG under a policy that runs no script', async () => {
    const icon = await server.daemon.fetch('/activities/icons/org.example.Sneaky.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('content-security-policy')).toContain('sandbox');
    expect(icon.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await server.daemon.fetch('/activities/icons/org.example.Nothing.svg')).status).toBe(404);
    expect((await server.daemon.fetch('/activities/icons/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
  });

  it('answers the page 304 when it has not changed', async () => {
    const first = await server.daemon.fetch('/activities/');
    const again = await server.daemon.fetch('/activities/', { headers: { 'If-None-Match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('answers ASLO update checks as aslo.py reads them, with links on the Host asked', async () => {
    const aslo = `${server.daemon.url}/services/update-aslo.php`;
    const check = await Laptop.create().checkUpdates(aslo, {
      protocol: 'aslo',
      installed: [{ id: 'org.laptop.Paint', version: '33', name: 'Paint' }, { id: 'org.laptop.Chat', version: '86' }, { id: 'org.unknown.Thing', version: '1' }],
    });
    expect(check.failed).toEqual([]);
    expect(check.updates).toEqual([expect.objectContaining({ id: 'org.laptop.Paint', version: '34', url: server.bundleUrl('org.laptop.Paint-34.xo'), size: Math.ceil(paint34.length / 1024) * 1024 })]);
    expect(await python('aslo', aslo, 'org.laptop.Paint')).toEqual({ version: '34', link: server.bundleUrl('org.laptop.Paint-34.xo'), size: Math.ceil(paint34.length / 1024) * 1024 });
    expect(await python('aslo', aslo, 'org.unknown.Thing')).toBeNull();
    // fetch() will not send another Host; a laptop asking for schoolserver does.
    const named = await getWithHost(`${aslo}?id=org.laptop.Paint`, 'schoolserver');
    expect(named.body).toContain('<em:updateLink>http://schoolserver/activities/bundles/org.laptop.Paint-34.xo</em:updateLink>');
    const forged = await getWithHost(`${aslo}?id=org.laptop.Paint`, 'evil.example/"><x');
    expect([forged.status, JSON.parse(forged.body).error.code]).toEqual([400, 'ACTIVITIES_ERR_BAD_HOST']);
  });

  it('lists the files it refused, with the reason, and logs each', async () => {
    const problems = await server.daemon.json('/activities/v1/problems');
    expect(problems.count).toBe(2);
    expect(problems.problems.map((p: { file: string; code: string }) => [p.file, p.code])).toEqual([
      ['broken.xo', 'ACTIVITIES_ERR_NOT_ZIP'],
      ['evil.xo', 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ]);
    await server.daemon.waitForLog((l) => l.level === 40 && l.msg === 'bundle refused' && l.file === 'evil.xo');
    const status = server.daemon.plugin(await server.daemon.status(), 'activities');
    expect(status?.state).toBe('running');
    expect(status?.details).toMatchObject({
      problems: 2,
      firstProblems: [
        { file: 'broken.xo', code: 'ACTIVITIES_ERR_NOT_ZIP', reason: expect.any(String) },
        { file: 'evil.xo', code: 'ACTIVITIES_ERR_UNSAFE_ENTRY', reason: expect.any(String) },
      ],
    });
  });

  it('lists bundles as JSON, paged, by id, newest first', async () => {
    const all = await server.daemon.json('/activities/v1/bundles');
    expect(all.total).toBe(4);
    expect(all.bundles.map((b: { id: string; version: string; newest: boolean }) => `${b.id} ${b.version} ${b.newest}`)).toEqual([
      'org.example.Sneaky 1 true', 'org.laptop.Chat 86 true', 'org.laptop.Paint 34 true', 'org.laptop.Paint 33 false',
    ]);
    const paged = await server.daemon.json('/activities/v1/bundles?offset=1&limit=2');
    expect(paged.bundles.map((b: { id: string }) => b.id)).toEqual(['org.laptop.Chat', 'org.laptop.Paint']);
    const paint = await server.daemon.json('/activities/v1/bundles/org.laptop.Paint');
    expect(paint.versions.map((b: { version: string }) => b.version)).toEqual(['34', '33']);
    expect(paint.versions[0]).toMatchObject({ sha256: sha256(paint34), size: paint34.length, url: '/activities/bundles/org.laptop.Paint-34.xo', translations: { es: { name: 'Pintar' } } });
    const chat = await server.daemon.json('/activities/v1/bundles?id=org.laptop.Chat');
    expect(chat.bundles[0]).toMatchObject({ exec: 'sugar-activity example.ExampleActivity', warnings: expect.arrayContaining(['uses the old key class; Sugar wants exec']) });
    expect((await errorOf(await server.daemon.fetch('/activities/v1/bundles/org.nope'))).code).toBe('ACTIVITIES_ERR_NOT_FOUND');
    expect((await errorOf(await server.daemon.fetch('/activities/v1/bundles?limit=0'))).code).toBe('ACTIVITIES_ERR_BAD_PAGE');
  });
});

describe('activities: a large page, as Sugar reads it off the network', () => {
  const COUNT = 300;
  let server: ActivityServer;

  beforeAll(async () => {
    const files: Record<string, Promise<Buffer>> = {};
    for (let i = 0; i < COUNT; i++) {
      const version = `${100 + i}.${i % 7}`;
      files[`org.school.Activity${i}-${version}.xo`] = buildXo({ id: `org.school.Activity${i}`, name: `Activity ${i}`, version, summary: `Activity number ${i}` });
    }
    server = await ActivityServer.start({ files });
  }, 120_000);
  afterAll(() => server?.daemon.dispose());

  it('is read whole, every version right, whatever size the first read of the response is', async () => {
    // libsoup's reads as Sugar's Downloader makes them: after a first read of 64 B to 8 KiB (what arrived first), 8 KiB at a time.
    const sweep = await python('microformat-sweep', server.page, '64:8192:64');
    expect(sweep).toMatchObject({ entries: COUNT, patterns: 128 });
    expect(sweep.reads).toBeGreaterThan(10);
    expect(sweep.examples).toEqual([]);
    expect(sweep.misread).toBe(0);
  }, 120_000);
});

describe('downloads, whole and by Range', () => {
  let server: ActivityServer;
  let bundle: Buffer;
  let url: string;
  beforeAll(async () => {
    bundle = await buildXo({ ...PAINT, version: '34', padding: 200_000 });
    server = await ActivityServer.start({ files: { 'org.laptop.Paint-34.xo': bundle, 'broken.xo': hostile.notZip() } });
    url = '/activities/bundles/org.laptop.Paint-34.xo';
  });
  afterAll(() => server?.daemon.dispose());

  it('sends the whole bundle with its validators', async () => {
    const response = await server.daemon.fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.olpc-sugar');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('content-length')).toBe(String(bundle.length));
    expect(response.headers.get('etag')).toBe(`"${sha256(bundle).slice(0, 32)}"`);
    expect(response.headers.get('last-modified')).toMatch(/ GMT$/);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(bundle));
  });

  it('sends one range, several as multipart/byteranges, and 416 for none within the file', async () => {
    const one = await server.daemon.fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect([one.status, one.headers.get('content-range'), one.headers.get('content-length')]).toEqual([206, `bytes 100-199/${bundle.length}`, '100']);
    expect(Buffer.from(await one.arrayBuffer())).toEqual(bundle.subarray(100, 200));

    const tail = await server.daemon.fetch(url, { headers: { Range: 'bytes=-22' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bundle.subarray(-22));

    const many = await server.daemon.fetch(url, { headers: { Range: 'bytes=0-9, 1000-1009, -5' } });
    expect(many.status).toBe(206);
    const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(many.headers.get('content-type')!)![1]!;
    const body = Buffer.from(await many.arrayBuffer());
    expect(body.length).toBe(Number(many.headers.get('content-length')));
    const parts = body.toString('latin1').split(`--${boundary}`).slice(1, -1).map((part) => {
      const [head, data] = part.split('\r\n\r\n', 2) as [string, string];
      return { range: /Content-Range: bytes (\S+)/.exec(head)![1], data: Buffer.from(data.replace(/\r\n$/, ''), 'latin1') };
    });
    expect(parts).toEqual([
      { range: `0-9/${bundle.length}`, data: bundle.subarray(0, 10) },
      { range: `1000-1009/${bundle.length}`, data: bundle.subarray(1000, 1010) },
      { range: `${bundle.length - 5}-${bundle.length - 1}/${bundle.length}`, data: bundle.subarray(-5) },
    ]);

    const none = await server.daemon.fetch(url, { headers: { Range: `bytes=${bundle.length}-` } });
    expect([none.status, none.headers.get('content-range')]).toEqual([416, `bytes */${bundle.length}`]);
    expect((await errorOf(none)).code).toBe('ACTIVITIES_ERR_RANGE');
    const garbled = await server.daemon.fetch(url, { headers: { Range: 'bytes=9-1' } });
    expect([garbled.status, (await garbled.arrayBuffer()).byteLength]).toEqual([200, bundle.length]);
  });

  it('answers conditional requests: 304, and If-Range for the same file only', async () => {
    const first = await server.daemon.fetch(url, { method: 'HEAD' });
    const etag = first.headers.get('etag')!;
    const modified = first.headers.get('last-modified')!;
    expect((await server.daemon.fetch(url, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await server.daemon.fetch(url, { headers: { 'If-Modified-Since': modified } })).status).toBe(304);
    expect((await server.daemon.fetch(url, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
    expect((await server.daemon.fetch(url, { headers: { Range: 'bytes=0-0', 'If-Range': etag } })).status).toBe(206);
    expect((await server.daemon.fetch(url, { headers: { Range: 'bytes=0-0', 'If-Range': modified } })).status).toBe(206);
    expect((await server.daemon.fetch(url, { headers: { Range: 'bytes=0-0', 'If-Range': '"old"' } })).status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const head = await server.daemon.fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.headers.get('content-type')]).toEqual([200, String(bundle.length), 'application/vnd.olpc-sugar']);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const ranged = await server.daemon.fetch(url, { method: 'HEAD', headers: { Range: 'bytes=0-99' } });
    expect([ranged.status, ranged.headers.get('content-length')]).toEqual([206, '100']);
  });

  it('serves only files the index knows', async () => {
    for (const path of ['/activities/bundles/broken.xo', '/activities/bundles/nope.xo', '/activities/bundles/..%2F..%2F..%2Fetc%2Fpasswd', '/activities/bundles/%2Fetc%2Fpasswd']) {
      expect((await server.daemon.fetch(path)).status, path).toBe(404);
    }
  });

  it('lets sugaroid download and check a bundle against the page, by library and CLI', async () => {
    const laptop = Laptop.create();
    const result = await laptop.download(server.bundleUrl('org.laptop.Paint-34.xo'));
    expect(result).toMatchObject({ id: 'org.laptop.Paint', version: '34', name: 'Paint', size: bundle.length, sha256: sha256(bundle), file: null });
    const wrong = await laptop.download(server.bundleUrl('org.laptop.Paint-34.xo'), { expect: { id: 'org.laptop.Paint', version: '35' } }).catch((e: unknown) => e);
    expect(isSugaroidError(wrong) && wrong.code).toBe('SUGAROID_ERR_BAD_ANSWER');
    const cli = await runCommand(process.execPath, [SUGAROID_MAIN, 'download', server.bundleUrl('org.laptop.Paint-34.xo')]);
    expect(cli.stdout).toBe(`org.laptop.Paint version 34 (Paint): ${bundle.length} bytes, sha256 ${sha256(bundle)}\n`);
    expect(cli.code).toBe(0);
  });

  it('prints updates with the sugaroid CLI', async () => {
    const installed = join(server.daemon.root, 'installed.json');
    await writeFile(installed, JSON.stringify([{ id: 'org.laptop.Paint', version: '30' }]));
    const cli = await runCommand(process.execPath, [SUGAROID_MAIN, 'updates', '--server', server.daemon.url, '--installed', installed]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`School server activities (${server.daemon.url}/activities/): 1 offered, 1 update`);
    expect(cli.stdout).toContain(`org.laptop.Paint  30 -> 34  org.laptop.Paint  ${Math.round(bundle.length / 1024)} KB  ${server.bundleUrl('org.laptop.Paint-34.xo')}`);
    const json = JSON.parse((await runCommand(process.execPath, [SUGAROID_MAIN, 'updates', '--server', server.daemon.url, '--json'])).stdout) as UpdateCheck;
    expect(json.updates[0]).toMatchObject({ id: 'org.laptop.Paint', name: 'Paint' });
  });
});

describe('uploads and deletes by the admin', () => {
  let server: ActivityServer;
  beforeAll(async () => {
    server = await ActivityServer.start({ config: '[activities]\nupload_limit = 1M\n' });
  });
  afterAll(() => server?.daemon.dispose());

  it('takes a good bundle, names it by id and version, and offers it at once', async () => {
    const response = await server.upload(buildXo({ ...PAINT, version: '5' }));
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).toMatchObject({ bundle: { id: 'org.laptop.Paint', version: '5', file: 'org.laptop.Paint-5.xo', newest: true }, replaced: [] });
    expect(await readdir(server.library)).toEqual(['org.laptop.Paint-5.xo']);
    const check = await Laptop.create().checkUpdates(server.page);
    expect(check.updates.map((u) => `${u.id} ${u.version}`)).toEqual(['org.laptop.Paint 5']);
  });

  it('refuses the same id and version again unless asked to replace it', async () => {
    const again = await server.upload(buildXo({ ...PAINT, version: '5.0', summary: 'changed' }));
    expect([again.status, (await errorOf(again)).code]).toEqual([409, 'ACTIVITIES_ERR_DUPLICATE']);
    const replaced = await server.upload(buildXo({ ...PAINT, version: '5.0', summary: 'changed' }), '?replace=1');
    expect(replaced.status).toBe(200);
    expect(((await replaced.json()) as { replaced: string[] }).replaced).toEqual(['org.laptop.Paint-5.xo']);
    expect(await readdir(server.library)).toEqual(['org.laptop.Paint-5.0.xo']);
  });

  it.each([
    ['a zip bomb', () => hostile.bomb(8 * 1024 * 1024), 'ACTIVITIES_ERR_BOMB'],
    ['a zip bomb whose headers lie', () => hostile.lyingBomb(8 * 1024 * 1024), 'ACTIVITIES_ERR_BOMB'],
    ['overlapping entries', () => hostile.overlapping(), 'ACTIVITIES_ERR_BOMB'],
    ['a ../ entry', () => hostile.traversal(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['an absolute entry', () => hostile.absolutePath(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['a backslash entry', () => hostile.backslash(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['a symlink entry', () => hostile.symlink(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['two top folders', () => hostile.twoTopFolders(), 'ACTIVITIES_ERR_LAYOUT'],
    ['a text file', async () => hostile.notZip(), 'ACTIVITIES_ERR_NOT_ZIP'],
    ['a bad version', () => buildXo({ version: '1.02' }), 'ACTIVITIES_ERR_BAD_VERSION'],
  ])('refuses %s and leaves nothing behind', async (_what, make, code) => {
    const response = await server.upload(make());
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe(code);
    expect(await readdir(server.library)).toEqual(['org.laptop.Paint-5.0.xo']);
  });

  it('refuses a body over upload_limit before reading it, and uploads without the token', async () => {
    const big = await server.upload(buildXo({ padding: 2 * 1024 * 1024 }));
    expect([big.status, (await errorOf(big)).code]).toEqual([413, 'SERVER_ERR_BODY_TOO_LARGE']);
    const anonymous = await server.daemon.fetch('/activities/v1/bundles', { method: 'POST', body: await buildXo() });
    expect(anonymous.status).toBe(401);
    const anonymousDelete = await server.daemon.fetch('/activities/v1/bundles/org.laptop.Paint/5', { method: 'DELETE' });
    expect(anonymousDelete.status).toBe(401);
    expect(await readdir(server.library)).toEqual(['org.laptop.Paint-5.0.xo']);
  });

  it('deletes a version, then says it is not there', async () => {
    await server.upload(buildXo({ ...PAINT, version: '6' }));
    const removed = await server.admin('/activities/v1/bundles/org.laptop.Paint/6', { method: 'DELETE' });
    expect([removed.status, await removed.json()]).toEqual([200, { removed: ['org.laptop.Paint-6.xo'] }]);
    const again = await server.admin('/activities/v1/bundles/org.laptop.Paint/6', { method: 'DELETE' });
    expect([again.status, (await errorOf(again)).code]).toEqual([404, 'ACTIVITIES_ERR_NOT_FOUND']);
    const bad = await server.admin('/activities/v1/bundles/org.laptop.Paint/6..1', { method: 'DELETE' });
    expect((await errorOf(bad)).code).toBe('ACTIVITIES_ERR_BAD_VERSION');
  });

  it('adds, lists and removes with the sugar-server CLI', async () => {
    const file = join(server.daemon.root, 'Chat.xo');
    await writeXo(file, CHAT);
    const add = await server.daemon.cli('activities', 'add', file);
    expect([add.code, add.stdout]).toEqual([0, expect.stringContaining('added org.laptop.Chat version 86 (Chat) as org.laptop.Chat-86.xo')]);
    expect(add.stdout).toContain('warning: uses the old key service_name; Sugar wants bundle_id');
    const refused = await server.daemon.cli('activities', 'add', file);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('already in the library')]);
    await writeFile(join(server.library, 'dropped.xo'), hostile.notZip());
    await until(() => server.daemon.json('/activities/v1/problems'), (p) => p.count === 1, 'the dropped file to be read');
    const list = await server.daemon.cli('activities', 'list');
    expect(list.stdout).toMatch(/^\* org\.laptop\.Chat {2}86 {2}Chat {2}\d+ bytes {2}org\.laptop\.Chat-86\.xo$/m);
    expect(list.stdout).toContain('refused (1):\n  dropped.xo: ACTIVITIES_ERR_NOT_ZIP');
    const remove = await server.daemon.cli('activities', 'remove', 'org.laptop.Chat');
    expect([remove.code, remove.stdout]).toEqual([0, 'removed org.laptop.Chat version 86 (org.laptop.Chat-86.xo)\n']);
    expect((await server.daemon.cli('activities', 'remove', 'org.laptop.Chat')).code).toBe(1);
  });

  it('picks up bundles copied into the folder and forgets deleted ones', async () => {
    await writeXo(join(server.library, 'Write-90.xo'), { id: 'org.laptop.AbiWordActivity', name: 'Write', version: '90' });
    await until(() => server.daemon.json('/activities/v1/bundles?id=org.laptop.AbiWordActivity'), (b) => b.total === 1, 'the copied bundle');
    await rm(join(server.library, 'Write-90.xo'));
    await until(() => server.daemon.json('/activities/v1/bundles?id=org.laptop.AbiWordActivity'), (b) => b.total === 0, 'the deletion');
  });
});

describe('a school mirroring the Mothership\'s library', () => {
  let mothership: ActivityServer;
  let school: ActivityServer;
  afterAll(async () => {
    await school?.daemon.dispose();
    await mothership?.daemon.dispose();
  });

  it('places the Mothership\'s bundles, and keeps a good bundle when the new one is refused', async () => {
    const good = await buildXo({ ...PAINT, version: '40' });
    mothership = await ActivityServer.start({ files: { 'org.laptop.Paint-40.xo': good } });
    const manifest = await mothership.daemon.json('/feeds/v1/activities/manifest.json');
    expect(manifest.files).toEqual([{ path: 'bundles/org.laptop.Paint-40.xo', sha256: sha256(good), size: good.length }]);

    // The school allows no entry over 1 MiB; the Mothership, 512 MiB.
    school = await ActivityServer.start({ config: `[activities]\nupstream = ${mothership.daemon.url}/feeds/v1/activities/\nupstream_interval = 300ms\nmax_entry_size = 1M\n` });
    await until(() => school.daemon.json('/activities/v1/bundles'), (b) => b.total === 1, 'the first bundle');
    expect(await readFile(join(school.library, 'org.laptop.Paint-40.xo'))).toEqual(good);
    const check = await Laptop.create().checkUpdates(school.page, { installed: [{ id: 'org.laptop.Paint', version: '39' }] });
    expect(check.updates.map((u) => u.url)).toEqual([school.bundleUrl('org.laptop.Paint-40.xo')]);

    // The Mothership's admin puts a bundle the school refuses in place of the good one, and adds another.
    await writeXo(join(mothership.library, 'org.laptop.Paint-40.xo'), { ...PAINT, version: '40', files: { 'data/big.bin': randomBytes(1536 * 1024) } });
    await writeXo(join(mothership.library, 'org.laptop.Chat-86.xo'), CHAT);
    await until(() => mothership.daemon.json('/activities/v1/bundles'), (b) => b.total === 2 && b.bundles.some((x: { id: string; sha256: string }) => x.id === 'org.laptop.Paint' && x.sha256 !== sha256(good)), 'the Mothership to index');
    const feed = await until(async () => school.daemon.plugin(await school.daemon.status(), 'activities') as unknown as { feeds: { lastError: string | null }[] }, (p) => /ACTIVITIES_ERR_BOMB/.test(p.feeds[0]?.lastError ?? ''), 'the refusal');
    expect(feed.feeds[0]!.lastError).toContain('the library keeps what it had');
    // Nothing of that snapshot was placed: the good bundle stays, the other waits.
    expect(await readFile(join(school.library, 'org.laptop.Paint-40.xo'))).toEqual(good);
    expect((await school.daemon.json('/activities/v1/bundles')).total).toBe(1);
    const download = await Laptop.create().download(school.bundleUrl('org.laptop.Paint-40.xo'));
    expect(download.sha256).toBe(sha256(good));

    // Once the Mothership drops the refused bundle, the rest arrives.
    await rm(join(mothership.library, 'org.laptop.Paint-40.xo'));
    await until(() => school.daemon.json('/activities/v1/bundles'), (b) => b.total === 2, 'the Chat bundle');
    expect(await readFile(join(school.library, 'org.laptop.Paint-40.xo'))).toEqual(good);
  });
});
