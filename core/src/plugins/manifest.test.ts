import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from './manifest.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function pkg(json: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sugar-pkg-'));
  dirs.push(dir);
  await writeFile(join(dir, 'package.json'), JSON.stringify(json));
  return dir;
}

const plugin = (manifest: object, extra: object = {}) => ({
  name: '@school/leases-plus',
  version: '2.0.0',
  keywords: ['sugar-server-plugin'],
  'sugar-server': manifest,
  ...extra,
});

describe('readManifest', () => {
  it('ignores packages without the keyword', async () => {
    expect(await readManifest(await pkg({ name: 'left-pad' }))).toEqual({ kind: 'other' });
  });

  it('accepts a valid manifest and resolves the entry through "exports"', async () => {
    const dir = await pkg(plugin({ service: 'leases', api: '^1.0.0', dependsOn: ['registry'] }, { exports: { '.': { import: './dist/index.js' } } }));
    const result = await readManifest(dir);
    expect(result).toMatchObject({ kind: 'plugin', candidate: { service: 'leases', dependsOn: ['registry'], entry: join(dir, 'dist/index.js'), version: '2.0.0' } });
  });

  it('knows the paths a plugin serves before it runs: its /<service>/ and the routes it declares', async () => {
    const dir = await pkg(plugin({ service: 'activities', api: '^1.0.0', routes: ['/services/update-aslo.php', '/activities', '/old/1/'] }));
    const result = await readManifest(dir);
    expect(result.kind === 'plugin' && result.candidate.routes).toEqual(['/activities/', '/services/update-aslo.php', '/activities', '/old/1/']);
  });

  it('accepts prerelease API ranges that include this API', async () => {
    expect((await readManifest(await pkg(plugin({ service: 'x', api: '>=1.0.0-beta.1' })))).kind).toBe('plugin');
  });

  it.each([
    [{ service: 'Leases!', api: '^1.0.0' }, 'manifest "service" must be a lower-case name'],
    [{ service: 'http', api: '^1.0.0' }, 'service name "http" is reserved for the core'],
    [{ service: 'isolate', api: '^1.0.0' }, 'service name "isolate" is reserved for the core'],
    [{ service: 'x', api: 'banana' }, 'manifest "api" must be a semver range'],
    [{ service: 'x', api: '^2.0.0' }, 'needs plugin API ^2.0.0, this server provides 1.1.0'],
    [{ service: 'x', api: '^1.0.0', dependsOn: 'registry' }, 'manifest "dependsOn" must be a list of service names'],
    [{ service: 'x', api: '^1.0.0', dependsOn: ['x'] }, 'cannot depend on itself'],
    ...['blocked', '/', '//x', '/a/../b', '/a//b', '/status', '/feeds/v1/x/', '/metrics'].map((route) =>
      [{ service: 'x', api: '^1.0.0', routes: [route] }, 'manifest "routes" must be a list of paths'] as const),
  ])('rejects %j with a reason', async (manifest, reason) => {
    const result = await readManifest(await pkg(plugin(manifest)));
    expect(result.kind).toBe('rejected');
    expect(result.kind === 'rejected' && result.rejected.reason).toContain(reason);
    expect(result.kind === 'rejected' && result.rejected.packageName).toBe('@school/leases-plus');
  });

  it('rejects an entry that points outside the package', async () => {
    const result = await readManifest(await pkg(plugin({ service: 'x', api: '^1.0.0' }, { main: '../../etc/passwd' })));
    expect(result.kind === 'rejected' && result.rejected.reason).toContain('names no entry module');
  });
});
