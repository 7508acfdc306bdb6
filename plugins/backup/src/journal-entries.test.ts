import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBundle } from './entry-bundle.js';
import { listEntries, readEntry } from './journal-entries.js';

const UID = 'ab345678-1234-1234-1234-123456789012';
const OTHER = 'cd345678-1234-1234-1234-123456789012';

/** The zip's members and their bytes, as the system unzip reads them. */
async function unzip(zip: Buffer, dir: string): Promise<Record<string, string>> {
  const file = join(dir, 'entry.xoj');
  await writeFile(file, zip);
  const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
  return Object.fromEntries(names.map((name) => [name, execFileSync('unzip', ['-p', file, name]).toString('latin1')]));
}

describe('Journal entries in a snapshot', () => {
  let snapshot: string;
  beforeEach(async () => {
    snapshot = await mkdtemp(join(tmpdir(), 'backup-entries-'));
    const entry = join(snapshot, 'ab', UID);
    await mkdir(join(entry, 'metadata'), { recursive: true });
    await writeFile(join(entry, 'data'), 'Once upon a time');
    await writeFile(join(entry, 'metadata', 'title'), 'My story');
    await writeFile(join(entry, 'metadata', 'activity'), 'org.laptop.AbiWordActivity');
    await writeFile(join(entry, 'metadata', 'mtime'), '2026-01-02T03:04:05');
    await writeFile(join(entry, 'metadata', 'mime_type'), 'text/plain');
    await writeFile(join(entry, 'metadata', 'preview'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    // A laptop may send anything: a data "file" that is a symlink, a fifo for a title.
    const odd = join(snapshot, 'cd', OTHER);
    await mkdir(join(odd, 'metadata'), { recursive: true });
    await symlink('/rsyncd-munged//etc/shadow', join(odd, 'data'));
    execFileSync('mkfifo', [join(odd, 'metadata', 'title')]);
    await writeFile(join(snapshot, 'version'), '6');
  });
  afterEach(() => rm(snapshot, { recursive: true, force: true }));

  it('lists entries with title, activity, mtime, type, size and whether a preview exists', async () => {
    expect(await listEntries(snapshot)).toEqual([
      { uid: UID, title: 'My story', activity: 'org.laptop.AbiWordActivity', mtime: '2026-01-02T03:04:05', mimeType: 'text/plain', bytes: 16, preview: true },
      { uid: OTHER, title: null, activity: null, mtime: null, mimeType: null, bytes: 0, preview: false },
    ]);
  });

  it('reads only regular files: a symlink or a fifo is treated as absent', async () => {
    expect(await readEntry(snapshot, OTHER)).toEqual({ uid: OTHER, metadata: {}, dataFile: null, previewFile: null });
  });

  it('finds nothing for a uid that is not one or not there', async () => {
    expect(await readEntry(snapshot, '../../etc/passwd-000000000000000000000')).toBeNull();
    expect(await readEntry(snapshot, 'ef345678-1234-1234-1234-123456789012')).toBeNull();
  });

  it('makes a Journal Entry Bundle: <uid>/_metadata.json, <uid>/<uid>, <uid>/preview/<uid>', async () => {
    const entry = await readEntry(snapshot, UID);
    const files = await unzip(await buffer(entryBundle(entry!)), snapshot);
    expect(Object.keys(files).sort()).toEqual([`${UID}/_metadata.json`, `${UID}/${UID}`, `${UID}/preview/${UID}`]);
    expect(files[`${UID}/${UID}`]).toBe('Once upon a time');
    expect(JSON.parse(files[`${UID}/_metadata.json`]!)).toEqual({
      activity: 'org.laptop.AbiWordActivity', mime_type: 'text/plain', mtime: '2026-01-02T03:04:05', title: 'My story',
    });
    expect(Buffer.from(files[`${UID}/preview/${UID}`]!, 'latin1')).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });
});
