/**
 * The data folder fills up while blacklists compile: the compile fails and
 * says why in the plugin's status, the index in use goes on answering, and
 * once space is freed the next compile applies the new lists, without a
 * restart.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../../harness/index.js';
import { blacklistsConfig, type StatusAnswer } from '../blacklists/server.js';
import { DataVolume, onSmallVolume } from './data-volume.js';
import { admin } from './school.js';

let lists: string;
let daemon: DaemonProcess;
let volume: DataVolume;

/** The UT1 layout: `adult/domains` with `count` domains of `tag`. */
async function writeLists(tag: string, count: number): Promise<void> {
  await mkdir(join(lists, 'adult'), { recursive: true });
  await writeFile(join(lists, 'adult', 'domains'), `${Array.from({ length: count }, (_, i) => `site${i}.${tag}.example`).join('\n')}\n`);
}

const check = (url: string) => daemon.json<{ blocked: boolean }>(`/blacklists/v1/check?url=${encodeURIComponent(url)}`);
const status = () => daemon.json<StatusAnswer>('/blacklists/v1/status');
const recompile = () => admin(daemon, '/blacklists/v1/recompile?wait=1', { method: 'POST', signal: AbortSignal.timeout(60_000) });

beforeAll(async () => {
  lists = await mkdtemp(join(tmpdir(), 'blacklists-faults-'));
  await writeLists('old', 1000);
  const root = await makeRoot({ config: blacklistsConfig(lists, 'categories = adult\n') });
  daemon = await DaemonProcess.startIn(root, { wrap: onSmallVolume(root, '8m') });
  volume = new DataVolume(daemon);
  const deadline = Date.now() + 30_000;
  while (!(await status()).index && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
});
afterAll(async () => {
  await daemon?.dispose();
  await rm(lists, { recursive: true, force: true });
});

describe('a full disk during a blacklist compile', () => {
  it('fails the compile with a code naming ENOSPC, keeps the index in use answering, and compiles once space is freed', async () => {
    expect(await check('http://site1.old.example/')).toMatchObject({ blocked: true });
    const compiledAt = (await status()).index!.compiledAt;
    await writeLists('new', 200_000);
    await volume.fill();
    try {
      const answer = await recompile();
      expect(answer.status).toBe(500);
      const refusal = { code: 'BLACKLISTS_ERR_COMPILE_FAILED', message: expect.stringContaining('ENOSPC: no space left on device') };
      expect(await answer.json()).toMatchObject({ error: refusal });
      const after = await status();
      expect(after.compile.lastError).toMatchObject(refusal);
      await daemon.waitForLog((l) => l.msg === 'compiling blacklists failed; the index in use stays' && l.code === refusal.code);
      expect(after.index!.compiledAt).toBe(compiledAt);
      expect(await check('http://site1.old.example/')).toMatchObject({ blocked: true });
      expect(await check('http://site1.new.example/')).toMatchObject({ blocked: false });
    } finally {
      await volume.clear();
    }
    expect((await recompile()).status).toBe(200);
    const recovered = await status();
    expect(recovered.compile.lastSuccess!.at > recovered.compile.lastError!.at).toBe(true);
    expect(recovered.index!.domains).toBe(200_000);
    expect(await check('http://site1.new.example/')).toMatchObject({ blocked: true });
    expect(await check('http://site1.old.example/')).toMatchObject({ blocked: false });
  });
});
