import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeJournal, generateJournal, journalEntries } from './journal.js';

describe('generated Journals', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sugaroid-journal-test-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('are laid out as Sugar\'s datastore: <uid[:2]>/<uid>/{data,metadata/<key>}, version, index, checksums', async () => {
    const figures = await generateJournal(join(dir, 'ds'), { bytes: 200_000, entries: 20, largeEntries: 2 });
    expect(figures.entries).toBe(20);
    const entries = await journalEntries(join(dir, 'ds'));
    expect(entries).toHaveLength(20);
    for (const entry of entries) {
      const [prefix, uid] = entry.split('/');
      expect(uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(uid!.slice(0, 2)).toBe(prefix);
      expect((await lstat(join(dir, 'ds', entry, 'data'))).isFile()).toBe(true);
      expect(await readFile(join(dir, 'ds', entry, 'metadata', 'uid'), 'utf8')).toBe(uid);
      expect(await readdir(join(dir, 'ds', entry, 'metadata'))).toEqual(expect.arrayContaining(['title', 'activity', 'mtime', 'mime_type', 'preview']));
    }
    expect((await readdir(join(dir, 'ds'))).filter((n) => n.length !== 2).sort()).toEqual(['checksums', 'index', 'index_updated', 'version']);
  });

  it('hold the bytes asked for, metadata included, a share of them in the large entries', async () => {
    const figures = await generateJournal(join(dir, 'ds'), { bytes: 1_000_000, entries: 50, largeEntries: 2, largeShare: 0.6 });
    expect(figures.bytes).toBeGreaterThan(950_000);
    expect(figures.bytes).toBeLessThan(1_050_000);
    expect(figures.files).toBe(2 + 50 * 13);
    const sizes = await Promise.all((await journalEntries(join(dir, 'ds'))).map(async (e) => (await lstat(join(dir, 'ds', e, 'data'))).size));
    const largest = sizes.sort((a, b) => b - a).slice(0, 2).reduce((a, b) => a + b, 0);
    expect(largest / sizes.reduce((a, b) => a + b, 0)).toBeCloseTo(0.6, 1);
  });

  it('change as their owners do: files rewritten, entries added and removed', async () => {
    await generateJournal(join(dir, 'ds'), { bytes: 100_000, entries: 20 });
    const before = await journalEntries(join(dir, 'ds'));
    const report = await changeJournal(join(dir, 'ds'), { fraction: 0.1, add: 2, remove: 3 });
    expect(report.changed).toHaveLength(Math.ceil(17 * 13 * 0.1));
    expect(report.removed).toHaveLength(3);
    const after = await journalEntries(join(dir, 'ds'));
    expect(after).toHaveLength(19);
    for (const removed of report.removed) expect(after).not.toContain(removed);
    expect(after.filter((e) => !before.includes(e))).toHaveLength(2);
  });
});
