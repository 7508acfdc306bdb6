/**
 * Trusted feeds over HTTP (issue #9): a Mothership signing its feeds with an
 * online key named by a root-signed keys.json, schools pinning only the root
 * key, and an attacker on the school's uplink (a transparent proxy) that
 * changes, forges, replays and freezes what the school is answered. Each case
 * checks what an admin sees (/status, /metrics) and what laptops get.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Laptop } from 'sugaroid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  activation,
  captureManifest,
  DaemonProcess,
  jsonAnswer,
  keygen,
  makeLease,
  manifestOf,
  signatureBy,
  signKeys,
  until,
  UplinkProxy,
  type Answer,
  type CapturedManifest,
  type FeedKey,
} from '../harness/index.js';

const DAY_MS = 86_400_000;
const LEASES = 'leases = on\n[leases]\nport = 0\naddress = 127.0.0.1\n';

type FeedState = { name: string; url: string; lastAttempt: string | null; lastError: string | null; lastErrorCode: string | null; version: number | null; expires: string | null; expired: boolean; trust: string; signedBy: string | null; lastSuccess: string | null };

async function admin(daemon: DaemonProcess, path: string, init: RequestInit = {}): Promise<Response> {
  const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  return daemon.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
}

async function putNote(daemon: DaemonProcess, name: string, text: string): Promise<void> {
  expect((await admin(daemon, `/feeder/v1/notes/${name}`, { method: 'PUT', body: text })).status).toBe(204);
}

/** The notes the school's feeder applied last: what its "laptops" get. */
const applied = (d: DaemonProcess) => d.json<{ applied: Record<string, string> | null }>('/feeder/v1/applied').then((b) => b.applied);
const feedOf = async (d: DaemonProcess, service: string) => d.plugin(await d.status(), service)!.feeds[0] as unknown as FeedState;

/** The value of one sample in /metrics, found by its labels; undefined when absent. */
async function metric(d: DaemonProcess, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await d.fetch('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Answer the feed's manifest and signature with `manifest` (recorded or forged) and its `files` by path; pass everything else through. */
function replaying(feed: string, manifest: { bytes: Buffer; signature: Buffer; etag?: string }, files: Record<string, Buffer> = {}) {
  return (path: string): Answer | undefined => {
    if (path === `/feeds/v1/${feed}/manifest.json`) return jsonAnswer(manifest.bytes, manifest.etag ?? '"replayed"');
    if (path === `/feeds/v1/${feed}/manifest.json.sig`) return jsonAnswer(manifest.signature);
    const file = files[path.slice(`/feeds/v1/${feed}/`.length)];
    return path.startsWith(`/feeds/v1/${feed}/`) && file ? { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: file } : undefined;
  };
}

let keyDir: string;
beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'feed-keys-'));
});
afterAll(async () => {
  await rm(keyDir, { recursive: true, force: true });
});

describe('signed feeds from the Mothership, through a proxy on the school\'s uplink', () => {
  const ana = Laptop.create();
  let root: FeedKey;
  let online: FeedKey;
  let attacker: FeedKey;
  let published: string;
  let mothership: DaemonProcess;
  let proxy: UplinkProxy;
  /** Pins the root key. */
  let school: DaemonProcess;
  /** No trusted_keys: takes what it is answered. */
  let open: DaemonProcess;
  /** The notes manifest as it was before the latest change, recorded on the path. */
  let older: CapturedManifest;

  beforeAll(async () => {
    [root, online, attacker] = await Promise.all([
      keygen(join(keyDir, 'root.key'), 'deployment root'),
      keygen(join(keyDir, 'online-1.key'), 'online 1'),
      keygen(join(keyDir, 'attacker.key'), 'not ours'),
    ]);
    published = join(keyDir, 'published');
    await mkdir(published);
    expect(await signKeys(root, published, [online])).toContain('keys.json version 1');
    mothership = await DaemonProcess.start({
      config: `[plugins]\nfeeder = on\n${LEASES}[feeds]\nsigning_key = ${online.file}\nkeys_file = ${join(published, 'keys.json')}\n`,
    });
    await putNote(mothership, 'a.txt', 'one');
    expect((await admin(mothership, '/leases/v1/bundles', { method: 'POST', body: makeLease(ana) })).status).toBe(200);
    proxy = await UplinkProxy.start(mothership.url);
    const schoolConfig = (trust: string) =>
      `[plugins]\nfeeder = on\n${LEASES}upstream = ${proxy.url}/feeds/v1/leases/\nupstream_interval = 300ms\n`
      + `[feeder]\nupstream = ${proxy.url}/feeds/v1/notes/\ninterval = 300ms\n${trust}`;
    [school, open] = await Promise.all([
      DaemonProcess.start({ config: schoolConfig(`[feeds]\ntrusted_keys = ${root.pub}\n`) }),
      DaemonProcess.start({ config: schoolConfig('') }),
    ]);
  });
  /** Wait until the school holds, unrefused, the version of `feed` the Mothership serves now; its state then. */
  async function caughtUp(service: string, feed: string): Promise<FeedState> {
    const { version } = await mothership.json<{ version: number }>(`/feeds/v1/${feed}/manifest.json`);
    return until(() => feedOf(school, service), (s) => s.version === version && s.lastErrorCode === null, `the school to hold ${feed} version ${version}`);
  }

  // Each case starts with the uplink honest again and the school current.
  afterEach(async () => {
    proxy.answer(null);
    await caughtUp('feeder', 'notes');
    await caughtUp('leases', 'leases');
  });
  afterAll(async () => {
    for (const d of [school, open, mothership]) await d?.dispose();
    await proxy?.close();
  });

  it('takes the signed feed, and says in /status and /metrics which key signed which version', async () => {
    const served = await mothership.json<{ version: number; expires: string }>('/feeds/v1/notes/manifest.json');
    expect(await caughtUp('feeder', 'notes')).toMatchObject({
      name: 'notes', url: `${proxy.url}/feeds/v1/notes/`, lastError: null, lastErrorCode: null,
      version: served.version, expires: served.expires, expired: false, trust: 'signed', signedBy: online.id,
    });
    expect(await applied(school)).toEqual({ 'a.txt': 'one' });
    expect(Date.parse(served.expires)).toBeGreaterThan(Date.now() + 6 * DAY_MS);
    expect((await school.status() as unknown as { feeds: unknown }).feeds).toMatchObject({ trust: 'signed', config: null });
    expect((await mothership.status() as unknown as { feeds: unknown }).feeds).toMatchObject({ signing: true, publishing: ['leases', 'notes'] });
    expect(await mothership.json('/feeds/v1/index.json')).toEqual({ feeds: ['leases', 'notes'], signed: true });
    expect(await metric(school, 'sugar_server_feed_version', { owner: 'feeder', feed: 'notes', trust: 'signed' })).toBe(served.version);
    expect(await metric(school, 'sugar_server_feed_expired', { owner: 'feeder', feed: 'notes' })).toBe(0);
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'feeder', feed: 'notes' })).toBeUndefined();
    expect(await until(() => activation(school, ana), (o) => o === 'lease', 'the lease at the school')).toBe('lease');
    expect(proxy.requests).toContain('/feeds/v1/keys.json');
  });

  it('still serves a school without trusted_keys, which says so in /status, /metrics and its log', async () => {
    expect(await until(() => applied(open), (a) => a !== null, 'the first copy')).toEqual({ 'a.txt': 'one' });
    expect(await feedOf(open, 'feeder')).toMatchObject({ lastErrorCode: null, trust: 'unauthenticated', signedBy: null, expired: false });
    expect((await open.status() as unknown as { feeds: unknown }).feeds).toMatchObject({ trust: 'unauthenticated' });
    expect(await metric(open, 'sugar_server_feed_version', { owner: 'feeder', feed: 'notes', trust: 'unauthenticated' })).toBeGreaterThan(0);
    expect(open.logs.some((l) => l.level === 40 && /feeds are taken unauthenticated/.test(l.msg))).toBe(true);
    expect(school.logs.some((l) => /taken unauthenticated/.test(l.msg))).toBe(false);
  });

  it('refuses a file changed on the way, keeps the last good copy, and takes the change once it arrives intact', async () => {
    const before = (await feedOf(school, 'feeder')).version!;
    proxy.answer((path, real) => (path === '/feeds/v1/notes/b.txt' ? { ...real, body: Buffer.from('tw0') } : undefined));
    await putNote(mothership, 'b.txt', 'two');
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_DIGEST', version: before });
    expect(refused.lastError).toContain(`${proxy.url}/feeds/v1/notes/b.txt does not match its manifest: sha256`);
    expect(await applied(school)).toEqual({ 'a.txt': 'one' });
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'feeder', feed: 'notes', code: 'SERVER_ERR_FEED_DIGEST' })).toBe(1);
    // The log reaches this test on its own pipe, maybe after the HTTP answers above.
    await school.waitForLog((l) => l.level === 50 && l.code === 'SERVER_ERR_FEED_DIGEST' && l.feed === 'notes');

    proxy.answer(null);
    expect((await caughtUp('feeder', 'notes')).version).toBe(before + 1);
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'feeder', feed: 'notes' })).toBeUndefined();
  });

  it('refuses a manifest with one byte changed after signing', async () => {
    const held = await feedOf(school, 'feeder');
    older = await captureManifest(`${mothership.url}/feeds/v1/notes/`);
    // The attacker's text for a.txt, and the manifest's digest for it rewritten to match: one field of a signed file.
    const evil = Buffer.from('bad');
    const honest = JSON.parse(older.bytes.toString('utf8')) as { files: { path: string; sha256: string }[] };
    const realDigest = honest.files.find((f) => f.path === 'a.txt')!.sha256;
    const evilDigest = createHash('sha256').update(evil).digest('hex');
    proxy.answer((path, real) => {
      if (path === '/feeds/v1/notes/manifest.json' && real.status === 200) return { ...real, body: Buffer.from(real.body.toString('utf8').replace(realDigest, evilDigest)) };
      // An attacker answers the file as the forged digest asks, whatever the publisher says.
      if (path === '/feeds/v1/notes/a.txt') return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: evil };
      return undefined;
    });
    await putNote(mothership, 'c.txt', 'three');
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_SIGNATURE', version: held.version, signedBy: online.id });
    expect(refused.lastError).toContain('the signature does not match the bytes (changed after signing)');
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two' });
    // The school without trust takes the changed manifest and its file: this is the attack the signature stops.
    expect(await until(() => applied(open), (a) => a?.['a.txt'] === 'bad', 'the changed copy at the open school')).toMatchObject({ 'a.txt': 'bad' });

    proxy.answer(null);
    await caughtUp('feeder', 'notes');
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two', 'c.txt': 'three' });
  });

  it('refuses a manifest signed by a key it does not trust, however high its version', async () => {
    const held = await feedOf(school, 'feeder');
    const files = [{ path: 'a.txt', data: Buffer.from('forged') }];
    const bytes = manifestOf('notes', held.version! + 1000, new Date(Date.now() + DAY_MS), files);
    proxy.answer(replaying('notes', { bytes, signature: await signatureBy(attacker, bytes) }, { 'a.txt': files[0]!.data }));
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_SIGNATURE', version: held.version, signedBy: online.id });
    expect(refused.lastError).toBe(`feed manifest at ${proxy.url}/feeds/v1/notes/ is not signed by a trusted key: signed by ${attacker.id.slice(0, 16)}, none of them a trusted key`);
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'feeder', feed: 'notes', code: 'SERVER_ERR_FEED_SIGNATURE' })).toBe(1);
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two', 'c.txt': 'three' });
  });

  it('refuses another feed\'s genuine signed manifest offered in place of this one', async () => {
    const held = await feedOf(school, 'feeder');
    const leases = await captureManifest(`${mothership.url}/feeds/v1/leases/`);
    proxy.answer(replaying('notes', leases));
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_MANIFEST', version: held.version });
    expect(refused.lastError).toBe(`feed manifest at ${proxy.url}/feeds/v1/notes/ is not usable: it is the manifest of feed "leases", not "notes"`);
  });

  it('never lets a forged stolen list reach laptops', async () => {
    const genuine = await captureManifest(`${mothership.url}/feeds/v1/leases/`);
    const bundle = Buffer.from(await (await mothership.fetch('/feeds/v1/leases/leases.sig')).arrayBuffer());
    const files = [{ path: 'leases.sig', data: bundle }, { path: 'stolen.txt', data: Buffer.from(`${ana.serial}\n`) }];
    const bytes = manifestOf('leases', genuine.version + 1000, new Date(Date.now() + DAY_MS), files);
    proxy.answer(replaying('leases', { bytes, signature: await signatureBy(attacker, bytes) }, { 'stolen.txt': files[1]!.data }));
    expect(await until(() => activation(open, ana), (o) => o === 'stolen', 'the open school to take the forged list')).toBe('stolen');

    const refused = await until(() => feedOf(school, 'leases'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ name: 'leases', lastErrorCode: 'SERVER_ERR_FEED_SIGNATURE', version: genuine.version });
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'leases', feed: 'leases', code: 'SERVER_ERR_FEED_SIGNATURE' })).toBe(1);
    expect(await activation(school, ana)).toBe('lease');
    const http = await school.fetch(`/leases/v1/lease?serial=${ana.serial}`);
    expect([http.status, (await http.text()).startsWith('act01: ')]).toEqual([200, true]);
  });

  it('refuses a manifest whose signature was stripped on the way', async () => {
    const held = await feedOf(school, 'feeder');
    proxy.answer((path, real) => (path === '/feeds/v1/notes/manifest.json.sig' ? { ...real, status: 404, body: Buffer.from('{}') } : undefined));
    await putNote(mothership, 'e.txt', 'five');
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_UNSIGNED', version: held.version });
    expect(refused.lastError).toBe(`feed manifest at ${proxy.url}/feeds/v1/notes/ carries no signature, and [feeds] trusted_keys asks for one`);
    expect(await applied(school)).not.toHaveProperty('e.txt');
  });

  it('refuses a replayed older manifest as a rollback', async () => {
    const held = await feedOf(school, 'feeder');
    expect(older.version).toBeLessThan(held.version!);
    proxy.answer(replaying('notes', older, { 'a.txt': Buffer.from('one') }));
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_ROLLBACK', version: held.version });
    expect(refused.lastError).toBe(
      `feed manifest at ${proxy.url}/feeds/v1/notes/ is version ${older.version}, older than version ${held.version} already applied (a replayed manifest)`,
    );
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'feeder', feed: 'notes', code: 'SERVER_ERR_FEED_ROLLBACK' })).toBe(1);
    expect(await applied(school)).toEqual({ 'a.txt': 'one', 'b.txt': 'two', 'c.txt': 'three', 'e.txt': 'five' });
  });

  it('follows a new online key named by a new root-signed keys.json, with no change at the school, and stops taking the old one', async () => {
    const schoolGeneration = (await school.status()).server.config.generation;
    const oldKeys = { bytes: await readFile(join(published, 'keys.json')), signature: await readFile(join(published, 'keys.json.sig')) };
    const beforeRotation = await captureManifest(`${mothership.url}/feeds/v1/notes/`);

    const next = await keygen(join(keyDir, 'online-2.key'), 'online 2');
    expect(await signKeys(root, published, [next])).toContain('keys.json version 2');
    const conf = join(mothership.root, 'etc/sugar-server/sugar-server.conf');
    await writeFile(conf, (await readFile(conf, 'utf8')).replace(online.file, next.file));
    expect((await mothership.reload()).server.config.lastError).toBeNull();

    const rotated = await until(() => feedOf(school, 'feeder'), (s) => s.signedBy === next.id, 'the school to take the manifest signed by the new key');
    expect(rotated).toMatchObject({ lastErrorCode: null, trust: 'signed' });
    expect(rotated.version).toBeGreaterThan(beforeRotation.version);
    await putNote(mothership, 'd.txt', 'four');
    const held = await caughtUp('feeder', 'notes');
    expect(held.signedBy).toBe(next.id);
    expect(await applied(school)).toMatchObject({ 'd.txt': 'four' });
    expect((await school.status()).server.config.generation).toBe(schoolGeneration);

    // The old online key, even in a thief's hands, signs nothing the school takes now.
    const files = [{ path: 'a.txt', data: Buffer.from('signed with the retired key') }];
    const bytes = manifestOf('notes', held.version! + 1000, new Date(Date.now() + DAY_MS), files);
    const forged = { bytes, signature: await signatureBy(online, bytes) };
    proxy.answer(replaying('notes', forged, { 'a.txt': files[0]!.data }));
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal of the retired key');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_SIGNATURE', version: held.version, signedBy: next.id });
    expect(refused.lastError).toContain(`signed by ${online.id.slice(0, 16)}, none of them a trusted key`);

    // Nor with the keys.json that still named it: an older keys.json is a rollback too.
    proxy.answer((path) => {
      if (path === '/feeds/v1/keys.json') return jsonAnswer(oldKeys.bytes);
      if (path === '/feeds/v1/keys.json.sig') return jsonAnswer(oldKeys.signature);
      return replaying('notes', forged, { 'a.txt': files[0]!.data })(path);
    });
    const replayed = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode === 'SERVER_ERR_FEED_ROLLBACK', 'the refusal of the old keys.json');
    expect(replayed).toMatchObject({ version: held.version, signedBy: next.id });
    expect(replayed.lastError).toBe(`keys.json at ${proxy.url}/feeds/v1/keys.json is version 1, older than version 2 already taken (a replayed keys.json)`);
    expect(await applied(school)).toMatchObject({ 'a.txt': 'one', 'd.txt': 'four' });
  });

  it('stops taking manifests once the root-signed keys.json it is offered has run out, and says what to do', async () => {
    const held = await feedOf(school, 'feeder');
    const rotated = JSON.parse(await readFile(join(published, 'keys.json'), 'utf8')) as { version: number; keys: { keyid: string }[] };
    const next = { id: rotated.keys[0]!.keyid, pub: join(keyDir, 'online-2.key.pub'), file: join(keyDir, 'online-2.key') };
    expect(await signKeys(root, published, [next], '--lifetime', '1s')).toContain(`keys.json version ${rotated.version + 1}`);
    const { expires } = JSON.parse(await readFile(join(published, 'keys.json'), 'utf8')) as { expires: string };
    await until(async () => Date.now(), (now) => now > Date.parse(expires), 'keys.json to run out');
    await putNote(mothership, 'f.txt', 'six');
    const refused = await until(() => feedOf(school, 'feeder'), (s) => s.lastErrorCode !== null, 'the refusal');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_FEED_EXPIRED', version: held.version });
    expect(refused.lastError).toBe(`keys.json at ${proxy.url}/feeds/v1/keys.json expired at ${expires}: the root key must sign a new one (sugar-server feeds sign-keys)`);
    expect(await applied(school)).not.toHaveProperty('f.txt');

    expect(await signKeys(root, published, [next])).toContain(`keys.json version ${rotated.version + 2}`);
    expect((await caughtUp('feeder', 'notes')).signedBy).toBe(next.id);
    expect(await applied(school)).toMatchObject({ 'f.txt': 'six' });
  });
});

describe('a manifest that expired: the upstream frozen, or an old one replayed', () => {
  let root: FeedKey;
  let mothership: DaemonProcess;
  let proxy: UplinkProxy;
  let school: DaemonProcess;

  beforeAll(async () => {
    // The root key may sign manifests itself; a 2 s lifetime makes a captured manifest stale within the test.
    root = await keygen(join(keyDir, 'short-lived-root.key'), 'root');
    mothership = await DaemonProcess.start({ config: `[plugins]\nfeeder = on\n[feeds]\nsigning_key = ${root.file}\nsignature_lifetime = 2s\n` });
    await putNote(mothership, 'a.txt', 'one');
    proxy = await UplinkProxy.start(mothership.url);
    school = await DaemonProcess.start({
      config: `[plugins]\nfeeder = on\n[feeder]\nupstream = ${proxy.url}/feeds/v1/notes/\ninterval = 300ms\n[feeds]\ntrusted_keys = ${root.pub}\n`,
    });
  });
  afterAll(async () => {
    for (const d of [school, mothership]) await d?.dispose();
    await proxy?.close();
  });

  /**
   * Record the manifest served now and answer only it from then on. The publisher
   * re-signs every second, so a check already under way may still bring a newer
   * one; then record again.
   */
  async function freeze(feedUrl: string): Promise<CapturedManifest> {
    for (let attempt = 1; ; attempt++) {
      const frozen = await captureManifest(feedUrl);
      proxy.answer(replaying('notes', frozen));
      const since = Date.now();
      // Checks run one at a time, so one begun after the switch means the school has seen only the frozen manifest since.
      const held = await until(() => feedOf(school, 'feeder'), (s) => Date.parse(s.lastAttempt!) > since, 'a check behind the frozen uplink');
      if (held.version === frozen.version) return frozen;
      if (attempt === 5) throw new Error(`the school holds version ${held.version}, not the frozen ${frozen.version}`);
    }
  }

  it('keeps serving the last good copy and reports it expired, refuses a stale replay, and recovers when re-signed manifests arrive', async () => {
    await until(() => feedOf(school, 'feeder'), (s) => s.signedBy === root.id && s.lastErrorCode === null, 'the first signed copy');
    const feedUrl = `${mothership.url}/feeds/v1/notes/`;
    const frozen = await freeze(feedUrl);
    // A later signature of the same files, recorded now and replayed once it too has run out.
    const later = await until(() => captureManifest(feedUrl), (m) => m.version > frozen.version, 'the publisher to re-sign');

    const expired = await until(() => feedOf(school, 'feeder'), (s) => s.expired && s.lastErrorCode !== null, 'the held manifest to expire');
    expect(expired).toMatchObject({ version: frozen.version, expires: frozen.expires, lastErrorCode: 'SERVER_ERR_FEED_EXPIRED' });
    expect(expired.lastError).toContain(`expired at ${frozen.expires}: the publisher has not re-signed it (frozen or cut off)`);
    expect(await metric(school, 'sugar_server_feed_expired', { owner: 'feeder', feed: 'notes', trust: 'signed' })).toBe(1);
    expect(await metric(school, 'sugar_server_feed_refused', { owner: 'feeder', feed: 'notes', code: 'SERVER_ERR_FEED_EXPIRED' })).toBe(1);
    expect(await applied(school)).toEqual({ 'a.txt': 'one' });
    // /status reads expiry off the clock; the log line comes with the next check behind the frozen uplink.
    await school.waitForLog((l) => l.level === 50 && l.code === 'SERVER_ERR_FEED_EXPIRED' && l.feed === 'notes');

    await until(async () => Date.now(), (now) => now > Date.parse(later.expires), 'the later signature to run out');
    proxy.answer(replaying('notes', later));
    const stale = await until(() => feedOf(school, 'feeder'), (s) => s.lastError?.includes(later.expires) ?? false, 'the stale replay to be refused');
    expect(stale).toMatchObject({ version: frozen.version, lastErrorCode: 'SERVER_ERR_FEED_EXPIRED', expired: true });
    expect(stale.lastError).toBe(`feed manifest at ${proxy.url}/feeds/v1/notes/ expired at ${later.expires}: the publisher has not re-signed it (frozen or cut off)`);

    proxy.answer(null);
    const current = await until(() => feedOf(school, 'feeder'), (s) => !s.expired && s.lastErrorCode === null, 'a current signature');
    expect(current.version).toBeGreaterThan(later.version);
    expect(await metric(school, 'sugar_server_feed_expired', { owner: 'feeder', feed: 'notes' })).toBe(0);
    expect(await applied(school)).toEqual({ 'a.txt': 'one' });
  });
});
