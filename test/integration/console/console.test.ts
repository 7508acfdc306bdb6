/**
 * The admin console as a school's admin meets it, in headless Chromium against
 * the real daemon: sign-in (and a wrong password, and the limit on failures),
 * a form posted from another site refused, a plugin switched off and on with
 * /status following, a lease bundle uploaded and the laptop (sugaroid)
 * answered on port 191, a laptop marked stolen, the laptops searched, a
 * backup sugaroid made and one of its Journal entries downloaded, an `.xo`
 * uploaded and offered to laptops, a blocked address checked and the
 * school's allow list edited, the language switch. Each page is checked with axe-core and shot at a
 * desktop's and a phone's size under test/.tmp/console/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { generateJournal, Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activation, BASE_CONFIG, DAEMON_MAIN, DaemonProcess, DEPLOYMENT_KEY, makeLease, makeRoot, runCommand, skipWithout, until } from '../../harness/index.js';
import { generateLists, type GeneratedLists } from '../../fixtures/blacklists/generate.js';
import { buildXo } from '../../fixtures/xo-builder.js';
import { hasChromium, launch, screenshots, seriousViolations } from './browser.js';

const PASSWORD = 'a long enough password';
/** Backup's first start makes its SSH host keys, which takes longer than the harness's 2 s on a busy machine. */
const CONFIG = `[core]
start_timeout = 60s
[plugins]
registry = on
leases = on
backup = on
activities = on
blacklists = on
[registry]
address = 127.0.0.1
port = 0
[leases]
address = 127.0.0.1
port = 0
public_key = @KEY@
[backup]
ssh_port = 0
max_load = 1000
[blacklists]
source = @LISTS@
categories = adult, games
[admin]
login_attempts = 3
`;

describe.skipIf(skipWithout(hasChromium))('the admin console in a browser', () => {
  let daemon: DaemonProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let consoleUrl: string;
  let lists: GeneratedLists;
  const ana = Laptop.create({ nick: 'Ana Lucía' });

  beforeAll(async () => {
    // The plugins a school has, without the harness's test fixtures: the screenshots go into the README.
    const root = await makeRoot({ baseConfig: BASE_CONFIG.replace(/^plugin_dirs = .*\n/m, '') });
    const keyFile = join(root, 'etc/sugar-server/deployment.pem');
    await writeFile(keyFile, DEPLOYMENT_KEY.publicKey.export({ type: 'spki', format: 'pem' }));
    lists = await generateLists(join(root, 'lists'), { seed: 11, categories: { adult: { domains: 200, urls: 20 }, games: { domains: 50, urls: 0 } } });
    await writeFile(join(root, 'etc/sugar-server/conf.d/50-console-test.conf'), CONFIG.replace('@KEY@', keyFile).replace('@LISTS@', lists.root));
    const passwd = await runCommand(process.execPath, [DAEMON_MAIN, 'admin', 'passwd', 'teacher', '--root', root], { input: `${PASSWORD}\n` });
    expect(passwd.stdout.trim(), passwd.stderr).toBe('account teacher added');
    // Backup makes its SSH host keys and the filter compiles its lists on the first start: slow on a busy machine.
    [daemon, browser] = await Promise.all([DaemonProcess.startIn(root, { readyTimeoutMs: 90_000 }), launch()]);
    consoleUrl = (await daemon.waitForLog((l) => l.msg.startsWith('admin console at '))).url as string;
    expect((await ana.register(daemon.url, { protocol: 'json' })).success).toBe('OK');
    context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await daemon?.dispose();
  });

  async function signIn(account: string, password: string): Promise<number | undefined> {
    await page.goto(`${consoleUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Account name').fill(account);
    await page.getByLabel('Password').fill(password);
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.waitForLoadState();
    return response.status();
  }

  it('tells how it is reached: the URL and the certificate fingerprint, logged and printed by `admin url`', async () => {
    const printed = await daemon.cli('admin', 'url');
    const logged = daemon.logs.find((l) => l.msg.startsWith('admin console at '))!;
    expect(printed.stdout).toContain(consoleUrl);
    expect(consoleUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(printed.stdout).toContain(`fingerprint: ${logged.fingerprint as string}`);
  });

  it('refuses a wrong password, in plain words and with the code the APIs use', async () => {
    expect(await signIn('teacher', 'not the password')).toBe(401);
    expect(await textOf(page.getByRole('alert'))).toContain('Wrong account name, password or token.');
    expect(await textOf(page.getByRole('alert'))).toContain('SERVER_ERR_ADMIN_LOGIN');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'login');
  });

  it('signs in with an account and shows every service on the overview', async () => {
    expect(await signIn('teacher', PASSWORD)).toBe(303);
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe('Overview');
    const leasesRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'leases' }) });
    expect(await textOf(leasesRow)).toContain('running');
    expect(await textOf(page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'backup' }) }))).toContain('off');
    const cookie = (await context.cookies()).find((c) => c.name === 'sugar_admin')!;
    expect({ httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite }).toEqual({ httpOnly: true, secure: true, sameSite: 'Strict' });
    await daemon.waitForLog((l) => l.msg === 'admin console: signed in' && l.account === 'teacher');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'overview');
  });

  it('refuses a form posted from another site, and changes nothing', async () => {
    const evil = await serveOnce(`<!DOCTYPE html><html lang="en"><title>prize</title><form method="post" action="${consoleUrl}/">
<input type="hidden" name="_action" value="plugin-off"><input type="hidden" name="service" value="leases"><button>Win a prize</button></form></html>`);
    try {
      await page.goto(evil.url);
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().startsWith(consoleUrl)), page.getByRole('button', { name: 'Win a prize' }).click()]);
      expect(response.status()).toBe(403);
      expect(await textOf(page.getByRole('alert'))).toContain('SERVER_ERR_ADMIN_FORM');
    } finally {
      evil.server.close();
    }
    const leases = daemon.plugin(await daemon.status(), 'leases')!;
    expect({ enabled: leases.enabled, state: leases.state }).toEqual({ enabled: true, state: 'running' });
  });

  it('switches a service off and on; /status follows and the log names the account', async () => {
    await page.goto(`${consoleUrl}/`);
    await page.getByRole('button', { name: 'Switch off leases' }).click();
    expect(await textOf(page.getByRole('status'))).toBe('leases is switched off.');
    expect(daemon.plugin(await daemon.status(), 'leases')!.enabled).toBe(false);
    expect(await page.getByRole('link', { name: 'Leases', exact: true }).count()).toBe(0);

    await page.getByRole('button', { name: 'Switch on leases' }).click();
    expect(await textOf(page.getByRole('status'))).toBe('leases is switched on.');
    const leases = daemon.plugin(await daemon.status(), 'leases')!;
    expect({ enabled: leases.enabled, state: leases.state }).toEqual({ enabled: true, state: 'running' });
    await daemon.waitForLog((l) => l.account === 'teacher' && l.service === 'leases' && l.on === true);
    expect(daemon.logs.filter((l) => l.account === 'teacher' && l.service === 'leases').map((l) => l.on)).toEqual([false, true]);
  });

  it('imports a lease bundle by upload, shows the report, and the laptop gets its lease on port 191', async () => {
    expect(await activation(daemon, ana)).toBe('none');
    await page.goto(`${consoleUrl}/`);
    await page.getByRole('link', { name: 'Leases', exact: true }).click();
    await page.getByLabel(/Bundle file/).setInputFiles({ name: 'leases.txt', mimeType: 'text/plain', buffer: Buffer.from(makeLease(ana) + 'act01: SHC0000000A K 20990101T000000Z sig01: sha256 00 00\n') });
    await page.getByRole('button', { name: 'Import' }).click();
    expect(await textOf(page.getByRole('status').first())).toContain('Imported 1 leases for 1 laptops.');
    expect(await textOf(page.getByRole('status').first())).toContain('SHC0000000A');
    expect(await activation(daemon, ana)).toBe('lease');
    await page.getByRole('img', { name: /Leases running out/ }).first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'leases');
  });

  it('marks a laptop stolen: port 191 answers STOLEN until the mark is removed', async () => {
    await page.goto(`${consoleUrl}/p/leases/leases`);
    await page.getByLabel('Serial of a stolen laptop').fill(ana.serial.toLowerCase());
    await page.getByRole('button', { name: 'Mark stolen' }).click();
    expect(await textOf(page.getByRole('row').filter({ hasText: ana.serial }))).toContain('this school');
    expect(await activation(daemon, ana)).toBe('stolen');
    await daemon.waitForLog((l) => l.account === 'teacher' && l.action === 'stolen-add' && (l.fields as Record<string, string>).serial === ana.serial.toLowerCase());

    await page.getByRole('button', { name: `Remove mark ${ana.serial}` }).click();
    await page.getByText('No laptop is marked stolen.').first().waitFor();
    expect(await activation(daemon, ana)).toBe('lease');
  });

  it('finds a laptop by part of its name, and shows its key type and dates', async () => {
    await page.goto(`${consoleUrl}/p/registry/laptops`);
    // Typing alone searches (htmx, served by the daemon, allowed by the page's CSP).
    await page.getByRole('searchbox', { name: 'Serial or name' }).pressSequentially('nobody');
    await page.getByText('No laptop matches.').waitFor({ timeout: 10_000 });
    await page.getByRole('searchbox', { name: 'Serial or name' }).fill('lucía');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row').filter({ hasText: ana.serial });
    expect(await textOf(row)).toContain('Ana Lucía');
    expect(await textOf(row)).toContain('ssh-ed25519');
    await page.goto(`${consoleUrl}/p/registry/laptops`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'laptops');
  });

  it('shows a backup sugaroid made, its Journal entries, and downloads one as a Journal Entry Bundle and the snapshot as tar', async () => {
    const datastore = join(daemon.root, 'ana-home/.sugar/default/datastore');
    await generateJournal(datastore, { bytes: 64 * 1024, entries: 3 });
    const backup = daemon.plugin(await daemon.status(), 'backup')!;
    const sshPort = backup.listeners.find((l) => l.name === 'ssh')!.port;
    await ana.backup('127.0.0.1', { httpPort: Number(new URL(daemon.url).port), sshPort, journal: datastore });
    await daemon.waitForLog((l) => l.msg === 'backup complete: snapshot taken' && l.serial === ana.serial, 20_000);

    await page.goto(`${consoleUrl}/`);
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    await page.getByRole('link', { name: ana.serial }).click();
    expect(await textOf(page.getByRole('heading', { level: 2 }).first())).toContain(ana.serial);
    const entries = page.getByRole('table').last().getByRole('row');
    await entries.nth(3).waitFor();
    expect(await entries.count()).toBe(4);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('table').last().getByRole('link', { name: /^Download / }).first().click()]);
    expect(download.suggestedFilename()).toMatch(/^[A-Za-z0-9-]{36}\.xoj$/);
    const bundle = await readFile((await download.path())!);
    expect(bundle.subarray(0, 2).toString()).toBe('PK');
    expect(bundle.includes(Buffer.from(`${download.suggestedFilename().slice(0, 36)}/_metadata.json`))).toBe(true);
    const [tar] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download \(tar\)/ }).click()]);
    expect(tar.suggestedFilename()).toMatch(new RegExp(`^${ana.serial}-datastore-[0-9_-]+\\.tar$`));
    const archive = await readFile((await tar.path())!);
    expect(archive.subarray(257, 262).toString()).toBe('ustar');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'backup-laptop');
    await page.goto(`${consoleUrl}/p/backup/backups`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'backups');
  });

  it('takes an uploaded .xo into the library, and laptops see it on the activities page', async () => {
    await page.goto(`${consoleUrl}/`);
    await page.getByRole('link', { name: 'Activities', exact: true }).click();
    const bundle = await buildXo({ id: 'org.example.Fractions', name: 'Fractions', version: '7' });
    await page.getByLabel('Activity bundle (.xo)').setInputFiles({ name: 'Fractions-7.xo', mimeType: 'application/vnd.olpc-sugar', buffer: bundle });
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    expect(await textOf(page.getByRole('status'))).toContain('Fractions 7 was added');
    expect(await textOf(page.getByRole('row').filter({ hasText: 'org.example.Fractions' }))).toContain('7');
    expect(await (await daemon.fetch('/activities/')).text()).toContain('Fractions');

    await page.getByLabel('Activity bundle (.xo)').setInputFiles({ name: 'broken.xo', mimeType: 'application/vnd.olpc-sugar', buffer: Buffer.from('not a zip') });
    const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Add', exact: true }).click()]);
    expect(refused.status()).toBe(400);
    expect(await textOf(page.getByRole('alert'))).toMatch(/ACTIVITIES_ERR_/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'activities');
  });

  it('checks a blocked address and says why; an allow-list line is checked, saved, compiled and then wins', async () => {
    const domain = lists.domain('adult', 3);
    await page.goto(`${consoleUrl}/`);
    await page.getByRole('link', { name: 'Web filter', exact: true }).click();
    await page.getByLabel('Web address').fill(`http://www.${domain}/page`);
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const verdict = await textOf(page.getByRole('status'));
    expect(verdict).toContain('Blocked');
    expect(verdict).toContain(`“${domain}” is in the category “adult”`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshots(page, 'filter');

    await page.getByLabel('Always allow').fill(`${domain}\nbad..dots.example`);
    await page.getByRole('button', { name: 'Save and compile' }).click();
    expect(await textOf(page.getByRole('alert'))).toContain('line 2: bad..dots.example');
    expect(await daemon.json(`/blacklists/v1/check?url=${encodeURIComponent(`http://${domain}/`)}`)).toMatchObject({ blocked: true });

    await page.getByLabel('Always allow').fill(`# homework\n${domain}`);
    await page.getByRole('button', { name: 'Save and compile' }).click();
    expect(await page.getByLabel('Always allow').inputValue()).toBe(`# homework\n${domain}\n`);
    const check = () => daemon.json<{ blocked: boolean; rule: { category: string } | null }>(`/blacklists/v1/check?url=${encodeURIComponent(`http://${domain}/`)}`);
    expect((await until(check, (answer) => !answer.blocked, 'the allow list compiled', 20_000)).rule?.category).toBe('allow');
    await daemon.waitForLog((l) => l.account === 'teacher' && l.action === 'lists');
  });

  it('speaks the language asked for: the switch, and Accept-Language before any choice', async () => {
    await page.goto(`${consoleUrl}/`);
    await page.getByRole('link', { name: 'Español' }).click();
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe('Resumen');
    await page.getByRole('button', { name: 'Apagar leases' }).first().waitFor();
    await page.getByRole('link', { name: 'English' }).click();
    expect(await textOf(page.getByRole('heading', { level: 1 }))).toBe('Overview');

    const french = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'fr-FR' });
    const other = await french.newPage();
    await other.goto(`${consoleUrl}/`);
    await other.getByRole('button', { name: 'Se connecter' }).first().waitFor();
    await french.close();
  });

  it('signs out: the session is gone', async () => {
    await page.goto(`${consoleUrl}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${consoleUrl}/p/leases/leases`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await daemon.waitForLog((l) => l.msg === 'admin console: signed out' && l.account === 'teacher');
  });

  it('limits failed sign-ins from one address: after three, even the right password waits', async () => {
    for (let i = 0; i < 3; i++) expect(await signIn('teacher', `wrong ${i}`)).toBe(401);
    expect(await signIn('teacher', PASSWORD)).toBe(429);
    expect(await textOf(page.getByRole('alert'))).toContain('Too many failed sign-ins from this computer.');
    expect(await textOf(page.getByRole('alert'))).toContain('SERVER_ERR_ADMIN_LOGIN_LIMIT');
  });
});

/** The text of the first element `locator` finds, once there is one. */
async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor({ timeout: 10_000 });
  return (await locator.first().innerText()).trim();
}

/** A page on another origin (another port on loopback), as a hostile site would serve it. */
async function serveOnce(body: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/` };
}
