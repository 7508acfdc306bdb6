/**
 * The admin console's settings and the Mothership's view, without a browser:
 * `[admin] tls = off` is warned about and serves plain HTTP (cookies then
 * lose Secure), a certificate without its key is refused with file:line, and
 * a server schools enrol with shows them on its Schools page.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_MAIN, DaemonProcess, makeRoot, runCommand } from '../../harness/index.js';

const PLAIN = '[admin]\ntls = off\n';

describe('the console without TLS, on a server schools enrol with', () => {
  let mothership: DaemonProcess;
  let school: DaemonProcess;
  let consoleUrl: string;

  beforeAll(async () => {
    [mothership, school] = await Promise.all([DaemonProcess.start({ config: PLAIN }), DaemonProcess.start()]);
    consoleUrl = (await mothership.waitForLog((l) => /^admin console at .* WITHOUT TLS/.test(l.msg))).url as string;
  });
  afterAll(async () => {
    await Promise.all([mothership?.dispose(), school?.dispose()]);
  });

  /** Sign in with the admin token, as on first setup; the session cookie. */
  async function signIn(): Promise<string> {
    const token = (await readFile(join(mothership.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const response = await fetch(`${consoleUrl}/login`, { method: 'POST', body: new URLSearchParams({ account: '', password: token }), redirect: 'manual' });
    expect(response.status).toBe(303);
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=strict/i);
    expect(cookie).not.toMatch(/secure/i);
    await mothership.waitForLog((l) => l.msg === 'admin console: signed in' && l.account === 'admin-token');
    return cookie.split(';')[0]!;
  }

  it('serves plain HTTP when told to, and warns that passwords then cross the network in the clear', async () => {
    expect(consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const printed = await mothership.cli('admin', 'url');
    expect(printed.stdout).toContain(consoleUrl);
    expect(printed.stdout).toContain('TLS is off');
    const login = await fetch(`${consoleUrl}/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('shows the Schools page once a school enrols, with the school and its state', async () => {
    const cookie = await signIn();
    const before = await fetch(`${consoleUrl}/p/fleet/schools`, { headers: { Cookie: cookie } });
    expect(before.status).toBe(404);

    const invite = await mothership.cli('fleet', 'invite', 'Escuela 12', '--group', 'north');
    expect(invite.code, invite.stderr).toBe(0);
    const enrolled = await school.cli('fleet', 'enrol', mothership.url, invite.stdout.split('\n')[1]!.trim());
    expect(enrolled.code, enrolled.stderr).toBe(0);

    const overview = await (await fetch(`${consoleUrl}/`, { headers: { Cookie: cookie } })).text();
    expect(overview).toContain('href="/p/fleet/schools"');
    const page = await fetch(`${consoleUrl}/p/fleet/schools`, { headers: { Cookie: cookie, 'Accept-Language': 'es' } });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('<h1>Escuelas</h1>');
    expect(text).toMatch(/<th scope="row">Escuela 12<\/th><td>north<\/td>/);
  });
});

describe('[admin] settings that cannot work', () => {
  it('refuses a certificate without its key, naming the file and line', async () => {
    const root = await makeRoot({ config: '[admin]\ncertificate = /etc/ssl/certs/school.pem\n' });
    const checked = await runCommand(process.execPath, [DAEMON_MAIN, 'check-config', '--root', root]);
    expect(checked.code).toBe(78);
    expect(checked.stderr).toMatch(/sugar-server\.conf:\d+: \[admin\] certificate: needs key = <its private key file> too/);
  });
});
