import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLists } from './compile.js';
import { BlacklistsErrors } from '../errors.js';
import { compileFixture, type Compiled } from './lists.test-support.js';
import { policyOf } from '../policy/policy.js';

describe('compiling lists', () => {
  let compiled: Compiled;
  beforeAll(async () => {
    compiled = await compileFixture({
      categories: {
        adult: {
          domains: ['# comment', '', 'ok.example', 'bad..example', 'ok.example', 'ALSO-OK.example\r', '*.wild.example'],
          urls: ['ok.example/a', 'http://:80/x'],
          expressions: ['porn', '(a+)+', '# comment'],
          usage: 'black\nadult sites\n',
        },
        games: { domains: ['game.example'] },
      },
      policy: ['adult', 'phishing'],
      allow: ['fine.example', 'fine.example/path', 'bad..allow.example'],
    });
  });
  afterAll(() => compiled.cleanup());

  it('counts what went in per category, duplicates once', () => {
    const adult = compiled.index.meta.categories.find((c) => c.name === 'adult')!;
    expect(adult).toMatchObject({ domains: 2, urls: 1, expressions: 1, garbage: 4, missing: false, usage: 'black' });
    const allow = compiled.index.meta.categories.find((c) => c.name === 'allow')!;
    expect(allow).toMatchObject({ domains: 1, urls: 1, garbage: 1 });
  });

  it('reports every refused line by file and line, and goes on', () => {
    const lines = compiled.index.meta.garbage.lines.map((g) => [g.file, g.line, g.code]);
    expect(lines).toEqual(expect.arrayContaining([
      ['adult/domains', 4, BlacklistsErrors.BAD_LINE.code],
      ['adult/domains', 7, BlacklistsErrors.BAD_LINE.code],
      ['adult/urls', 2, BlacklistsErrors.BAD_LINE.code],
      ['adult/expressions', 2, BlacklistsErrors.BAD_EXPRESSION.code],
      ['blacklists-allow.txt', 3, BlacklistsErrors.BAD_LINE.code],
    ]));
    expect(compiled.index.meta.garbage.total).toBe(5);
    expect(compiled.index.meta.garbage.byFile).toEqual({ 'adult/domains': 2, 'adult/urls': 1, 'adult/expressions': 1, 'blacklists-allow.txt': 1 });
  });

  it('notes chosen categories the source lacks, and the ones it offers unused', () => {
    expect(compiled.index.meta.categories.find((c) => c.name === 'phishing')).toMatchObject({ missing: true, domains: 0 });
    expect(compiled.index.meta.unused.map((u) => u.name)).toEqual(['games']);
  });
});

describe('a broken source', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'blacklists-broken-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const job = (sourceRoot: string) => ({
    sourceRoot,
    source: null,
    policy: policyOf({ categories: ['adult'], deny: [], times: new Map() }),
    allowFile: join(dir, 'none'),
    blockFile: join(dir, 'none'),
    output: join(dir, 'out.idx'),
    fingerprint: 'x',
  });

  it('is refused with BLACKLISTS_ERR_BAD_SOURCE when missing or without categories', async () => {
    await expect(compileLists(job(join(dir, 'missing')), () => {})).rejects.toMatchObject({ code: BlacklistsErrors.BAD_SOURCE.code });
    await mkdir(join(dir, 'empty', 'not a category'), { recursive: true });
    await writeFile(join(dir, 'empty', 'README'), 'hello');
    await expect(compileLists(job(join(dir, 'empty')), () => {})).rejects.toMatchObject({ code: BlacklistsErrors.BAD_SOURCE.code });
  });

  it('skips a line longer than the reader holds, reported', async () => {
    await mkdir(join(dir, 'long', 'adult'), { recursive: true });
    await writeFile(join(dir, 'long', 'adult', 'domains'), `a.example\n${'x'.repeat(3 << 20)}\nb.example\n`);
    const outcome = await compileLists(job(join(dir, 'long')), () => {});
    expect(outcome.meta.categories.find((c) => c.name === 'adult')!.domains).toBe(2);
    expect(outcome.meta.garbage.lines[0]).toMatchObject({ file: 'adult/domains', line: 2, reason: expect.stringMatching(/longer than/) });
  });

  it('reports progress while reading', async () => {
    const phases = new Set<string>();
    await compileLists(job(join(dir, 'long')), (p) => phases.add(p.phase));
    expect([...phases]).toEqual(expect.arrayContaining(['sorting', 'writing']));
  });
});
