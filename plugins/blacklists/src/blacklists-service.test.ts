import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger, Store } from 'sugar-server';
import { create } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlacklistsService } from './blacklists-service.js';
import { compileLists } from './compile/compile.js';
import type { BlacklistsConfig } from './config.js';
import { BlacklistsErrors } from './errors.js';
import { ALLOW_FILE } from './paths.js';
import { NO_SOURCES, SourceKeeper, type SourcesDoc } from './compile/source-keeper.js';

/** A store kept in memory: enough for the service, which only updates and reads. */
function memoryStore<T>(data: T): Store<T> {
  return { data, update: async (change) => change(data), flush: async () => {} };
}

const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;

let dir: string;
let source: string;

async function writeLists(root: string, domains: string[]): Promise<void> {
  await mkdir(join(root, 'adult'), { recursive: true });
  await writeFile(join(root, 'adult', 'domains'), `${domains.join('\n')}\n`);
}

function makeService(overrides: Partial<BlacklistsConfig> = {}) {
  const config = {
    source,
    categories: ['adult'],
    deny: [],
    times: new Map(),
    page_url: 'http://schoolserver/blocked',
    upstream: undefined,
    upstream_interval: 3_600_000,
    upload_limit: 1 << 20,
    archive_limit: 1 << 24,
    ...overrides,
  } as BlacklistsConfig;
  const store = memoryStore<SourcesDoc>(structuredClone(NO_SOURCES));
  const sources = new SourceKeeper(store, config, join(dir, 'data'));
  const service = new BlacklistsService({ config, dataDir: join(dir, 'data'), etcDir: join(dir, 'etc'), log: quiet, sources, compile: compileLists });
  return { service, sources, store };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'blacklists-service-'));
  source = join(dir, 'lists');
  await writeLists(source, ['adult.example']);
  await mkdir(join(dir, 'etc'), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the blacklists service', () => {
  it('compiles at start when nothing is compiled, and answers checks', async () => {
    const { service } = makeService();
    expect(() => service.check('http://adult.example/')).toThrow(expect.objectContaining({ code: BlacklistsErrors.NO_INDEX.code }));
    await service.start();
    await service.recompile({ ifChanged: true });
    expect(service.check('http://www.adult.example/x')).toMatchObject({ blocked: true, category: 'adult', normalised: { host: 'www.adult.example', path: '/x' } });
    expect(service.check('http://bücher.example/')).toMatchObject({ blocked: false, normalised: { host: 'xn--bcher-kva.example' } });
    expect(() => service.check('http:///')).toThrow(expect.objectContaining({ code: BlacklistsErrors.BAD_URL.code }));
  });

  it('keeps an index compiled from the same inputs, and recompiles when a list or the allow list changes', async () => {
    const { service } = makeService();
    await service.start();
    await service.recompile({ ifChanged: true });
    expect(await service.recompile({ ifChanged: true })).toBeNull();
    await writeFile(join(dir, 'etc', ALLOW_FILE), 'adult.example\n');
    expect(await service.recompile({ ifChanged: true })).not.toBeNull();
    expect(service.check('http://adult.example/').blocked).toBe(false);
  });

  it('shares one waiting recompile between requests', async () => {
    const { service } = makeService();
    const first = service.recompile();
    const second = service.recompile();
    await first;
    expect(second).toBe(first);
  });

  it('keeps the last good index serving when the source breaks, and says why', async () => {
    const { service } = makeService();
    await service.recompile();
    await rm(source, { recursive: true });
    await expect(service.recompile()).rejects.toMatchObject({ code: BlacklistsErrors.BAD_SOURCE.code });
    expect(service.check('http://adult.example/').blocked).toBe(true);
    expect(service.compileStatus()).toMatchObject({ state: 'idle', lastError: { code: BlacklistsErrors.BAD_SOURCE.code } });
    expect((await readdir(join(dir, 'data', 'index'))).sort()).toEqual(['current.idx']);
  });

  it('takes a compile cut short by a stop as no failure: nothing logged as an error, no lastError', async () => {
    const errors: unknown[] = [];
    const log = { ...quiet, error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    const config = { source, categories: ['adult'], deny: [], times: new Map(), page_url: 'http://schoolserver/blocked', upload_limit: 1 << 20, archive_limit: 1 << 24 } as unknown as BlacklistsConfig;
    const sources = new SourceKeeper(memoryStore<SourcesDoc>(structuredClone(NO_SOURCES)), config, join(dir, 'data'));
    const stopping = new BlacklistsService({ config, dataDir: join(dir, 'data'), etcDir: join(dir, 'etc'), log, sources, compile: () => Promise.reject(BlacklistsErrors.COMPILE_STOPPED()) });
    await expect(stopping.recompile()).rejects.toMatchObject({ code: BlacklistsErrors.COMPILE_STOPPED.code });
    expect(stopping.compileStatus()).toMatchObject({ state: 'idle', lastError: null });
    expect(errors).toEqual([]);
  });

  it('switches to an upload once it compiled, and throws away one that does not', async () => {
    const { service, sources, store } = makeService();
    await service.recompile();
    const uploaded = join(dir, 'upload');
    await writeLists(join(uploaded, 'blacklists'), ['uploaded.example']);
    const archive = join(dir, 'lists.tar.gz');
    await create({ gzip: true, file: archive, cwd: uploaded }, ['blacklists']);
    await service.compileCandidate(await sources.uploaded(archive));
    expect(service.check('http://uploaded.example/').blocked).toBe(true);
    expect(service.check('http://adult.example/').blocked).toBe(false);
    expect(service.index!.meta.source).toMatchObject({ kind: 'upload' });
    const good = store.data.upload;

    const empty = join(dir, 'empty');
    await mkdir(join(empty, 'nothing'), { recursive: true });
    await writeFile(join(empty, 'nothing', 'README'), 'no lists');
    const badArchive = join(dir, 'empty.tar.gz');
    await create({ gzip: true, file: badArchive, cwd: empty }, ['nothing']);
    await expect(service.compileCandidate(await sources.uploaded(badArchive))).rejects.toMatchObject({ code: BlacklistsErrors.BAD_SOURCE.code });
    expect(store.data.upload).toEqual(good);
    expect(service.check('http://uploaded.example/').blocked).toBe(true);
    expect((await readdir(join(dir, 'data', 'sources'))).sort()).toEqual([good!.archive, good!.dir].map((p) => p.split('/').pop()).sort());

    await sources.dropUpload();
    await service.recompile();
    expect(service.check('http://adult.example/').blocked).toBe(true);
  });

  it('unpacks a configured archive, and again only when it changes', async () => {
    const archive = join(dir, 'configured.tar.gz');
    await create({ gzip: true, file: archive, cwd: dir }, ['lists']);
    const { service, store } = makeService({ source: archive });
    await service.recompile();
    expect(service.check('http://adult.example/').blocked).toBe(true);
    const unpacked = store.data.archive!.dir;
    expect(await service.recompile({ ifChanged: true })).toBeNull();
    expect(store.data.archive!.dir).toBe(unpacked);
  });
});
