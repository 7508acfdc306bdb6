import { gzipSync } from 'node:zlib';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackArchive } from './archive.js';
import { BlacklistsErrors } from '../errors.js';
import { tarOf, type TarEntry } from './tar.test-support.js';

/** A gzipped tar of `entries`, as the lists are downloaded. */
const tarGzOf = (entries: readonly TarEntry[]) => gzipSync(tarOf(entries));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blacklists-archive-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function unpack(entries: readonly TarEntry[], limit = 1 << 20) {
  const archive = join(dir, `a${++n}.tar.gz`);
  await writeFile(archive, tarGzOf(entries));
  const dest = join(dir, `out${n}`);
  return { dest, result: unpackArchive(archive, dest, limit) };
}

describe('unpacking lists archives', () => {
  it('unpacks files and folders, and makes internal links again as relative symbolic links', async () => {
    const { dest, result } = await unpack([
      { name: 'blacklists/', type: '5' },
      { name: 'blacklists/adult/domains', body: 'a.example\n' },
      { name: 'blacklists/porn', type: '2', link: 'adult' },
      { name: 'blacklists/adult/copy', type: '1', link: 'blacklists/adult/domains' },
    ]);
    expect(await result).toEqual({ files: 1, bytes: 10, links: 2 });
    expect(await readFile(join(dest, 'blacklists/porn/domains'), 'utf8')).toBe('a.example\n');
    expect(await readlink(join(dest, 'blacklists/porn'))).toBe('adult');
    expect(await readFile(join(dest, 'blacklists/adult/copy'), 'utf8')).toBe('a.example\n');
  });

  it('refuses absolute paths, .. and links out, and leaves nothing behind', async () => {
    for (const [entries, why] of [
      [[{ name: '/etc/evil', body: 'x' }], /absolute/],
      [[{ name: 'blacklists/../../evil', body: 'x' }], /\.\./],
      [[{ name: 'blacklists/adult', type: '2', link: '/etc' }], /outside/],
      [[{ name: 'blacklists/adult', type: '2', link: '../../..' }], /outside/],
      [[{ name: 'blacklists/hard', type: '1', link: '../outside' }], /outside/],
    ] as const) {
      const { dest, result } = await unpack(entries);
      await expect(result).rejects.toMatchObject({ code: BlacklistsErrors.BAD_ARCHIVE.code, message: expect.stringMatching(why) });
      expect(await stat(dest).catch(() => null)).toBeNull();
    }
  });

  it('refuses an archive that breaks while other entries are still being written, with its own code, and leaves nothing behind', async () => {
    // A file named like a folder unsettles the reader after "x/f" has started writing.
    for (let i = 0; i < 10; i++) {
      const { dest, result } = await unpack([{ name: 'blacklists/', body: 'a.example\n' }, { name: 'x/f', body: 'b.example\n' }, { name: 'blacklists/' }]);
      await expect(result).rejects.toMatchObject({ code: BlacklistsErrors.BAD_ARCHIVE.code });
      expect(await stat(dest).catch(() => null)).toBeNull();
    }
  });

  it('refuses an archive cut inside a header, gzipped or not, which tar alone reads as its end', async () => {
    const whole = tarOf([{ name: 'blacklists/adult/domains', body: 'a.example\n' }, { name: 'blacklists/adult/urls', body: 'b.example/x\n' }]);
    // The second header starts at 1024: cut 100 bytes into it.
    for (const bytes of [whole.subarray(0, 1124), gzipSync(whole.subarray(0, 1124))]) {
      const archive = join(dir, `cut${++n}.tar`);
      await writeFile(archive, bytes);
      const dest = join(dir, `out${n}`);
      await expect(unpackArchive(archive, dest, 1 << 20)).rejects.toMatchObject({ code: BlacklistsErrors.BAD_ARCHIVE.code, message: expect.stringContaining('100 bytes into a 512-byte header') });
      expect(await stat(dest).catch(() => null)).toBeNull();
    }
  });

  it('refuses a link placed inside another link, which would point out once both are made', async () => {
    // d/e/a -> .. is d; d/e/a/x -> ../.. reads as d, but lands in d as x, where ../.. is the folder above.
    const { dest, result } = await unpack([{ name: 'd/e/a', type: '2', link: '..' }, { name: 'd/e/a/x', type: '2', link: '../..' }]);
    await expect(result).rejects.toMatchObject({ code: BlacklistsErrors.BAD_ARCHIVE.code, message: expect.stringMatching(/"d\/e\/a\/x" lies inside the link "d\/e\/a"/) });
    expect(await stat(dest).catch(() => null)).toBeNull();
  });

  it('skips devices and other special files', async () => {
    const { dest, result } = await unpack([{ name: 'dev', type: '3' }, { name: 'adult/domains', body: 'a\n' }]);
    expect(await result).toMatchObject({ files: 1 });
    expect(await stat(join(dest, 'dev')).catch(() => null)).toBeNull();
  });

  it('stops at the size limit', async () => {
    const { result } = await unpack([{ name: 'adult/domains', body: 'x'.repeat(4000) }], 1000);
    await expect(result).rejects.toMatchObject({ code: BlacklistsErrors.ARCHIVE_TOO_LARGE.code });
  });

  it('refuses what is not an archive', async () => {
    const archive = join(dir, 'junk.tar.gz');
    await writeFile(archive, 'this is not a tarball');
    await expect(unpackArchive(archive, join(dir, 'junk'), 1 << 20)).rejects.toMatchObject({ code: BlacklistsErrors.BAD_ARCHIVE.code });
  });
});
