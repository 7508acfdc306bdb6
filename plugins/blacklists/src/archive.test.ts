import { gzipSync } from 'node:zlib';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackArchive } from './archive.js';
import { BlacklistsErrors } from './errors.js';

/** One tar entry, written by hand so that tests can make the archives an attacker would. */
interface Entry {
  readonly name: string;
  readonly type?: '0' | '1' | '2' | '3' | '5';
  readonly body?: string;
  readonly link?: string;
}

function tarOf(entries: readonly Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write(entry.type ?? '0', 156);
    header.write(entry.link ?? '', 157, 100, 'utf8');
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blacklists-archive-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function unpack(entries: readonly Entry[], limit = 1 << 20) {
  const archive = join(dir, `a${++n}.tar.gz`);
  await writeFile(archive, tarOf(entries));
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
