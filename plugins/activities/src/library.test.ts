import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, Store } from 'sugar-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildXo, hostile } from '../../../test/fixtures/xo-builder.js';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle } from './bundle-inspector.js';
import { EMPTY_DOCUMENT, type ActivitiesDocument } from './library-document.js';
import { Library } from './library.js';

const LIMITS: BundleLimits = { maxUnpackedSize: 1024 ** 3, maxEntrySize: 512 * 1024 ** 2, maxRatio: 100, maxEntries: 20_000 };

/** A store kept in memory; `writes` counts updates. */
function memoryStore(): Store<ActivitiesDocument> & { writes: number } {
  const store = {
    data: structuredClone(EMPTY_DOCUMENT),
    writes: 0,
    async update(change: (data: ActivitiesDocument) => void) {
      change(store.data);
      store.writes++;
    },
    async flush() {},
  };
  return store;
}

/** A logger that keeps what it was told. */
function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown> | string, msg?: string) =>
    void lines.push(typeof fields === 'string' ? { level, fields: {}, msg: fields } : { level, fields, msg: msg ?? '' });
  return { lines, log: { info: at('info'), warn: at('warn'), debug: at('debug'), error: at('error') } as unknown as Logger };
}

let dir: string;
let abort: AbortController;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'activities-library-'));
  abort = new AbortController();
});
afterEach(async () => {
  abort.abort();
  await rm(dir, { recursive: true, force: true });
});

const open = (store = memoryStore(), log = recordingLog().log) => Library.open({ dir, limits: LIMITS, store, log, signal: abort.signal });

describe('the library', () => {
  it('indexes bundles and problems, newest version first, and logs each problem', async () => {
    await writeFile(join(dir, 'a-1.xo'), await buildXo({ id: 'org.a', version: '1' }));
    await writeFile(join(dir, 'a-2.xo'), await buildXo({ id: 'org.a', version: '2' }));
    await writeFile(join(dir, 'junk.xo'), hostile.notZip());
    await writeFile(join(dir, 'has space.xo'), await buildXo());
    await writeFile(join(dir, 'notes.txt'), 'not a bundle');
    const { log, lines } = recordingLog();
    const library = await open(memoryStore(), log);
    const report = await library.scan();
    expect(report).toMatchObject({ bundles: 2, problems: 2, read: 4 });
    const index = library.index();
    expect(index.versionsOf('org.a').map((r) => r.file)).toEqual(['a-2.xo', 'a-1.xo']);
    expect(index.newest('org.a')?.version).toBe('2');
    expect(index.problems.map((p) => [p.file, p.code])).toEqual([['has space.xo', 'ACTIVITIES_ERR_BAD_FILE_NAME'], ['junk.xo', 'ACTIVITIES_ERR_NOT_ZIP']]);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.fields.file).sort()).toEqual(['has space.xo', 'junk.xo']);
    expect(lines.find((l) => l.msg === 'library indexed')?.fields).toMatchObject({ bundles: 2, problems: 2, read: 4 });
  });

  it('reads nothing again after a restart while name, size and time stay the same', async () => {
    await writeFile(join(dir, 'a-1.xo'), await buildXo({ id: 'org.a', version: '1' }));
    const store = memoryStore();
    await (await open(store)).scan();
    const again = await open(store);
    expect(again.index().bundles.map((r) => r.file)).toEqual(['a-1.xo']);
    expect(await again.scan()).toMatchObject({ bundles: 1, read: 0 });
    await writeFile(join(dir, 'a-1.xo'), await buildXo({ id: 'org.a', version: '1', summary: 'changed' }));
    expect(await again.scan()).toMatchObject({ bundles: 1, read: 1 });
    expect(again.index().newest('org.a')?.summary).toBe('changed');
  });

  it('adds an upload by id and version, refusing a Sugar-equal version unless replacing', async () => {
    const library = await open();
    await library.scan();
    const upload = async (version: string, replace = false) => {
      const temp = library.tempPath();
      await writeFile(temp, await buildXo({ id: 'org.b', version }));
      return library.add(temp, await inspectBundle(temp, LIMITS), replace);
    };
    expect((await upload('3')).bundle.file).toBe('org.b-3.xo');
    await expect(upload('3.0')).rejects.toMatchObject({ code: 'ACTIVITIES_ERR_DUPLICATE' });
    expect((await upload('3.0', true)).replaced).toEqual(['org.b-3.xo']);
    expect((await upload('3~beta', true)).bundle.file).toBe('org.b-3_beta.xo');
    expect((await readdir(dir)).filter((name) => !name.startsWith('.'))).toEqual(['org.b-3_beta.xo']);
    expect(await library.remove('org.b', '3')).toHaveLength(1);
    await expect(library.remove('org.b', '3')).rejects.toMatchObject({ code: 'ACTIVITIES_ERR_NOT_FOUND' });
    await expect(library.remove('org.b', 'x')).rejects.toMatchObject({ code: 'ACTIVITIES_ERR_BAD_VERSION' });
    expect(library.index().bundles).toEqual([]);
  });

  it('removes temp files a crash left behind', async () => {
    await writeFile(join(dir, '.incoming-deadbeef'), 'half an upload');
    await open();
    expect(await readdir(dir)).toEqual([]);
  });
});
