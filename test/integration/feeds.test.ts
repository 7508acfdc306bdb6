import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

let daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const d of daemons) await d.dispose();
  daemons = [];
});

async function start(config: string, root?: string) {
  const daemon = root ? await DaemonProcess.startIn(root) : await DaemonProcess.start({ config });
  daemons.push(daemon);
  return daemon;
}

async function putNote(daemon: DaemonProcess, name: string, text: string) {
  const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  const response = await daemon.fetch(`/feeder/v1/notes/${name}`, { method: 'PUT', body: text, headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(204);
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const applied = (d: DaemonProcess) => d.json<{ applied: Record<string, string> | null }>('/feeder/v1/applied').then((b) => b.applied);
const feedState = async (d: DaemonProcess) => d.plugin(await d.status(), 'feeder')!.feeds[0] as Record<string, string | null>;

describe('a sugar-server as the Mothership of another', () => {
  it('mirrors a published feed, follows changes, and keeps the last good copy when the publisher fails', async () => {
    const mothership = await start('[plugins]\nfeeder = on\n');
    await putNote(mothership, 'a.txt', 'one');
    const school = await start(`[plugins]\nfeeder = on\n[feeder]\nupstream = ${mothership.url}/feeds/v1/notes/\ninterval = 300ms\n`);

    expect(await until(() => applied(school), (a) => a?.['a.txt'] === 'one', 'the first copy')).toEqual({ 'a.txt': 'one' });
    // The plugin applies the copy before the mirror records the success, and /status is rebuilt once a second.
    const state = await until(() => feedState(school), (s) => s.lastSuccess !== null, 'the success recorded');
    expect(state).toMatchObject({ name: 'notes', url: `${mothership.url}/feeds/v1/notes/`, lastError: null });
    expect(state.lastSuccess).not.toBeNull();
    expect(state.generated).not.toBeNull();

    await putNote(mothership, 'b.txt', 'two');
    await until(() => applied(school), (a) => a?.['b.txt'] === 'two', 'the second version');

    // Conditional GETs: once current, the school is answered 304 Not Modified.
    const notModified = async () => Number(/_count\{plugin="core",method="GET",code="304"\} (\d+)/.exec(await (await mothership.fetch('/metrics')).text())?.[1] ?? 0);
    expect(await until(notModified, (n) => n > 0, 'a 304 answer')).toBeGreaterThan(0);

    await putNote(mothership, 'refuse.txt', 'x');
    await until(() => feedState(school), (s) => s.lastError === 'refused by local policy', 'the refusal');
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });

    await mothership.stop('SIGKILL');
    await until(() => feedState(school), (s) => /could not be fetched/.test(s.lastError ?? ''), 'the outage to show');
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });

    // A restart with the Mothership still down serves the last good copy at once.
    await school.stop();
    const again = await start('', school.root);
    expect(await until(() => applied(again), (a) => a !== null, 'the copy after restart')).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });
  });

  it('serves only files the feed lists', async () => {
    const mothership = await start('[plugins]\nfeeder = on\n');
    await putNote(mothership, 'a.txt', 'one');
    const manifest = await mothership.json('/feeds/v1/notes/manifest.json');
    expect(manifest.files).toEqual([{ path: 'a.txt', sha256: '7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed', size: 3 }]);
    expect(await (await mothership.fetch('/feeds/v1/notes/a.txt')).text()).toBe('one');
    for (const path of ['/feeds/v1/notes/..%2F..%2Fetc%2Fpasswd', '/feeds/v1/notes/../../etc/passwd', '/feeds/v1/nope/manifest.json', '/feeds/v1/notes/b.txt']) {
      expect((await mothership.fetch(path)).status, path).toBe(404);
    }
  });
});

describe('plugin commands', () => {
  it('runs `sugar-server <service> <command>` with the plugin config, reaching the daemon with the admin token', async () => {
    const daemon = await start('[plugins]\necho = on\n[echo]\ngreeting = hi\n');
    const result = await daemon.cli('echo', 'hello', 'teacher');
    expect(result.stdout).toBe('hi teacher\n{"secret":"only for admins"}\n');
    expect(result.code).toBe(0);
    const help = await daemon.cli('echo', '--help');
    expect(help.stdout).toContain('hello        greet, and fetch the admin-only route');
    const unknown = await daemon.cli('echo', 'bye');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"echo" has no command "bye"');
  });
});
