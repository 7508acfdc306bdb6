/**
 * Uploads of lists arriving together: each is received into a file of its
 * own, none is tidied away while it is still being received or unpacked, and
 * every one is answered. Temporary files a killed daemon left behind are
 * cleaned at start.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blacklistsConfig, BlacklistsServer } from './blacklists/server.js';

let workdir: string;
let server: BlacklistsServer;
const archives: Buffer[] = [];

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'blacklists-uploads-'));
  for (let n = 0; n < 3; n++) {
    const root = join(workdir, `lists-${n}`, 'blacklists');
    await mkdir(join(root, 'adult'), { recursive: true });
    const domains = Array.from({ length: 2000 }, (_, i) => `site${i}.upload${n}.example`);
    await writeFile(join(root, 'adult', 'domains'), `${domains.join('\n')}\n`);
    const file = join(workdir, `lists-${n}.tar.gz`);
    await create({ gzip: true, file, cwd: join(workdir, `lists-${n}`) }, ['blacklists']);
    archives.push(await readFile(file));
  }
  server = await BlacklistsServer.start(blacklistsConfig(null, 'categories = adult\n'));
});
afterAll(async () => {
  await server?.dispose();
  await rm(workdir, { recursive: true, force: true });
});

describe('uploads at the same time', () => {
  it('are each received, unpacked and answered', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(archives.map((body) => server.admin('/blacklists/v1/lists?wait=1', { method: 'POST', body })));
      for (const answer of answers) {
        statuses.push(answer.status);
        await answer.arrayBuffer();
      }
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const status = await server.waitForIndex();
    expect(status.index!.source!.kind).toBe('upload');
    expect(status.index!.domains).toBe(2000);
    // Only the upload in use is kept.
    const kept = await readdir(join(server.root, 'var/lib/sugar-server/blacklists/sources'));
    expect(kept).toHaveLength(2);
    expect(kept.filter((name) => /^upload-.*\.tar\.gz$/.test(name))).toHaveLength(1);
    expect(kept.every((name) => name.startsWith('upload-'))).toBe(true);
  });
});

describe('a daemon killed mid-way', () => {
  it('leaves no temporary files once started again', async () => {
    const school = await BlacklistsServer.start(blacklistsConfig(null, 'categories = adult\n'));
    const data = join(school.root, 'var/lib/sugar-server/blacklists');
    school.daemon.child.kill('SIGKILL');
    await new Promise((resolve) => school.daemon.child.once('exit', resolve));
    // What a compile and an upload being received leave when killed.
    await writeFile(join(data, 'index', 'compile-4242-1.tmp'), 'half an index');
    await mkdir(join(data, 'sources'), { recursive: true });
    await writeFile(join(data, 'sources', 'incoming-4242-1733300000000.tar.gz'), 'half an upload');
    const again = await BlacklistsServer.startIn(school.root);
    try {
      expect(await readdir(join(data, 'index'))).toEqual(['current.idx']);
      expect(await readdir(join(data, 'sources'))).toEqual([]);
    } finally {
      await again.dispose();
      await rm(school.root, { recursive: true, force: true });
    }
  });
});
