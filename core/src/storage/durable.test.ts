import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomically } from './durable.js';

let dir: string;
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomically', () => {
  it('leaves the old content and no temp file behind when the disk refuses the write', async () => {
    dir = await mkdtemp(join(tmpdir(), 'durable-'));
    const file = join(dir, 'snapshot.json');
    await writeFile(file, 'old');
    const probe = await open(join(dir, 'probe'), 'w');
    await probe.close();
    const proto = Object.getPrototypeOf(probe) as { writeFile: (...args: unknown[]) => Promise<void> };
    const original = proto.writeFile;
    // The first part reaches the temp file, the second finds the disk full.
    let calls = 0;
    vi.spyOn(proto, 'writeFile').mockImplementation(function (this: unknown, ...args: unknown[]) {
      if (++calls === 2) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      return original.apply(this, args);
    });
    await expect(writeFileAtomically(file, ['new ', 'content'])).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await readFile(file, 'utf8')).toBe('old');
    expect((await readdir(dir)).sort()).toEqual(['probe', 'snapshot.json']);
  });
});
