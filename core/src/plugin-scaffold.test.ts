import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './cli.js';
import { ServerErrors } from './errors.js';
import { pluginCommand, scaffoldPlugin } from './plugin-scaffold.js';
import { readManifest } from './plugins/manifest.js';

const fresh = () => mkdtemp(join(tmpdir(), 'scaffold-'));

describe('sugar-server plugin new', () => {
  it('writes a package the core takes as a plugin: manifest, strict tsconfig, source, test and README', async () => {
    const cwd = await fresh();
    const made = await scaffoldPlugin({ name: '@myschool/sugar-server-hello', cwd });

    expect(made.dir).toBe(join(cwd, 'sugar-server-hello'));
    expect(made.service).toBe('hello');
    expect(made.files).toEqual(['.gitignore', 'README.md', 'package.json', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json']);

    const manifest = await readManifest(made.dir);
    expect(manifest.kind).toBe('plugin');
    if (manifest.kind !== 'plugin') return;
    expect(manifest.candidate).toMatchObject({ packageName: '@myschool/sugar-server-hello', service: 'hello', api: '^1.1.0', entry: join(made.dir, 'dist/index.js') });

    const pkg = JSON.parse(await readFile(join(made.dir, 'package.json'), 'utf8'));
    expect(pkg.keywords).toEqual(['sugar-server-plugin']);
    expect(pkg.type).toBe('module');
    expect(pkg.peerDependencies).toEqual({ 'sugar-server': '^0.1.0' });
    // sugar-server is not on the npm registry: `npm install` takes the core that scaffolded the package.
    const coreSource = pkg.devDependencies['sugar-server'] as string;
    expect(coreSource).toMatch(/^file:\//);
    expect(JSON.parse(await readFile(join(coreSource.slice('file:'.length), 'package.json'), 'utf8')).name).toBe('sugar-server');
    expect(pkg.scripts).toMatchObject({ build: 'tsc', test: expect.stringContaining('node --test') });

    const tsconfig = JSON.parse(await readFile(join(made.dir, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'NodeNext' });
    expect(tsconfig.compilerOptions.skipLibCheck).toBeUndefined();

    const source = await readFile(join(made.dir, 'src/index.ts'), 'utf8');
    expect(source).toContain("ctx.router.get('/hello/v1/hello'");
    expect(await readFile(join(made.dir, 'src/index.test.ts'), 'utf8')).toContain("from 'sugar-server/testing'");
    for (const file of made.files) expect(await readFile(join(made.dir, file), 'utf8'), file).not.toMatch(/\{\{|\}\}/);
  });

  it('takes the service and the folder from --service and --dir, and fills an empty folder', async () => {
    const cwd = await fresh();
    await mkdir(join(cwd, 'empty'));
    const made = await scaffoldPlugin({ name: 'school-tools', service: 'tools', dir: 'empty', cwd });
    expect(made).toMatchObject({ dir: join(cwd, 'empty'), service: 'tools' });
    expect(JSON.parse(await readFile(join(cwd, 'empty/package.json'), 'utf8'))['sugar-server']).toEqual({ service: 'tools', api: '^1.1.0' });
  });

  it.each([
    ['a name npm refuses', { name: 'Hello World' }, /not an npm package name/],
    ['a name that makes no service name', { name: 'sugar-server-9lives' }, /not a service name.*--service/],
    ['a service the core reserves', { name: 'my-http', service: 'http' }, /reserved for the core/],
  ])('refuses %s with SERVER_ERR_USAGE and writes nothing', async (_what, options, message) => {
    const cwd = await fresh();
    const error = await scaffoldPlugin({ ...options, cwd }).catch((err: unknown) => err);
    expect(ServerErrors.USAGE.is(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('never writes into a folder that holds files', async () => {
    const cwd = await fresh();
    await mkdir(join(cwd, 'hello'));
    await writeFile(join(cwd, 'hello/notes.txt'), 'mine');
    const error = await scaffoldPlugin({ name: 'hello', cwd }).catch((err: unknown) => err);
    expect(ServerErrors.USAGE.is(error)).toBe(true);
    expect((error as Error).message).toContain('already exists and is not empty');
    expect(await readdir(join(cwd, 'hello'))).toEqual(['notes.txt']);
  });

  it('prints what it made and the next step', async () => {
    const cwd = await fresh();
    const lines: string[] = [];
    expect(await pluginCommand(['new', 'sugar-server-hello', '--dir', join(cwd, 'out')], (line) => lines.push(line))).toBe(0);
    expect(lines[0]).toBe(`created ${join(cwd, 'out')} (service "hello"):`);
    expect(lines).toContain('  src/index.ts');
    expect(lines.at(-1)).toMatch(/^next: cd .*out && npm install && npm test$/);
  });

  it('is a usage error (exit 2) from the command line without a name or with an unknown action', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await runCli(['plugin', 'new'])).toBe(2);
      expect(await runCli(['plugin', 'create', 'x'])).toBe(2);
      expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
        'sugar-server: plugin new needs a package name, e.g. sugar-server plugin new sugar-server-hello',
        'sugar-server: unknown plugin action "create"; use plugin new NAME (see sugar-server plugin --help)',
      ]);
    } finally {
      stderr.mockRestore();
    }
  });
});
