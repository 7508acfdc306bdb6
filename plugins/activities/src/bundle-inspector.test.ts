import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildXo, DEFAULT_ICON, hostile, zipOf, xoEntries } from '../../../test/fixtures/xo-builder.js';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle } from './bundle-inspector.js';

const LIMITS: BundleLimits = { maxUnpackedSize: 1024 ** 3, maxEntrySize: 512 * 1024 ** 2, maxRatio: 100, maxEntries: 20_000 };

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'activities-inspect-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function inspect(data: Buffer | Promise<Buffer>, limits = LIMITS) {
  const path = join(dir, `b${++counter}.xo`);
  await writeFile(path, await data);
  return inspectBundle(path, limits);
}

async function refusal(data: Buffer | Promise<Buffer>, limits = LIMITS): Promise<{ code: string; message: string }> {
  const err = (await inspect(data, limits).then(() => undefined, (e: unknown) => e)) as { code: string; message: string } | undefined;
  if (!err) throw new Error('the bundle was accepted');
  return { code: err.code, message: err.message };
}

describe('inspecting a bundle', () => {
  it('reads activity.info, the icon, translations, size and digest', async () => {
    const data = await buildXo({
      id: 'org.laptop.Paint', name: 'Paint', version: '34', summary: 'Draw <things> & "paint"', tags: 'Art;Media;',
      translations: { es: { name: 'Pintar', summary: 'Dibuja' }, pt_BR: { name: 'Pintura' } },
    });
    const bundle = await inspect(data);
    expect(bundle.info).toMatchObject({
      bundleId: 'org.laptop.Paint', name: 'Paint', version: '34', exec: 'sugar-activity3 example.ExampleActivity',
      icon: 'activity-example', license: 'GPLv3+', summary: 'Draw <things> & "paint"', tags: ['Art', 'Media'],
    });
    expect(bundle.translations).toEqual({ es: { name: 'Pintar', summary: 'Dibuja' }, pt_BR: { name: 'Pintura' } });
    expect(bundle.iconSvg).toBe(DEFAULT_ICON);
    expect(bundle.size).toBe(data.length);
    expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.warnings).toEqual([]);
  });

  it('reads a bundle too large to hold in memory from its file, the same way', async () => {
    const data = await buildXo({ padding: 5 * 1024 * 1024, translations: { es: { name: 'Ejemplo' } } });
    const bundle = await inspect(data);
    expect(bundle).toMatchObject({ size: data.length, sha256: createHash('sha256').update(data).digest('hex'), translations: { es: { name: 'Ejemplo' } } });
    const broken = Buffer.from(data);
    const at = broken.length - 100_000;
    broken[at] = broken[at]! ^ 0xff;
    expect(await refusal(broken)).toEqual({ code: 'ACTIVITIES_ERR_CORRUPT', message: expect.stringMatching(/padding.bin.*CRC-32 does not match/) });
  });

  it('takes the old keys service_name and class, with warnings, as Sugar does', async () => {
    const bundle = await inspect(buildXo({ oldStyle: true, id: 'org.laptop.Old', exec: 'old.OldActivity', version: null, icon: null, license: null }));
    expect(bundle.info).toMatchObject({ bundleId: 'org.laptop.Old', exec: 'sugar-activity old.OldActivity', version: '0', icon: null });
    expect(bundle.warnings).toEqual([
      'uses the old key service_name; Sugar wants bundle_id',
      'uses the old key class; Sugar wants exec',
      'no activity_version; Sugar takes it as 0',
      'no icon',
      'no license',
    ]);
  });

  it('notes a missing icon and a translation Sugar could not read, and serves the bundle anyway', async () => {
    const bundle = await inspect(buildXo({ iconSvg: null, translations: { fr: '[Activity]\nname = a\nname = b\n', de: { name: 'Beispiel' } } }));
    expect(bundle.iconSvg).toBeNull();
    expect(bundle.translations).toEqual({ de: { name: 'Beispiel' } });
    expect(bundle.warnings).toEqual(['the icon activity/activity-example.svg is missing', expect.stringMatching(/^locale\/fr\/activity.linfo is left out: line 3/)]);
  });

  it.each([
    ['not a zip', () => hostile.notZip(), 'ACTIVITIES_ERR_NOT_ZIP'],
    ['two top folders', () => hostile.twoTopFolders(), 'ACTIVITIES_ERR_LAYOUT'],
    ['a top folder not named *.activity', () => buildXo({ folder: 'Example' }), 'ACTIVITIES_ERR_LAYOUT'],
    ['a top folder starting with a dot', () => buildXo({ folder: '.Example.activity' }), 'ACTIVITIES_ERR_LAYOUT'],
    ['mimetype not first', () => zipOf([...xoEntries({ mimetype: false }), { name: 'mimetype', data: 'application/vnd.olpc-sugar' }]), 'ACTIVITIES_ERR_LAYOUT'],
    ['an empty archive', () => zipOf([]), 'ACTIVITIES_ERR_LAYOUT'],
    ['a ../ entry', () => hostile.traversal(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['an absolute entry', () => hostile.absolutePath(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['a backslash entry', () => hostile.backslash(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['a symlink entry', () => hostile.symlink(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['a control character in a name', () => hostile.controlCharacter(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['a control character in a name without the UTF-8 flag', () => hostile.controlCharacterCp437(), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['an entry named twice', () => zipOf([...xoEntries(), { name: 'Example.activity/example.py', data: 'x' }]), 'ACTIVITIES_ERR_UNSAFE_ENTRY'],
    ['no activity.info', () => zipOf(xoEntries().filter((e) => !e.name.endsWith('activity.info'))), 'ACTIVITIES_ERR_NO_INFO'],
    ['no name', () => buildXo({ infoText: '[Activity]\nbundle_id = a.b\nexec = x\n' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['no exec', () => buildXo({ infoText: '[Activity]\nname = A\nbundle_id = a.b\n' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['no bundle_id', () => buildXo({ infoText: '[Activity]\nname = A\nexec = x\n' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['a space in bundle_id', () => buildXo({ id: 'org.laptop.My Paint' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['a slash in bundle_id', () => buildXo({ id: '../../etc' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['a lone % in a value', () => buildXo({ name: '100% fun' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['activity.info with a byte order mark', () => buildXo({ infoText: '\ufeff[Activity]\nname = A\nbundle_id = a.b\nexec = x\n' }), 'ACTIVITIES_ERR_BAD_INFO'],
    ['a bad version', () => buildXo({ version: '1.02' }), 'ACTIVITIES_ERR_BAD_VERSION'],
  ])('refuses %s', async (_what, make, code) => {
    expect((await refusal(make())).code).toBe(code);
  });

  it('refuses zip bombs by declared size, by ratio, and by the bytes actually inflated', async () => {
    const honest = await refusal(hostile.bomb(8 * 1024 * 1024));
    expect(honest).toEqual({ code: 'ACTIVITIES_ERR_BOMB', message: expect.stringMatching(/more than 100 times the archive/) });
    const lying = await refusal(hostile.lyingBomb(8 * 1024 * 1024));
    expect(lying).toEqual({ code: 'ACTIVITIES_ERR_BOMB', message: expect.stringMatching(/unpacks to more than the 1024 bytes its header declares/) });
    const total = await refusal(buildXo({ files: { 'big.txt': 'a'.repeat(100_000) } }), { ...LIMITS, maxUnpackedSize: 50_000 });
    expect(total.message).toMatch(/more than the 50000 allowed/);
    const entry = await refusal(buildXo({ files: { 'big.txt': 'a'.repeat(100_000) } }), { ...LIMITS, maxEntrySize: 50_000 });
    expect(entry.message).toMatch(/"Example.activity\/big.txt" unpacks to 100000 bytes/);
    expect((await refusal(buildXo(), { ...LIMITS, maxEntries: 3 })).message).toMatch(/entries, more than the 3 allowed/);
    expect((await refusal(hostile.overlapping())).message).toMatch(/share bytes of the archive/);
  });

  it('refuses an entry whose data does not match its CRC', async () => {
    const data = await zipOf([...xoEntries(), { name: 'Example.activity/plain.txt', data: 'hello world, hello world', compress: false }]);
    const broken = Buffer.from(data);
    broken.write('HELLO', broken.indexOf('hello world'));
    expect(await refusal(broken)).toEqual({ code: 'ACTIVITIES_ERR_CORRUPT', message: expect.stringMatching(/CRC-32 does not match/) });
  });
});
