/**
 * A plugin that changes its document's shape in a release: the store the
 * first release wrote is migrated when the second starts on it, and served in
 * the new shape over the plugin's own route; going back to the first release
 * is then refused for that plugin, with nothing changed, while the daemon and
 * its other services go on. In the core's process and in a process of its own.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_CONFIG, DAEMON_MAIN, DaemonProcess, FIXTURE_PLUGINS, makeRoot, runCommand } from '../harness/index.js';

const RELEASES = new URL('../fixtures/document-versions/', import.meta.url).pathname;

let daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const daemon of daemons) await daemon.dispose();
  daemons = [];
});

/** Start a daemon on `root` with the shelf plugin of `release` installed and switched on. */
async function startRelease(root: string, release: 1 | 2, isolated: boolean): Promise<DaemonProcess> {
  await makeRoot({
    root,
    baseConfig: BASE_CONFIG.replace(`plugin_dirs = ${FIXTURE_PLUGINS}`, `plugin_dirs = ${join(RELEASES, String(release))}`),
    config: `[plugins]\nshelf = on\n${isolated ? '[providers]\nisolate = shelf\n' : ''}`,
  });
  const daemon = await DaemonProcess.startIn(root);
  daemons.push(daemon);
  return daemon;
}

/** Every file of the shelf's store folder, by name. */
async function storeFiles(root: string): Promise<Record<string, string>> {
  const dir = join(root, 'var/lib/sugar-server/stores/shelf');
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await readFile(join(dir, name))).toString('base64')] as const)));
}

async function books(daemon: DaemonProcess): Promise<unknown> {
  const answer = await daemon.fetch('/shelf/v1/books');
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { books: unknown[] }).books;
}

async function addBook(daemon: DaemonProcess, body: object): Promise<void> {
  const answer = await daemon.fetch('/shelf/v1/books', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(answer.status).toBe(201);
}

describe.each([
  ['in the core process', false],
  ['isolated', true],
])('a document written at version 1, %s', (_where, isolated) => {
  it('is migrated by the release that declares version 2, and that store is refused by version 1 afterwards', async () => {
    const first = await startRelease(await makeRoot(), 1, isolated);
    const root = first.root;
    await addBook(first, { title: 'Matilda' });
    await addBook(first, { title: 'Momo' });
    expect(await books(first)).toEqual([{ title: 'Matilda' }, { title: 'Momo' }]);
    expect(await first.stop()).toBe(0);
    const dumped = await runCommand(process.execPath, [DAEMON_MAIN, 'store', 'dump', 'shelf', '--root', root]);
    expect(dumped.stderr.trim()).toBe('shelf: document version 1');
    expect(JSON.parse(dumped.stdout)).toEqual({ titles: ['Matilda', 'Momo'] });

    const second = await startRelease(root, 2, isolated);
    const running = second.plugin(await second.status(), 'shelf')!;
    expect(running.state).toBe('running');
    expect(Boolean(running.isolated)).toBe(isolated);
    expect(await books(second)).toEqual([{ title: 'Matilda', borrowedBy: null }, { title: 'Momo', borrowedBy: null }]);
    expect(second.logs.filter((line) => line.msg === 'store document migrated from version 1 to 2')).toHaveLength(1);
    await addBook(second, { title: 'Emil', borrowedBy: 'SHC0000001A' });
    const check = await second.cli('store', 'check', 'shelf');
    expect(check.stdout).toMatch(/^shelf: ok, document version 2, snapshot \d+ bytes \+ 1 journal records/);
    expect(await second.stop()).toBe(0);
    const migrated = await storeFiles(root);

    // Going back to release 1: its plugin does not start, says why, and the store stays as release 2 left it.
    const back = await startRelease(root, 1, isolated);
    const shelf = back.plugin(await back.status(), 'shelf')!;
    expect(shelf.state).toBe('failed');
    expect(shelf.error).toEqual({
      code: 'SERVER_ERR_STORE_TOO_NEW',
      message: expect.stringContaining(
        `store ${join(root, 'var/lib/sugar-server/stores/shelf/snapshot.json')} was written by a newer fixture-shelf ` +
          '(document version 2; fixture-shelf 1.0.0 reads document version 1 and older). Going back to an older version is refused',
      ),
    });
    expect((await back.fetch('/status')).status).toBe(200);
    expect(await back.stop()).toBe(0);
    expect(await storeFiles(root)).toEqual(migrated);

    // And release 2 again finds every book, none migrated twice.
    const again = await startRelease(root, 2, isolated);
    expect(await books(again)).toEqual([
      { title: 'Matilda', borrowedBy: null },
      { title: 'Momo', borrowedBy: null },
      { title: 'Emil', borrowedBy: 'SHC0000001A' },
    ]);
    expect(again.logs.filter((line) => line.msg.startsWith('store document migrated'))).toEqual([]);
  }, 120_000);
});
