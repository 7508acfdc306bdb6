import { gzipSync } from 'node:zlib';
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep, isAbsolute } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzz, fuzzTestTimeout, mutatedBytes } from '../../../../test/fuzz/settings.js';
import { unpackArchive } from './archive.js';
import { tarOf, type TarEntry } from './tar.test-support.js';

type Entry = Required<TarEntry>;

// Names and link targets from a small vocabulary, so links meet files, folders and each other.
const name = fc.constantFrom('blacklists/', 'blacklists/adult/domains', 'a', 'd', 'd/e', 'd/e/a', 'd/e/a/x', 'd/e/a/x/y', 'x', 'x/f', '../x', '/etc/x', 'a/../b', './c', 'a//b', 'C:x', 'a\\b', 'é/ü');
const target = fc.constantFrom('..', '../..', '../../..', '.', 'd', 'd/e', 'x', 'a', '/etc', 'blacklists/adult', '', 'd/e/a/x');
const entry: fc.Arbitrary<Entry> = fc.record({
  name,
  type: fc.constantFrom('0', '0', '5', '2', '2', '1', '3', '6', 'x'),
  body: fc.oneof(fc.constantFrom('', 'a.example\n', 'ads.example\nbad.example\n'), name),
  link: target,
});
/** Links only, some nested in others: each link checked alone can still lead out once the others exist. */
const linkEntry: fc.Arbitrary<Entry> = fc.record({
  name: fc.constantFrom('a', 'a/b', 'a/b/c', 'a/b/c/d', 'a/b/c/d/e'),
  type: fc.constantFrom('2', '2', '1'),
  body: fc.constant(''),
  link: fc.constantFrom('..', '../..', '../../..', 'a', 'a/b', 'b/c'),
});
const entries = fc.oneof(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.array(linkEntry, { minLength: 1, maxLength: 4 }));
/** An archive's bytes, shown in a counterexample by the entries it was made from (a buffer of zeros says little). */
const made = (data: Buffer, what: string) => Object.assign({ data }, { [fc.toStringMethod]: () => what });
const describeEntries = (e: readonly Entry[]) => JSON.stringify(e.map(({ name, type, body, link }) => ({ name, type, ...(body ? { body } : {}), ...(link ? { link } : {}) })));
const archiveBytes = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(entries, fc.boolean()).map(([e, gz]) => made(gz ? gzipSync(tarOf(e)) : tarOf(e), `${gz ? 'gzip of ' : ''}tar of ${describeEntries(e)}`)) },
  { weight: 1, arbitrary: fc.tuple(entries, fc.nat()).chain(([e]) => mutatedBytes(fc.constant(tarOf(e))).map((b) => made(b, `bytes of a tar of ${describeEntries(e)}, changed: ${b.toString('base64')}`))) },
  { weight: 1, arbitrary: fc.tuple(entries, fc.nat()).chain(([e]) => mutatedBytes(fc.constant(gzipSync(tarOf(e)))).map((b) => made(b, `bytes of a gzip of ${describeEntries(e)}, changed: ${b.toString('base64')}`))) },
);

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blacklists-fuzz-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Every path under `root`, folders first. */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(root)) {
    const path = join(root, name);
    out.push(path);
    if ((await lstat(path)).isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

describe('lists archives under fuzzing', () => {
  // Each case writes a small archive and unpacks it to disk: a few ms, the slowest suite of the set.
  it('unpacks inside the folder only (links too, followed), or refuses with a BLACKLISTS_ERR code and leaves nothing', async () => {
    await fc.assert(
      fc.asyncProperty(archiveBytes, async ({ data }) => {
        const work = join(dir, `c${++n}`);
        const dest = join(work, 'dest');
        const outside = join(work, 'outside');
        await mkdir(outside, { recursive: true });
        await writeFile(join(outside, 'secret'), 'not a list\n');
        const archive = join(work, 'lists.tar.gz');
        await writeFile(archive, data);
        try {
          await unpackArchive(archive, dest, 1 << 20);
          const root = await realpath(dest);
          for (const path of await walk(dest)) {
            const stats = await lstat(path);
            expect(stats.isFile() || stats.isDirectory() || stats.isSymbolicLink(), path).toBe(true);
            if (stats.isSymbolicLink()) {
              const real = await realpath(path).catch(() => null);
              if (real !== null) expect(inside(root, real), `${path} -> ${real}`).toBe(true);
            }
          }
        } catch (err) {
          expect((err as { code?: unknown }).code, String((err as Error)?.stack ?? err)).toMatch(/^BLACKLISTS_ERR_[A-Z_]+$/);
          await expect(lstat(dest)).rejects.toMatchObject({ code: 'ENOENT' });
        } finally {
          expect(await readdir(work)).toEqual(expect.arrayContaining(['outside', 'lists.tar.gz']));
          expect((await readdir(work)).filter((f) => f !== 'dest' && f !== 'outside' && f !== 'lists.tar.gz')).toEqual([]);
          expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('not a list\n');
          await rm(work, { recursive: true, force: true });
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
