/**
 * The blacklists service as schools, children and admins meet it: a real
 * daemon compiling generated UT1-style lists, the check API, the block page,
 * uploads and recompiles (a broken upload keeps the lists in use), the squid
 * helper and the DNS exports through the CLI, and one server mirroring
 * another's lists as its Mothership.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CategoriesReport } from 'sugar-server-blacklists';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLists, type GeneratedLists } from '../fixtures/blacklists/generate.js';
import { DAEMON_MAIN } from '../harness/index.js';
import { blacklistsConfig, BlacklistsServer } from './blacklists/server.js';

let workdir: string;
let lists: GeneratedLists;
let server: BlacklistsServer;

const SIZES = {
  adult: { domains: 3000, urls: 400, expressions: true },
  malware: { domains: 500, urls: 100 },
  phishing: { domains: 300, urls: 50 },
  games: { domains: 200, urls: 0 },
};

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'blacklists-suite-'));
  lists = await generateLists(join(workdir, 'lists'), { seed: 7, categories: SIZES, garbagePerFile: 3 });
  server = await BlacklistsServer.start(
    blacklistsConfig(lists.root, 'categories = adult, malware, phishing\ndeny = malware\npage_url = http://schoolserver/blocked\n'),
    {
      'blacklists-allow.txt': `# the school's exceptions\n${lists.domain('adult', 5)}\n${lists.url('adult', 0).split('/')[0]}/homework\n`,
      'blacklists-block.txt': 'blocked-here.example\nnews.example/forum\n',
    },
  );
});
afterAll(async () => {
  await server?.dispose();
  await rm(workdir, { recursive: true, force: true });
});

describe('the check API', () => {
  it('blocks listed domains and their subdomains, with the category and the rule', async () => {
    const domain = lists.domain('adult', 11);
    expect(await server.check(`http://WWW.${domain}:8080/x`)).toMatchObject({
      blocked: true, category: 'adult', action: 'page', rule: { list: 'domain', entry: domain, category: 'adult' },
    });
    expect(await server.check(`http://${lists.domain('malware', 2)}/`)).toMatchObject({ blocked: true, category: 'malware', action: 'deny' });
  });

  it('matches URL entries, expressions and the school lists; the allow list wins', async () => {
    const entry = lists.url('phishing', 3);
    expect(await server.check(`http://${entry}/more`)).toMatchObject({ blocked: true, category: 'phishing', rule: { list: 'url' } });
    expect(await server.check('http://clean.example/videos/porn/1')).toMatchObject({ blocked: true, category: 'adult', rule: { list: 'expression' } });
    expect(await server.check('http://a.blocked-here.example/')).toMatchObject({ blocked: true, category: 'local' });
    expect(await server.check('http://news.example/forum/1')).toMatchObject({ blocked: true, category: 'local' });
    expect(await server.check(`http://${lists.domain('adult', 5)}/`)).toMatchObject({ blocked: false, rule: { category: 'allow' } });
    expect(await server.check(`http://${lists.url('adult', 0).split('/')[0]}/homework/1`)).toMatchObject({ blocked: false, rule: { list: 'url', category: 'allow' } });
  });

  it('judges a URL by the host and path a browser would reach, however it is spelled', async () => {
    const entry = lists.url('phishing', 3);
    const [host, path] = [entry.slice(0, entry.indexOf('/')), entry.slice(entry.indexOf('/'))];
    expect(await server.check(`http://${host}/other/..${path}`)).toMatchObject({ blocked: true, rule: { list: 'url' } });
    expect(await server.check(`http://${host}/other/%2E%2e${path}`)).toMatchObject({ blocked: true, rule: { list: 'url' } });
    const domain = lists.domain('adult', 11);
    expect(await server.check(`http://www.sugarlabs.org%23@${domain}/`)).toMatchObject({ blocked: true, category: 'adult' });
    expect(await server.check(`http://${domain}\\@www.sugarlabs.org/`)).toMatchObject({ blocked: true, category: 'adult' });
  });

  it('leaves unchosen categories and clean sites alone', async () => {
    expect(await server.check(`http://${lists.domain('games', 1)}/`)).toMatchObject({ blocked: false, category: null, rule: null });
    expect(await server.check('http://www.sugarlabs.org/')).toMatchObject({ blocked: false });
  });

  it('refuses a check without a URL', async () => {
    const response = await server.daemon.fetch('/blacklists/v1/check?url=http%3A%2F%2F%2F');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('BLACKLISTS_ERR_BAD_URL');
  });
});

describe('the block page', () => {
  it('explains in the browser\'s language, escapes what it shows, and loads nothing else', async () => {
    const response = await server.daemon.fetch(`/blocked?url=${encodeURIComponent('http://x.example/"><script>alert(1)</script>')}&category=adult`, {
      headers: { 'Accept-Language': 'es-PE,es;q=0.9,en;q=0.5' },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('Esta página está bloqueada');
    expect(html).toContain('contenido para adultos');
    expect(html).not.toContain('<script>');
  });

  it('finds the category itself when only the URL came, and shows a bare refusal for deny', async () => {
    const html = await (await server.daemon.fetch(`/blocked?lang=fr&url=${encodeURIComponent(`http://${lists.domain('adult', 20)}/`)}`)).text();
    expect(html).toContain('contenu pour adultes');
    const denied = await (await server.daemon.fetch('/blocked?url=http%3A%2F%2Fvirus.example%2F&category=malware&action=deny')).text();
    expect(denied).toContain('Access denied');
    expect(denied).not.toContain('virus.example');
  });
});

describe('the admin API', () => {
  it('lists categories with counts, garbage and the compile time; only with the admin token', async () => {
    expect((await server.daemon.fetch('/blacklists/v1/categories')).status).toBe(401);
    const report = (await (await server.admin('/blacklists/v1/categories')).json()) as CategoriesReport;
    expect(report.categories.map((c) => c.name)).toEqual(['allow', 'local', 'adult', 'malware', 'phishing']);
    const adult = report.categories.find((c) => c.name === 'adult')!;
    expect(adult).toMatchObject({ expressions: 1, garbage: 3 + 3 + 3, action: 'page', usage: 'black' });
    expect(adult.domains).toBeGreaterThan(SIZES.adult.domains * 0.99);
    expect(report.unused).toEqual([expect.objectContaining({ name: 'games' })]);
    expect(report.compileSeconds).toBeGreaterThanOrEqual(0);
    const garbage = (await (await server.admin('/blacklists/v1/garbage')).json()) as { lines: { file: string; line: number }[] };
    expect(garbage.lines).toEqual(expect.arrayContaining([expect.objectContaining({ file: 'adult/domains', line: expect.any(Number) })]));
  });

  it('compiles an upload, and keeps the lists in use when an upload is broken', async () => {
    const before = await server.status();
    const junk = await server.admin('/blacklists/v1/lists?wait=1', { method: 'POST', body: 'not a tarball at all' });
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as { error: { code: string } }).error.code).toBe('BLACKLISTS_ERR_BAD_ARCHIVE');

    const empty = join(workdir, 'empty');
    await mkdir(join(empty, 'docs'), { recursive: true });
    await writeFile(join(empty, 'docs', 'README'), 'no lists in here');
    const emptyArchive = join(workdir, 'empty.tar.gz');
    await create({ gzip: true, file: emptyArchive, cwd: empty }, ['docs']);
    const noLists = await server.admin('/blacklists/v1/lists?wait=1', { method: 'POST', body: await readFile(emptyArchive) });
    expect(noLists.status).toBe(400);
    expect(((await noLists.json()) as { error: { code: string } }).error.code).toBe('BLACKLISTS_ERR_BAD_SOURCE');
    const after = await server.status();
    expect(after.index!.compiledAt).toBe(before.index!.compiledAt);
    expect(after.compile.lastError).toMatchObject({ code: 'BLACKLISTS_ERR_BAD_SOURCE' });
    expect((await server.check(`http://${lists.domain('adult', 11)}/`)).blocked).toBe(true);

    const other = await generateLists(join(workdir, 'other'), { seed: 99, categories: { adult: { domains: 100, urls: 10 } } });
    const archive = join(workdir, 'other.tar.gz');
    await create({ gzip: true, file: archive, cwd: join(workdir, 'other') }, ['blacklists']);
    const uploaded = await server.admin('/blacklists/v1/lists?wait=1', { method: 'POST', body: await readFile(archive) });
    expect(uploaded.status).toBe(200);
    expect((await server.status()).index!.source!.kind).toBe('upload');
    expect((await server.check(`http://${other.domain('adult', 1)}/`)).blocked).toBe(true);
    expect((await server.check(`http://${lists.domain('adult', 11)}/`)).blocked).toBe(false);

    expect((await server.admin('/blacklists/v1/lists?wait=1', { method: 'DELETE' })).status).toBe(200);
    expect((await server.check(`http://${lists.domain('adult', 11)}/`)).blocked).toBe(true);
  });

  it('recompiles after the school edits its lists (CLI), and reports the status', async () => {
    await writeFile(join(server.etc, 'blacklists-block.txt'), 'blocked-here.example\nnews.example/forum\nnewly-blocked.example\n');
    const recompiled = await server.daemon.cli('blacklists', 'recompile');
    expect(recompiled.code, recompiled.stderr).toBe(0);
    expect(recompiled.stdout).toMatch(/compiled in [\d.]+ s/);
    expect((await server.check('http://newly-blocked.example/')).blocked).toBe(true);
    expect((await server.status()).compile).toMatchObject({ state: 'idle', lastSuccess: expect.any(Object) });
  });
});

describe('the squid helper (CLI)', () => {
  it('answers url_rewrite lines with and without channel IDs, BH on garbage', async () => {
    const blocked = `http://${lists.domain('adult', 11)}/x`;
    const result = await server.helper(`0 ${blocked} 10.0.0.5/- - GET myip=127.0.0.1 myport=3128\n1 http://www.sugarlabs.org/ 10.0.0.5/- - GET\nhttp://www.sugarlabs.org/ 10.0.0.5/- - GET\n2\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `0 OK status=302 url="http://schoolserver/blocked?url=${encodeURIComponent(blocked)}&category=adult"`,
      '1 OK',
      'OK',
      '2 BH message="no URL on this line"',
      '',
    ]);
  });

  it('answers external ACL lines (%URI, escaped by squid)', async () => {
    const result = await server.helper(`5 http://${lists.domain('malware', 2)}/%2541\n6 http://www.sugarlabs.org/\n`, '--mode', 'acl');
    expect(result.stdout).toBe('5 OK message="malware"\n6 ERR\n');
  });

  it('exits quietly when squid closes its end of the pipe', async () => {
    const child = spawn(process.execPath, [DAEMON_MAIN, 'blacklists', 'helper', '--root', server.root], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.on('error', () => {}); // the helper may be gone before the last of these lines
    // One answer read, then squid goes away: the helper's next answers meet a closed pipe.
    child.stdin.write('0 http://www.sugarlabs.org/ -\n');
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    for (let i = 1; i <= 200; i++) child.stdin.write(`${i % 50} http://site${i}.example/ -\n`);
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
  });

  it('checks from the command line', async () => {
    const result = await server.daemon.cli('blacklists', 'check', `http://${lists.domain('adult', 11)}/`, 'http://www.sugarlabs.org/');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/BLOCKED, adult, page \(domain /);
    expect(result.stdout).toMatch(/www\.sugarlabs\.org\/: allowed/);
  });
});

describe('DNS exports', () => {
  it('download as dnsmasq configuration from the admin API', async () => {
    const response = await server.admin('/blacklists/v1/export?format=dnsmasq');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(`address=/${lists.domain('malware', 2)}/`);
    expect(text).toContain(`server=/${lists.domain('adult', 5)}/#`);
    expect(text).not.toContain(lists.domain('games', 1));
    expect((await server.admin('/blacklists/v1/export?format=bind')).status).toBe(400);
  });

  it('write unbound and RPZ files from the command line', async () => {
    const unbound = join(workdir, 'blacklists.conf');
    const written = await server.daemon.cli('blacklists', 'export', '--format', 'unbound', '--output', unbound);
    expect(written.code, written.stderr).toBe(0);
    const text = await readFile(unbound, 'utf8');
    expect(text.startsWith('# sugar-server blacklists')).toBe(true);
    expect(text).toContain(`local-zone: "${lists.domain('adult', 11)}." always_nxdomain`);
    const rpz = await server.daemon.cli('blacklists', 'export', '--format', 'rpz', '--address', '192.0.2.10');
    expect(rpz.stdout).toContain(`*.${lists.domain('adult', 11)} A 192.0.2.10`);
    expect(rpz.stdout).toContain(`${lists.domain('malware', 2)} CNAME .`);
  });
});

describe('the Mothership feed', () => {
  it('gives another server the same lists, compiled with its own policy', async () => {
    const school = await BlacklistsServer.start(blacklistsConfig(null, `upstream = ${server.daemon.url}/feeds/v1/blacklists/\nupstream_interval = 300ms\ncategories = adult\n`));
    try {
      // Its first index may hold only its own lists, compiled before the feed arrived.
      const deadline = Date.now() + 30_000;
      while ((await school.status()).index?.source?.kind !== 'feed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      await school.waitForIndex();
      expect((await school.status()).index!.source!.kind).toBe('feed');
      expect((await school.check(`http://${lists.domain('adult', 11)}/`)).blocked).toBe(true);
      expect((await school.check(`http://${lists.domain('malware', 2)}/`)).blocked).toBe(false);
      const refused = await school.admin('/blacklists/v1/lists', { method: 'POST', body: 'x' });
      expect(refused.status).toBe(409);
    } finally {
      await school.dispose();
    }
  });
});
