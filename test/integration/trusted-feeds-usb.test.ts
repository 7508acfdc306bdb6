/**
 * Feeds on a USB disk (issue #9): `sugar-server feeds export` at the
 * Mothership, `sugar-server feeds import` at a school with no uplink, held to
 * the same checks as over HTTP; a disk with one file changed applies nothing.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Laptop } from 'sugaroid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activation, DaemonProcess, keygen, makeLease, manifestOf, signatureBy, signKeys, until, type FeedKey } from '../harness/index.js';

type FeedState = { name: string; url: string; lastSuccess: string | null; lastChange: string | null; lastError: string | null; lastErrorCode: string | null; version: number | null; expires: string | null; expired: boolean; trust: string; signedBy: string | null };
type Status = Awaited<ReturnType<DaemonProcess['status']>> & { feeds: { config: FeedState | null } };

const LEASES = 'leases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n';

async function admin(daemon: DaemonProcess, path: string, init: RequestInit = {}): Promise<Response> {
  const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  return daemon.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
}

describe('feeds carried on a disk to a school with no uplink', () => {
  const ana = Laptop.create();
  let dir: string;
  let root: FeedKey;
  let online: FeedKey;
  let mothership: DaemonProcess;
  let school: DaemonProcess;

  const putNote = async (name: string, text: string) => expect((await admin(mothership, `/feeder/v1/notes/${name}`, { method: 'PUT', body: text })).status).toBe(204);
  const applied = () => school.json<{ applied: Record<string, string> | null }>('/feeder/v1/applied').then((b) => b.applied);
  const states = async () => {
    const status = (await school.status()) as Status;
    const of = (service: string) => school.plugin(status, service)!.feeds[0] as unknown as FeedState;
    return { notes: of('feeder'), leases: of('leases'), config: status.feeds.config! };
  };
  const greeting = async () => ((await (await school.fetch('/echo/v1/ping')).json()) as { greeting: string }).greeting;
  /** `sugar-server feeds export DISK` at the Mothership: a fresh disk each time. */
  async function exportDisk(name: string): Promise<string> {
    const disk = join(dir, name);
    await mkdir(disk);
    const result = await mothership.cli('feeds', 'export', disk);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain(`wrote ${disk}/sugar-server-feeds (with keys.json)`);
    return disk;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feeds-usb-'));
    [root, online] = await Promise.all([keygen(join(dir, 'root.key'), 'root'), keygen(join(dir, 'online.key'), 'online')]);
    await signKeys(root, dir, [online]);
    await mkdir(join(dir, 'drop-ins'));
    await writeFile(join(dir, 'drop-ins/default.conf'), '[plugins]\necho = on\n[echo]\ngreeting = from the disk\n');
    [mothership, school] = await Promise.all([
      DaemonProcess.start({
        config: `[plugins]\nfeeder = on\n${LEASES}[feeds]\nsigning_key = ${online.file}\nkeys_file = ${join(dir, 'keys.json')}\nconfig_dir = ${join(dir, 'drop-ins')}\n`,
      }),
      DaemonProcess.start({
        config: `[plugins]\nfeeder = on\n${LEASES}upstream = usb\n[feeder]\nupstream = usb\n[feeds]\nupstream = usb\ntrusted_keys = ${root.pub}\n`,
      }),
    ]);
    await putNote('a.txt', 'one');
    expect((await admin(mothership, '/leases/v1/bundles', { method: 'POST', body: makeLease(ana) })).status).toBe(200);
  });
  afterAll(async () => {
    for (const d of [school, mothership]) await d?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies every feed of an exported disk with `feeds import`, and finds nothing new on a second run', async () => {
    const disk = await exportDisk('disk-1');
    expect((await states()).notes).toMatchObject({ url: 'usb', version: null, trust: 'signed' });
    expect(await activation(school, ana)).toBe('none');

    const result = await school.cli('feeds', 'import', disk);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout.split('\n')).toEqual([
      'config: applied (version - -> 1; 1 added, 0 changed, 0 removed)',
      'leases: applied (version - -> 1; 2 added, 0 changed, 0 removed)',
      'notes: applied (version - -> 1; 1 added, 0 changed, 0 removed)',
      `imported from ${disk}/sugar-server-feeds`,
      '',
    ]);
    expect(await applied()).toEqual({ 'a.txt': 'one' });
    expect(await activation(school, ana)).toBe('lease');
    expect(await until(greeting, (g) => g === 'from the disk', 'echo switched on by the disk\'s drop-in')).toBe('from the disk');
    const after = await states();
    for (const feed of [after.notes, after.leases, after.config]) expect(feed).toMatchObject({ version: 1, lastErrorCode: null, signedBy: online.id, expired: false });

    // A school with no uplink is current as of its last disk: /status and /metrics say when that was.
    for (const feed of [after.notes, after.leases, after.config]) expect(Date.parse(feed.lastSuccess!)).toBe(Date.parse(feed.lastChange!));
    const again = await school.cli('feeds', 'import', disk);
    expect([again.code, again.stdout]).toEqual([0, `config: unchanged\nleases: unchanged\nnotes: unchanged\nimported from ${disk}/sugar-server-feeds\n`]);
    const checked = await states();
    expect(Date.parse(checked.notes.lastSuccess!)).toBeGreaterThan(Date.parse(after.notes.lastSuccess!));
    expect(checked.notes.lastChange).toBe(after.notes.lastChange);
    const metrics = await (await school.fetch('/metrics')).text();
    expect(metrics).toContain(`sugar_server_feed_last_success_timestamp_seconds{owner="feeder",feed="notes",trust="signed"} ${Date.parse(checked.notes.lastSuccess!) / 1000}`);
  });

  it('applies nothing from a disk with one file changed, and every feed stays as it was', async () => {
    await putNote('b.txt', 'two');
    expect((await admin(mothership, `/leases/v1/stolen/${ana.serial}`, { method: 'PUT' })).status).toBe(201);
    await writeFile(join(dir, 'drop-ins/default.conf'), '[plugins]\necho = on\n[echo]\ngreeting = from the second disk\n');
    const disk = await exportDisk('disk-2');
    const changed = join(disk, 'sugar-server-feeds/notes/b.txt');
    expect(await readFile(changed, 'utf8')).toBe('two');
    await writeFile(changed, 'tw0');
    const before = await states();

    const result = await school.cli('feeds', 'import', disk);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('config: held back (version 1 -> 2; 0 added, 1 changed, 0 removed)');
    expect(lines[1]).toBe('leases: held back (version 1 -> 2; 0 added, 1 changed, 0 removed)');
    expect(lines[2]).toMatch(new RegExp(`^notes: refused: SERVER_ERR_FEED_DIGEST: feed file ${changed} does not match its manifest: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$`));
    expect(lines[3]).toBe(`nothing applied from ${disk}/sugar-server-feeds`);

    expect(await applied()).toEqual({ 'a.txt': 'one' });
    expect(await activation(school, ana)).toBe('lease');
    expect(await greeting()).toBe('from the disk');
    const after = await states();
    expect(after.notes).toMatchObject({ version: 1, lastErrorCode: 'SERVER_ERR_FEED_DIGEST' });
    expect(after.leases).toMatchObject({ version: before.leases.version, lastErrorCode: null });
    expect(after.config).toMatchObject({ version: before.config.version, lastErrorCode: null });
    const metrics = await (await school.fetch('/metrics')).text();
    expect(metrics).toContain('sugar_server_feed_refused{owner="feeder",feed="notes",trust="signed",code="SERVER_ERR_FEED_DIGEST"} 1');

    // The same disk written again, intact, brings all three.
    const honest = await exportDisk('disk-3');
    const retry = await school.cli('feeds', 'import', honest);
    expect([retry.code, retry.stdout.split('\n').at(-2)]).toEqual([0, `imported from ${honest}/sugar-server-feeds`]);
    expect(await applied()).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });
    expect(await activation(school, ana)).toBe('stolen');
    expect(await until(greeting, (g) => g === 'from the second disk', 'the second drop-in')).toBe('from the second disk');
  });

  it('refuses a disk whose manifest the root never signed, and reports a held copy whose signature ran out', async () => {
    const held = (await states()).notes;
    const forgedDisk = join(dir, 'disk-forged/sugar-server-feeds/notes');
    await mkdir(forgedDisk, { recursive: true });
    const files = [{ path: 'a.txt', data: Buffer.from('forged') }];
    const attacker = await keygen(join(dir, 'attacker.key'), 'not ours');
    const forged = manifestOf('notes', held.version! + 1, new Date(Date.now() + 86_400_000), files);
    await writeFile(join(forgedDisk, 'manifest.json'), forged);
    await writeFile(join(forgedDisk, 'manifest.json.sig'), await signatureBy(attacker, forged));
    await writeFile(join(forgedDisk, 'a.txt'), files[0]!.data);
    const refused = await school.cli('feeds', 'import', join(dir, 'disk-forged'));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`notes: refused: SERVER_ERR_FEED_SIGNATURE: feed manifest at ${forgedDisk} is not signed by a trusted key: signed by ${attacker.id.slice(0, 16)}, none of them a trusted key`);
    expect(await applied()).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });

    // The root key may sign a manifest itself; this one runs out a few seconds after it is imported.
    const shortDisk = join(dir, 'disk-short/sugar-server-feeds/notes');
    await mkdir(shortDisk, { recursive: true });
    const short = manifestOf('notes', held.version! + 1, new Date(Date.now() + 4_000), files.map((f) => ({ ...f, data: Buffer.from('short-lived') })));
    await writeFile(join(shortDisk, 'manifest.json'), short);
    await writeFile(join(shortDisk, 'manifest.json.sig'), await signatureBy(root, short));
    await writeFile(join(shortDisk, 'a.txt'), 'short-lived');
    const imported = await admin(school, '/core/v1/feeds/import', { method: 'POST', body: JSON.stringify({ dir: join(dir, 'disk-short') }), headers: { 'Content-Type': 'application/json' } });
    expect([imported.status, ((await imported.json()) as { feeds: { outcome: string }[] }).feeds]).toEqual([200, [expect.objectContaining({ name: 'notes', outcome: 'applied' })]]);
    expect((await states()).notes).toMatchObject({ version: held.version! + 1, signedBy: root.id, expired: false, lastErrorCode: null });

    // No uplink polls a usb feed: /status and /metrics must still say when what laptops get is no longer vouched for.
    const expired = await until(async () => (await states()).notes, (s) => s.expired, 'the imported signature to run out');
    expect(expired).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_EXPIRED', version: held.version! + 1 });
    const metrics = await (await school.fetch('/metrics')).text();
    expect(metrics).toContain('sugar_server_feed_expired{owner="feeder",feed="notes",trust="signed"} 1');
    expect(metrics).toContain('sugar_server_feed_refused{owner="feeder",feed="notes",trust="signed",code="SERVER_ERR_FEED_EXPIRED"} 1');
    expect(await applied()).toEqual({ 'a.txt': 'short-lived' });
  });
});
