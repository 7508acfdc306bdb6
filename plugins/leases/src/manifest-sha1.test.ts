import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findActivationFolder, readActivationFolder } from './activation-folder.js';
import { checkManifest, parseManifest } from './manifest-sha1.js';

const sha1 = (data: string) => createHash('sha1').update(data).digest('hex');
const BUNDLE = '[1,{}]';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leases-usb-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder as `sha1sum * > manifest.sha1` leaves it. */
async function folder(files: Record<string, string>, manifest?: string): Promise<string> {
  const path = join(dir, 'xs-activation');
  await mkdir(path);
  for (const [name, data] of Object.entries(files)) await writeFile(join(path, name), data);
  const lines = Object.entries(files).map(([name, data]) => `${sha1(data)}  ${name}\n`).join('');
  await writeFile(join(path, 'manifest.sha1'), manifest ?? lines);
  return path;
}

describe('parseManifest', () => {
  it('reads sha1sum output, text and binary mode, CRLF too', () => {
    const a = sha1('a');
    expect(parseManifest(`${a}  leases.sig\n${a.toUpperCase()} *other file.txt\r\n\n`)).toEqual([
      { file: 'leases.sig', sha1: a },
      { file: 'other file.txt', sha1: a },
    ]);
  });

  it.each([
    ['leases.sig\n', /line 1 is not "<sha1>  <file>"/],
    [`${sha1('a')}  ../etc/passwd\n`, /names "\.\.\/etc\/passwd"/],
    [`${sha1('a')}  sub/leases.sig\n`, /not a file in the folder/],
  ])('refuses %j', (text, message) => {
    expect(() => parseManifest(text)).toThrow(message);
  });
});

describe('checkManifest', () => {
  it('passes a folder whose files all match', async () => {
    const path = await folder({ 'leases.sig': BUNDLE, 'README.txt': 'hello' });
    await expect(checkManifest(path, 'leases.sig')).resolves.toBeUndefined();
  });

  it('names the file whose digest is wrong', async () => {
    const path = await folder({ 'leases.sig': BUNDLE, 'README.txt': 'hello' });
    await writeFile(join(path, 'README.txt'), 'changed');
    await expect(checkManifest(path, 'leases.sig')).rejects.toMatchObject({
      code: 'LEASES_ERR_MANIFEST',
      message: expect.stringMatching(/^README\.txt: its sha1 is [0-9a-f]{40}, manifest\.sha1 says [0-9a-f]{40}; nothing was imported$/),
    });
  });

  it('refuses a listed file that is missing, an unlisted bundle, and a missing manifest', async () => {
    const missing = await folder({ 'leases.sig': BUNDLE }, `${sha1(BUNDLE)}  leases.sig\n${sha1('x')}  gone.sig\n`);
    await expect(checkManifest(missing, 'leases.sig')).rejects.toThrow(/^gone\.sig: is listed in manifest\.sha1 but cannot be read/);
    await writeFile(join(missing, 'manifest.sha1'), `${sha1('x')}  other\n`);
    await expect(checkManifest(missing, 'leases.sig')).rejects.toThrow(/^leases\.sig: is not listed in manifest\.sha1/);
    await expect(checkManifest(dir, 'leases.sig')).rejects.toThrow(/^manifest\.sha1: missing/);
  });

  it('skips a manifest that lists itself', async () => {
    const path = await folder({ 'leases.sig': BUNDLE }, `${sha1(BUNDLE)}  leases.sig\n${sha1('')}  manifest.sha1\n`);
    await expect(checkManifest(path, 'leases.sig')).resolves.toBeUndefined();
  });
});

describe('activation folders', () => {
  it('are found at the root of the USB disk or given directly', async () => {
    const path = await folder({ 'leases.sig': BUNDLE });
    expect(await findActivationFolder(dir)).toBe(path);
    expect(await findActivationFolder(path)).toBe(path);
    expect(await readActivationFolder(dir)).toEqual({ folder: path, bundle: Buffer.from(BUNDLE) });
  });
});
