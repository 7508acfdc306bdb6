/**
 * The fleet end to end: a Mothership, a district relay and three schools, each
 * a real daemon on loopback. Schools enrol with invites, mirror a signed feed
 * and check in; the Mothership's propagation shows who holds what.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_MAIN, DaemonProcess, runCommand } from '../harness/index.js';

interface FeedRow {
  name: string;
  latest: { version: number; published: string };
  schools: number;
  current: number;
  lagSeconds: { p50: number | null; p90: number | null; max: number | null };
  behind: { name: string; version: number | null }[];
  relayed: { schools: number; current: number };
}
interface PropagationDoc {
  schools: { total: number; current: number; behind: number; failing: number; silent: number; never: number };
  feeds: FeedRow[];
  silent: { name: string; lastCheckin: string | null }[];
  downstream: { schools: number; silent: number; failing: number };
}

const daemons: DaemonProcess[] = [];
let keys: string;
let mothership: DaemonProcess;
let district: DaemonProcess;
let schools: Record<'a' | 'b' | 'c', DaemonProcess>;

const adminToken = async (d: DaemonProcess) => (await readFile(join(d.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
const admin = async (d: DaemonProcess) => ({ Authorization: `Bearer ${await adminToken(d)}` });
const credentialOf = async (d: DaemonProcess) => JSON.parse(await readFile(join(d.root, 'etc/sugar-server/fleet.credential'), 'utf8')) as { serverId: string; secret: string; name: string };
const propagation = async (d: DaemonProcess) => d.json<PropagationDoc>('/fleet/v1/propagation', { headers: await admin(d) });
const notes = (p: PropagationDoc) => p.feeds.find((f) => f.name === 'notes');
const checkinState = async (d: DaemonProcess) =>
  (await d.json<{ fleet: { checkin: { pending: boolean; lastSuccess: string | null; lastAttempt: string | null; lastError: string | null; lastErrorCode: string | null; nextAt: string | null } } }>('/status')).fleet.checkin;

/** A loopback port free now, so that a daemon can be restarted at the same address. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function start(config: string, dropIns: Record<string, string> = {}): Promise<DaemonProcess> {
  const daemon = await DaemonProcess.start({ config, dropIns });
  daemons.push(daemon);
  return daemon;
}

/** Invite on `upstream`, enrol `school` with the token through the CLI, as an admin would. */
async function enrol(upstream: DaemonProcess, school: DaemonProcess, name: string, { urlFromConfig = false } = {}): Promise<string> {
  const invite = await upstream.cli('fleet', 'invite', name, '--group', 'district-7');
  expect(invite.code, invite.stderr).toBe(0);
  const token = invite.stdout.split('\n')[1]!.trim();
  const enrolled = urlFromConfig ? await school.cli('fleet', 'enrol', token) : await school.cli('fleet', 'enrol', upstream.url, token);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  expect(enrolled.stdout).toContain(`enrolled with ${upstream.url}/ as ${name} (group district-7)`);
  return token;
}

async function putNote(d: DaemonProcess, name: string, text: string) {
  const response = await d.fetch(`/feeder/v1/notes/${name}`, { method: 'PUT', body: text, headers: await admin(d) });
  expect(response.status).toBe(204);
}

beforeAll(async () => {
  keys = await mkdtemp(join(tmpdir(), 'sugar-fleet-keys-'));
  const keygen = await runCommand(process.execPath, [DAEMON_MAIN, 'feeds', 'keygen', join(keys, 'root.key')]);
  expect(keygen.code, keygen.stderr).toBe(0);
  const fleet = '[fleet]\ncheckin_interval = 1s\nsilent_after = 3s\n';
  mothership = await start(`[plugins]\nfeeder = on\n[feeds]\nsigning_key = ${join(keys, 'root.key')}\n${fleet}`);
  // Every school mirrors the Mothership's signed feed; school c checks in with the district, the others with the Mothership.
  const school = (name: string, extra = '') =>
    `[plugins]\nfeeder = on\n[feeder]\nupstream = ${mothership.url}/feeds/v1/notes/\ninterval = 300ms\n` +
    `[feeds]\ntrusted_keys = ${join(keys, 'root.key.pub')}\n${fleet}name = ${name}\n${extra}`;
  const districtPort = await freePort();
  [district, schools] = await Promise.all([
    start(school('district 7 relay'), { '60-port.conf': `[http]\nport = ${districtPort}\n` }),
    Promise.all([start(school('school a')), start(school('school b', `upstream = ${mothership.url}/\n`)), start(school('school c'))]).then(([a, b, c]) => ({ a: a!, b: b!, c: c! })),
  ]);
  const used = await enrol(mothership, district, 'District 7');
  // Single use: the same token enrols nobody else.
  const again = await schools.a.cli('fleet', 'enrol', mothership.url, used);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain('SERVER_ERR_FLEET_BAD_INVITE');
  await enrol(mothership, schools.a, 'School A');
  // School B names its upstream in [fleet], so its admin gives the token alone.
  await enrol(mothership, schools.b, 'School B', { urlFromConfig: true });
  await enrol(district, schools.c, 'School C');
}, 120_000);

afterAll(async () => {
  for (const d of daemons) await d.dispose();
  await rm(keys, { recursive: true, force: true });
});

describe('the fleet: a Mothership, a district relay and three schools', () => {
  it('keeps each credential readable by its owner only', async () => {
    for (const d of [district, schools.a, schools.c]) {
      expect((await stat(join(d.root, 'etc/sugar-server/fleet.credential'))).mode & 0o777).toBe(0o600);
    }
  });

  it('shows a signed feed reaching every school, with its lag, directly and through the relay', async () => {
    await putNote(mothership, 'stolen.txt', 'SHC0123456A');
    const manifest = await mothership.json<{ version: number }>('/feeds/v1/notes/manifest.json');
    const done = await until(
      () => propagation(mothership),
      (p) => {
        const feed = notes(p);
        return feed?.latest.version === manifest.version && feed.current === 3 && feed.relayed.current === 1;
      },
      'every school at the latest version',
    );
    const feed = notes(done)!;
    expect(feed).toMatchObject({ schools: 3, current: 3, behind: [], relayed: { schools: 1, current: 1 } });
    for (const lag of [feed.lagSeconds.p50, feed.lagSeconds.p90, feed.lagSeconds.max]) {
      expect(lag).not.toBeNull();
      expect(lag!).toBeGreaterThanOrEqual(0);
    }
    expect(done.schools).toMatchObject({ total: 3, silent: 0, never: 0 });
    expect(done.downstream).toEqual({ schools: 1, silent: 0, failing: 0 });

    // The relay sees its own school; the schools report the signed version and their figures.
    const relayed = await district.json<{ schools: { name: string; feeds: { name: string; version: number }[] }[] }>('/fleet/v1/schools', { headers: await admin(district) });
    expect(relayed.schools.map((s) => s.name)).toEqual(['School C']);
    expect(relayed.schools[0]!.feeds).toContainEqual(expect.objectContaining({ name: 'notes', version: manifest.version }));
    const { serverId } = await credentialOf(schools.a);
    const a = await mothership.json<{ name: string; latest: { report: { feeds: { name: string; trust: string; version: number }[]; downstream: unknown } }; history: unknown[] }>(`/fleet/v1/schools/${serverId}`, { headers: await admin(mothership) });
    expect(a.name).toBe('School A');
    expect(a.latest.report.feeds).toContainEqual(expect.objectContaining({ name: 'notes', trust: 'signed', version: manifest.version }));
    expect(a.history.length).toBeGreaterThan(0);

    const report = await mothership.cli('fleet', 'report');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(`notes: version ${manifest.version}`);
    expect(report.stdout).toContain('held by 3 of 3 school(s), and 1 of 1 behind relays');
  });

  it('refuses a forged, malformed or oversized check-in and stores nothing of it', async () => {
    const a = await credentialOf(schools.a);
    const c = await credentialOf(schools.c);
    const b = await credentialOf(schools.b);
    const held = await mothership.json<{ latest: { report: Record<string, unknown> } }>(`/fleet/v1/schools/${a.serverId}`, { headers: await admin(mothership) });
    const post = (credential: string | null, body: string) =>
      mothership.fetch('/fleet/v1/checkin', { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...(credential ? { Authorization: `Bearer ${credential}` } : {}) } });
    const code = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

    // School A's credential, a report claiming to be School B.
    const forged = JSON.stringify({ ...held.latest.report, serverId: b.serverId, name: 'FORGED' });
    const asB = await post(`${a.serverId}.${a.secret}`, forged);
    expect([asB.status, await code(asB)]).toEqual([403, 'SERVER_ERR_FLEET_FORGED']);
    // A credential issued by the district is nothing to the Mothership; no credential neither.
    const foreign = await post(`${c.serverId}.${c.secret}`, JSON.stringify({ ...held.latest.report, serverId: c.serverId, name: 'FORGED' }));
    expect([foreign.status, await code(foreign)]).toEqual([401, 'SERVER_ERR_FLEET_UNKNOWN_SCHOOL']);
    const anonymous = await post(null, forged);
    expect([anonymous.status, await code(anonymous)]).toEqual([401, 'SERVER_ERR_FLEET_UNKNOWN_SCHOOL']);
    const wrongSecret = await post(`${a.serverId}.${b.secret}`, JSON.stringify({ ...held.latest.report, name: 'FORGED' }));
    expect([wrongSecret.status, await code(wrongSecret)]).toEqual([401, 'SERVER_ERR_FLEET_UNKNOWN_SCHOOL']);

    for (const body of ['{"schema":1,', JSON.stringify({ ...held.latest.report, name: 'FORGED', plugins: 'all fine' })]) {
      const malformed = await post(`${a.serverId}.${a.secret}`, body);
      expect([malformed.status, await code(malformed)]).toEqual([400, 'SERVER_ERR_FLEET_BAD_REPORT']);
    }
    const oversized = await post(`${a.serverId}.${a.secret}`, JSON.stringify({ ...held.latest.report, name: 'FORGED', padding: 'x'.repeat(70 * 1024) }));
    expect([oversized.status, await code(oversized)]).toEqual([413, 'SERVER_ERR_FLEET_TOO_LARGE']);

    // Nothing of them was kept, neither as a latest report nor in any history.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const { serverId } of [a, b]) {
      const record = await mothership.json<{ name: string; latest: { report: { name: string; serverId: string } }; history: unknown[] }>(`/fleet/v1/schools/${serverId}`, { headers: await admin(mothership) });
      expect(record.latest.report.name).not.toBe('FORGED');
      expect(record.latest.report.serverId).toBe(serverId);
    }
    const rows = await mothership.json<{ schools: { name: string }[] }>('/fleet/v1/schools', { headers: await admin(mothership) });
    expect(rows.schools.map((s) => s.name)).toEqual(['District 7', 'School A', 'School B']);
    const storeDir = join(mothership.root, 'var/lib/sugar-server/core/fleet');
    const files = await readdir(storeDir);
    expect(files.some((f) => f.startsWith('journal-'))).toBe(true);
    for (const file of files) expect(await readFile(join(storeDir, file), 'utf8'), file).not.toContain('FORGED');
  });

  it('lists a school that stopped as silent once silent_after has passed', async () => {
    await schools.b.stop();
    const silent = await until(() => propagation(mothership), (p) => p.silent.some((s) => s.name === 'School B'), 'School B to go silent');
    expect(silent.silent.map((s) => s.name)).toEqual(['School B']);
    expect(silent.schools).toMatchObject({ total: 3, silent: 1 });
    const listed = await mothership.cli('fleet', 'schools', '--silent');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/School B\s+district-7\s+silent/);
    expect(listed.stdout).not.toContain('School A');
    const metrics = await (await mothership.fetch('/metrics')).text();
    expect(metrics).toMatch(/sugar_server_fleet_schools\{state="silent"\} 1/);
    expect(metrics).toMatch(/sugar_server_fleet_feed_lag_seconds\{feed="notes",quantile="0.5"\} /);
  });

  it('waits out the Retry-After of an upstream in maintenance, then checks in again', async () => {
    const on = await mothership.cli('maintenance', 'on', '--retry-after', '4s', '--reason', 'upgrading');
    expect(on.code, on.stderr).toBe(0);
    const held = await until(() => checkinState(schools.a), (c) => c.lastErrorCode === 'SERVER_ERR_MAINTENANCE', 'School A to be told to come back later');
    // Its interval is 1 s; the next attempt is set no sooner than the 4 s the upstream asked for.
    expect(Date.parse(held.nextAt!) - Date.parse(held.lastAttempt!)).toBeGreaterThanOrEqual(4000);
    const off = await mothership.cli('maintenance', 'off');
    expect(off.code, off.stderr).toBe(0);
    await until(() => checkinState(schools.a), (c) => c.lastError === null && c.lastSuccess! > held.lastAttempt!, 'School A to check in after maintenance');
  });

  it('keeps the report while its upstream is down, and sends the latest once it is back', async () => {
    const pendingFile = join(schools.c.root, 'var/lib/sugar-server/core/fleet-unsent-report.json');
    await district.stop();
    const waiting = await until(() => checkinState(schools.c), (c) => c.pending, 'School C to keep its report');
    expect(waiting.lastError).toContain('could not be reached');
    expect(JSON.parse(await readFile(pendingFile, 'utf8'))).toMatchObject({ name: 'school c' });

    // The district back at the same address: the school's next attempt goes through and the kept report is dropped.
    const restartedAt = new Date().toISOString();
    const back = await DaemonProcess.startIn(district.root);
    daemons.push(back);
    const sent = await until(() => checkinState(schools.c), (c) => !c.pending && c.lastSuccess !== null && c.lastSuccess > waiting.lastAttempt!, 'School C to check in again');
    expect(sent.lastError).toBeNull();
    await expect(stat(pendingFile)).rejects.toMatchObject({ code: 'ENOENT' });
    const { serverId } = await credentialOf(schools.c);
    const record = await back.json<{ latest: { receivedAt: string } }>(`/fleet/v1/schools/${serverId}`, { headers: await admin(back) });
    expect(record.latest.receivedAt > restartedAt).toBe(true);
  });
});
