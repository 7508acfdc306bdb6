/**
 * `sugar-server plugin new NAME [--service S] [--dir DIR]`: a plugin package of
 * one's own, outside this repository, that builds (`tsc`, strict) and passes its
 * own test as written. The files come from `templates/plugin/` in this package;
 * `{{name}}`-style placeholders are filled in.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RESERVED_SERVICE_NAMES } from './config/schema.js';
import { ServerErrors } from './errors.js';
import { PLUGIN_API_VERSION } from './plugins/definition.js';
import { SERVICE_NAME } from './plugins/manifest.js';

/** What `sugar-server plugin --help` prints. */
export const SCAFFOLD_USAGE = `Usage: sugar-server plugin new NAME [--service S] [--dir DIR]

Writes a plugin package named NAME (an npm name, e.g. sugar-server-hello or
@myschool/sugar-server-hello) into a new folder, DIR or ./<name>: package.json
with the plugin manifest, tsconfig.json (strict), src/index.ts (one option and
one route under /<service>/v1/), src/index.test.ts (a real daemon from
sugar-server/testing) and README.md. Then: cd DIR && npm install && npm test.
  --service S   the service it provides (default: NAME without its scope and a
                leading "sugar-server-")`;

/** Where the templates sit: `templates/plugin/` beside `dist/` in this package. */
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/plugin/', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../package.json', import.meta.url));
/**
 * Where the new package's development copy of the core comes from: the core
 * that scaffolds it (a checkout's `core/`, or `/usr/lib/sugar-server/core` of
 * the package), since sugar-server is not taken from the npm registry.
 */
const CORE_SOURCE = `file:${dirname(PACKAGE_JSON)}`;
/**
 * Templates whose own names would be mistaken when this package is packed: npm
 * leaves out `.gitignore`, and a `*.test.*` file reads as a test shipped by mistake.
 */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore', 'src/index-test.ts': 'src/index.test.ts' };

/** An npm package name, optionally scoped (lower case, as npm requires of new packages). */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export interface ScaffoldOptions {
  readonly name: string;
  readonly service?: string;
  /** The new folder; `<cwd>/<name without scope>` by default. */
  readonly dir?: string;
  readonly cwd?: string;
}

export interface Scaffold {
  readonly dir: string;
  readonly service: string;
  /** Files written, relative to `dir`. */
  readonly files: readonly string[];
}

/** Write a new plugin package; throws SERVER_ERR_USAGE for a bad name or service, or a folder in use. */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<Scaffold> {
  const { name } = options;
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw ServerErrors.USAGE(`"${name}" is not an npm package name (lower case letters, digits, "-", "." or "_", optionally @scope/name)`);
  }
  const base = name.replace(/^@[^/]+\//, '');
  const service = options.service ?? base.replace(/^sugar-server-/, '');
  if (!SERVICE_NAME.test(service)) {
    throw ServerErrors.USAGE(`"${service}" is not a service name (a lower-case letter, then letters, digits or "-", at most 40)${options.service ? '' : '; name one with --service'}`);
  }
  if (RESERVED_SERVICE_NAMES.has(service)) throw ServerErrors.USAGE(`service name "${service}" is reserved for the core; name another with --service`);
  const dir = resolve(options.cwd ?? process.cwd(), options.dir ?? base);
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw ServerErrors.USAGE(`${dir} already exists and is not empty; choose another --dir`);

  const core = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version: string };
  const values: Record<string, string> = {
    name,
    service,
    dirName: name,
    apiRange: `^${PLUGIN_API_VERSION}`,
    coreRange: `^${core.version}`,
    // Inside a JSON string in package.json.
    coreSource: JSON.stringify(CORE_SOURCE).slice(1, -1),
    packFile: `${name.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz`,
  };
  const files: string[] = [];
  for (const template of await templates(TEMPLATE_DIR)) {
    const named = relative(TEMPLATE_DIR, template).replace(/\.tmpl$/, '');
    const target = RENAMED[named] ?? named;
    const text = (await readFile(template, 'utf8')).replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
      const value = values[key];
      if (value === undefined) throw new Error(`template ${template} names an unknown placeholder {{${key}}}`);
      return value;
    });
    await mkdir(dirname(join(dir, target)), { recursive: true });
    await writeFile(join(dir, target), text, { flag: 'wx' });
    files.push(target);
  }
  return { dir, service, files: files.sort() };
}

/** `sugar-server plugin <action>`; resolves with the exit code. */
export async function pluginCommand(args: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { service: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    out(SCAFFOLD_USAGE);
    return 0;
  }
  const [action, name, ...extra] = positionals;
  if (action !== 'new') throw ServerErrors.USAGE(`unknown plugin action "${action ?? ''}"; use plugin new NAME (see sugar-server plugin --help)`);
  if (!name) throw ServerErrors.USAGE('plugin new needs a package name, e.g. sugar-server plugin new sugar-server-hello');
  if (extra.length) throw ServerErrors.USAGE(`unexpected argument "${extra[0]}"`);
  const made = await scaffoldPlugin({ name, ...(values.service ? { service: values.service } : {}), ...(values.dir ? { dir: values.dir } : {}) });
  out(`created ${made.dir} (service "${made.service}"):`);
  for (const file of made.files) out(`  ${file}`);
  out(`next: cd ${relative(process.cwd(), made.dir) || '.'} && npm install && npm test`);
  return 0;
}

async function templates(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(entries.map((entry) => entry.isDirectory() ? templates(join(dir, entry.name)) : [join(dir, entry.name)]));
  return files.flat();
}
