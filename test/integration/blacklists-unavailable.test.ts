/**
 * Filtering without lists: before the first compile, with the lists missing,
 * or with the index damaged. By default (`when_unavailable = block`) children
 * get the block page saying filtering is not ready and squid's ACL denies;
 * `allow` lets requests through. The helper reads the choice from the
 * configuration on disk, so it holds while the daemon is down; the daemon
 * reports it in /status and in /metrics, and the check says why it cannot
 * answer.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_MAIN, DaemonProcess, makeRoot, runCommand } from '../harness/index.js';
import { blacklistsConfig } from './blacklists/server.js';

let workdir: string;
let daemon: DaemonProcess;

const PAGE = 'http://schoolserver/blocked';

/** The helper, as squid runs it, in the root `root` (no daemon needed). */
async function helper(root: string, lines: string, ...args: string[]): Promise<string[]> {
  const result = await runCommand(process.execPath, [DAEMON_MAIN, 'blacklists', 'helper', ...args, '--root', root], { input: lines, timeoutMs: 30_000 });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').slice(0, -1);
}

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'blacklists-unavailable-'));
  // Lists that are not there: every compile fails and no index ever exists.
  daemon = await DaemonProcess.start({ config: blacklistsConfig(join(workdir, 'missing')) });
  await daemon.waitForLog((line) => line.msg.startsWith('compiling blacklists failed'), 20_000);
});
afterAll(async () => {
  await daemon?.dispose();
  await rm(workdir, { recursive: true, force: true });
});

describe('the check without an index', () => {
  it('answers 503 with its own code and when to try again', async () => {
    const response = await daemon.fetch(`/blacklists/v1/check?url=${encodeURIComponent('http://adult.example/')}`);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('BLACKLISTS_ERR_NO_INDEX');
  });
});

describe('when_unavailable = block (the default)', () => {
  it('sends every request to the block page, which says filtering is not ready', async () => {
    const answers = await helper(daemon.root, '0 http://www.sugarlabs.org/x 10.0.0.5/- - GET\nhttp://a.example/ -\n1 http://schoolserver/blocked?url=x -\n');
    expect(answers).toEqual([
      `0 OK status=302 url="${PAGE}?url=${encodeURIComponent('http://www.sugarlabs.org/x')}&reason=unavailable"`,
      `OK status=302 url="${PAGE}?url=${encodeURIComponent('http://a.example/')}&reason=unavailable"`,
      '1 OK',
    ]);
    const page = await daemon.fetch(`/blocked?url=${encodeURIComponent('http://www.sugarlabs.org/x')}&reason=unavailable&lang=en`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('filter is not ready');
  });

  it('makes the external ACL deny, also with --only', async () => {
    expect(await helper(daemon.root, '0 http://www.sugarlabs.org/\n', '--mode', 'acl')).toEqual(['0 OK message="unavailable"']);
    expect(await helper(daemon.root, '0 http://www.sugarlabs.org/\n', '--mode', 'acl', '--only', 'deny')).toEqual(['0 OK message="unavailable"']);
  });

  it('holds when the index on disk is damaged', async () => {
    const root = await makeRoot({ config: blacklistsConfig(null) });
    await mkdir(join(root, 'var/lib/sugar-server/blacklists/index'), { recursive: true });
    await writeFile(join(root, 'var/lib/sugar-server/blacklists/index/current.idx'), 'SUGARBL1 but nothing else');
    expect(await helper(root, '3 http://www.sugarlabs.org/\n', '--mode', 'acl')).toEqual(['3 OK message="unavailable"']);
    await rm(root, { recursive: true, force: true });
  });

  it('is reported in /status and in /metrics', async () => {
    const status = await daemon.status();
    expect(daemon.plugin(status, 'blacklists')).toMatchObject({ details: { filtering: 'unavailable', whenUnavailable: 'block' } });
    expect(await daemon.json('/blacklists/v1/status')).toMatchObject({ filtering: 'unavailable', whenUnavailable: 'block' });
    const metrics = await (await daemon.fetch('/metrics')).text();
    expect(metrics).toMatch(/^sugar_server_blacklists_index_loaded 0$/m);
    expect(metrics).toMatch(/^sugar_server_blacklists_when_unavailable\{action="block"\} 1$/m);
  });
});

describe('changing when_unavailable', () => {
  it('is reported once the daemon reloads its configuration', async () => {
    const conf = join(daemon.root, 'etc/sugar-server/sugar-server.conf');
    await writeFile(conf, `${await readFile(conf, 'utf8')}when_unavailable = allow\n`);
    await daemon.reload();
    const deadline = Date.now() + 15_000;
    while ((await daemon.json('/blacklists/v1/status').catch(() => null))?.whenUnavailable !== 'allow' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(daemon.plugin(await daemon.status(), 'blacklists')).toMatchObject({ details: { whenUnavailable: 'allow' } });
    const metrics = await (await daemon.fetch('/metrics')).text();
    expect(metrics).toMatch(/^sugar_server_blacklists_when_unavailable\{action="allow"\} 1$/m);
    expect(metrics).toMatch(/^sugar_server_blacklists_index_loaded 0$/m);
  });
});

describe('when_unavailable = allow', () => {
  it('lets requests through, read from the configuration with no daemon running', async () => {
    const root = await makeRoot({ config: blacklistsConfig(null, 'when_unavailable = allow\n') });
    expect(await helper(root, '0 http://www.sugarlabs.org/\nhttp://a.example/\n')).toEqual(['0 OK', 'OK']);
    expect(await helper(root, '0 http://www.sugarlabs.org/\n', '--mode', 'acl')).toEqual(['0 ERR']);
    await rm(root, { recursive: true, force: true });
  });
});
