import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAEMON_MAIN, DaemonProcess, makeRoot, runCommand, storedDocument } from '../harness/index.js';

let daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const d of daemons) await d.dispose();
  daemons = [];
});

async function post(daemon: DaemonProcess, id: number): Promise<boolean> {
  try {
    const response = await daemon.fetch('/echo/v1/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id }),
    });
    return response.status === 201;
  } catch {
    return false;
  }
}

describe('stores acknowledge a write only once it is on disk', () => {
  it('keeps every acknowledged write when the daemon is killed with SIGKILL mid-stream', async () => {
    const daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\n' });
    daemons.push(daemon);
    const acknowledged: number[] = [];
    let next = 0;
    let killed = false;
    // Eight writers in parallel, so flushes are shared; kill once a few hundred are in.
    const writer = async () => {
      while (!killed && next < 5000) {
        const id = next++;
        if (await post(daemon, id)) acknowledged.push(id);
        if (acknowledged.length >= 300 && !killed) {
          killed = true;
          daemon.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    await daemon.waitForExit();
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    const stored = new Set((await storedDocument<{ items: number[] }>(daemon.root, 'echo')).items);
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);

    // And the next daemon on the same folder takes over the stale lock and serves the data.
    const again = await DaemonProcess.startIn(daemon.root);
    daemons.push(again);
    const { items } = await again.json<{ items: number }>('/echo/v1/ping');
    expect(items).toBe(stored.size);
  });

  it('refuses a second daemon on the same data folder with a clear message', async () => {
    const first = await DaemonProcess.start({ config: '[plugins]\necho = on\n' });
    daemons.push(first);
    await expect(DaemonProcess.startIn(first.root)).rejects.toThrow(
      new RegExp(`data folder ${join(first.root, 'var/lib/sugar-server')} is in use by another sugar-server \\(pid ${first.child.pid}\\)`),
    );
    expect((await first.fetch('/echo/v1/ping')).status).toBe(200);
  });

  it('starts over a lock left before a reboot, whose pid now belongs to another program', async () => {
    const root = await makeRoot({ config: '[plugins]\necho = on\n' });
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await new Promise((resolve, reject) => sleeper.once('spawn', resolve).once('error', reject));
      await mkdir(join(root, 'var/lib/sugar-server'), { recursive: true });
      await writeFile(join(root, 'var/lib/sugar-server/sugar-server.lock'), `${sleeper.pid}\n`);
      const daemon = await DaemonProcess.startIn(root);
      daemons.push(daemon);
      expect((await daemon.fetch('/echo/v1/ping')).status).toBe(200);
    } finally {
      sleeper.kill();
    }
  });

  it('loses nothing of 1,000 concurrent writes', async () => {
    const daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\n' });
    daemons.push(daemon);
    const results = await Promise.all(Array.from({ length: 1000 }, (_, id) => post(daemon, id)));
    expect(results.every(Boolean)).toBe(true);
    await daemon.stop();
    expect(new Set((await storedDocument<{ items: number[] }>(daemon.root, 'echo')).items).size).toBe(1000);
  });

  it('loses no acknowledged write over five SIGKILLs at random moments, and each restart opens the store', async () => {
    const root = await makeRoot({ config: '[plugins]\necho = on\n' });
    const acknowledged: number[] = [];
    let next = 0;
    for (let cycle = 0; cycle < 5; cycle++) {
      const daemon = await DaemonProcess.startIn(root);
      daemons.push(daemon);
      // Kill after a random number of acknowledged writes in this cycle (bounded: at most 2,000 posts a cycle).
      const killAfter = acknowledged.length + 20 + Math.floor(Math.random() * 300);
      const stopAt = next + 2000;
      let killed = false;
      const writer = async () => {
        while (!killed && next < stopAt) {
          const id = next++;
          if (await post(daemon, id)) acknowledged.push(id);
          if (acknowledged.length >= killAfter && !killed) {
            killed = true;
            daemon.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, writer));
      await daemon.waitForExit();
      const stored = new Set((await storedDocument<{ items: number[] }>(root, 'echo')).items);
      expect(acknowledged.filter((id) => !stored.has(id)), `cycle ${cycle}`).toEqual([]);
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    const check = await runCommand(process.execPath, [DAEMON_MAIN, 'store', 'check', '--root', root]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^echo: ok, document version 1, snapshot \d+ bytes \+ \d+ journal records/m);
  });

  it('moves a store from the single-file format of earlier versions, and serves it', async () => {
    const root = await makeRoot({ config: '[plugins]\necho = on\n' });
    const stores = join(root, 'var/lib/sugar-server/stores');
    await mkdir(stores, { recursive: true });
    await writeFile(join(stores, 'echo.json'), JSON.stringify({ items: [1, 2, 3] }));
    const daemon = await DaemonProcess.startIn(root);
    daemons.push(daemon);
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ items: 3 });
    expect(await readdir(stores)).toEqual(['echo']);
    await daemon.waitForLog((line) => line.msg === 'store moved to the journaled format' && line.plugin === 'echo');
  });

  it('refuses to start a plugin over a damaged journal, names the way out, and starts once it is taken', async () => {
    const daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\n' });
    daemons.push(daemon);
    for (let id = 0; id < 5; id++) expect(await post(daemon, id)).toBe(true);
    await daemon.stop();
    const journal = join(daemon.root, 'var/lib/sugar-server/stores/echo/journal-00000001.log');
    const bytes = await readFile(journal);
    // The third record: the two before it are kept by the truncation.
    bytes[130] ^= 0xff;
    await writeFile(journal, bytes);

    const broken = await DaemonProcess.startIn(daemon.root);
    daemons.push(broken);
    const echo = broken.plugin(await broken.status(), 'echo')!;
    expect(echo.state).toBe('failed');
    expect(echo.error!.code).toBe('SERVER_ERR_STORE_JOURNAL_CORRUPT');
    const command = /sugar-server store truncate (\S+) --at (\d+)/.exec(echo.error!.message);
    expect(command).not.toBeNull();
    await broken.stop();

    const truncate = await runCommand(process.execPath, [DAEMON_MAIN, 'store', 'truncate', command![1]!, '--at', command![2]!, '--root', daemon.root]);
    expect(truncate.code).toBe(0);
    expect(truncate.stdout).toContain(`kept aside ${journal}.damaged-`);
    const fixed = await DaemonProcess.startIn(daemon.root);
    daemons.push(fixed);
    expect(fixed.plugin(await fixed.status(), 'echo')!.state).toBe('running');
    expect(await fixed.json('/echo/v1/ping')).toMatchObject({ items: 2 });
  });
});
