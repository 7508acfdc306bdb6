/**
 * The configuration feed (issue #9): the Mothership serves drop-ins for its
 * schools, signed; a school writes the one for its group as
 * conf.d/40-upstream.conf through the SIGHUP path, refuses a broken one as a
 * whole, and its own 50-local.conf still wins key by key.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, keygen, signKeys, until, type FeedKey } from '../harness/index.js';

type FeedState = { name: string; url: string; lastError: string | null; lastErrorCode: string | null; version: number | null; trust: string; signedBy: string | null };
type Status = Awaited<ReturnType<DaemonProcess['status']>> & { feeds: { trust: string; config: FeedState | null } };

describe('a school taking its configuration from the Mothership', () => {
  let keyDir: string;
  let online: FeedKey;
  let dropIns: string;
  let mothership: DaemonProcess;
  let school: DaemonProcess;
  const upstreamFile = () => join(school.root, 'etc/sugar-server/conf.d/40-upstream.conf');
  const status = () => school.status() as Promise<Status>;
  const configFeed = async () => (await status()).feeds.config!;
  /** Post an echo item whose JSON body is `bytes` long: what [echo] upload_limit lets through. */
  const upload = async (bytes: number) => {
    const body = JSON.stringify({ id: 1, pad: 'x'.repeat(bytes - 17) });
    expect(body.length).toBe(bytes);
    return (await school.fetch('/echo/v1/items', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } })).status;
  };
  /**
   * Publish `text` as the Mothership's drop-in `name`; wait until the school took
   * that version or, when `refused`, refused it (each case leaves the feed
   * unrefused, so an error is this version's).
   */
  async function publish(name: string, text: string, outcome: 'taken' | 'refused' = 'taken'): Promise<FeedState> {
    await writeFile(join(dropIns, name), text);
    const { version } = await mothership.json<{ version: number }>('/feeds/v1/config/manifest.json');
    const judged = outcome === 'taken' ? (s: FeedState) => s.version === version && s.lastErrorCode === null : (s: FeedState) => s.lastErrorCode !== null;
    return until(configFeed, judged, `the school to have ${outcome} config version ${version}`);
  }

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'feed-keys-'));
    dropIns = join(keyDir, 'drop-ins');
    await mkdir(dropIns);
    const root = await keygen(join(keyDir, 'root.key'), 'root');
    online = await keygen(join(keyDir, 'online.key'), 'online');
    await signKeys(root, keyDir, [online]);
    await writeFile(join(dropIns, 'default.conf'), '[plugins]\necho = on\n[echo]\ngreeting = from the Mothership\nupload_limit = 32\n');
    mothership = await DaemonProcess.start({
      config: `[feeds]\nsigning_key = ${online.file}\nkeys_file = ${join(keyDir, 'keys.json')}\nconfig_dir = ${dropIns}\n`,
    });
    school = await DaemonProcess.start({
      config: `[feeds]\nupstream = ${mothership.url}\ngroup = district-7\nconfig_interval = 300ms\ntrusted_keys = ${root.pub}\n`,
      dropIns: { '50-local.conf': '[echo]\ngreeting = ours\n' },
    });
  });
  afterAll(async () => {
    for (const d of [school, mothership]) await d?.dispose();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('writes the Mothership\'s drop-in as 40-upstream.conf and reloads; the school\'s 50-local.conf still wins key by key', async () => {
    const taken = await until(configFeed, (s) => s?.version !== null && s?.lastErrorCode === null, 'the first configuration');
    expect(taken).toMatchObject({ name: 'config', url: `${mothership.url}/feeds/v1/config/`, trust: 'signed', signedBy: online.id });
    expect(await readFile(upstreamFile(), 'utf8')).toBe(await readFile(join(dropIns, 'default.conf'), 'utf8'));
    const echo = await until(() => school.fetch('/echo/v1/ping'), (r) => r.status === 200, 'echo switched on by the Mothership');
    expect(await echo.json()).toEqual({ greeting: 'ours', items: 0 });
    expect(await upload(32)).toBe(201);
    expect(await upload(33)).toBe(413);
    expect((await status()).server.config).toMatchObject({ generation: 2, lastError: null });
  });

  it('takes the drop-in of its own group over the default', async () => {
    const district = '[plugins]\necho = on\n[echo]\ngreeting = district 7\nupload_limit = 64\n';
    expect(await publish('district-7.conf', district)).toMatchObject({ trust: 'signed' });
    expect(await readFile(upstreamFile(), 'utf8')).toBe(district);
    expect(await upload(64)).toBe(201);
    expect(await (await school.fetch('/echo/v1/ping')).json()).toMatchObject({ greeting: 'ours' });
  });

  it('refuses a drop-in with a bad key as a whole: the running configuration and 40-upstream.conf stay, /status names file:line', async () => {
    const before = await status();
    const held = await readFile(upstreamFile(), 'utf8');
    const refused = await publish('district-7.conf', '[plugins]\necho = on\n[echo]\ngreeting = district 7\nupload_limit = 1k\ncolour = blue\n', 'refused');
    expect(refused).toMatchObject({ lastErrorCode: 'SERVER_ERR_CONFIG', version: before.feeds.config!.version });
    expect(refused.lastError).toContain('config feed district-7.conf:6: [echo] colour: unknown key (known keys: greeting, tcp_port, http_port, listeners, upload_limit)');
    expect(await readFile(upstreamFile(), 'utf8')).toBe(held);
    const after = await status();
    expect(after.server.config).toEqual(before.server.config);
    expect(await upload(65)).toBe(413);
    const metrics = await (await school.fetch('/metrics')).text();
    expect(metrics).toContain('sugar_server_feed_refused{owner="core",feed="config",trust="signed",code="SERVER_ERR_CONFIG"} 1');

    // The Mothership puts it right: the school is current again, with nothing to change.
    expect(await publish('district-7.conf', held)).toMatchObject({ trust: 'signed' });
    expect((await status()).server.config).toEqual(before.server.config);
  });

  it('refuses a drop-in that would choose the school\'s trust or upstream for it', async () => {
    const held = await readFile(upstreamFile(), 'utf8');
    const refused = await publish('district-7.conf', `[echo]\ngreeting = district 7\n[feeds]\ntrusted_keys = ${online.pub}\n`, 'refused');
    expect(refused.lastErrorCode).toBe('SERVER_ERR_CONFIG');
    expect(refused.lastError).toContain('config feed district-7.conf:4: [feeds] trusted_keys: is the school\'s own choice; the upstream drop-in may not set it');
    expect(await readFile(upstreamFile(), 'utf8')).toBe(held);

    // A sound drop-in after the refusals is taken again.
    const fixed = '[plugins]\necho = on\n[echo]\ngreeting = district 7\nupload_limit = 1k\n';
    expect(await publish('district-7.conf', fixed)).toMatchObject({ trust: 'signed' });
    expect(await readFile(upstreamFile(), 'utf8')).toBe(fixed);
    expect(await upload(65)).toBe(201);
  });
});
