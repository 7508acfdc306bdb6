import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot } from '../harness/index.js';

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

    const text = await readFile(join(daemon.root, 'var/lib/sugar-server/stores/echo.json'), 'utf8');
    const stored = new Set((JSON.parse(text) as { items: number[] }).items);
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
    const text = await readFile(join(daemon.root, 'var/lib/sugar-server/stores/echo.json'), 'utf8');
    expect(new Set((JSON.parse(text) as { items: number[] }).items).size).toBe(1000);
  });
});
