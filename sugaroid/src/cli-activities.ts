/**
 * `sugaroid updates` and `sugaroid download`: the activity updater of a laptop
 * from a shell. Registered in cli.ts's command table.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkUpdates, type InstalledBundle, type UpdateCheck } from './clients/activity-updates.js';
import { downloadBundle, DOWNLOAD_TIMEOUT_MS } from './clients/bundle-download.js';
import { DEFAULT_TIMEOUT_MS, serverUrl } from './clients/http.js';
import type { CliIo } from './cli.js';
import { SugaroidErrors } from './errors.js';

const EXIT_FAILURE = 1;

/** `sugaroid updates`. */
export const updatesCommand = {
  summary: "check a server for activity updates, as Sugar's updater does",
  usage: `Usage: sugaroid updates --server URL [--installed FILE] [--aslo] [--auto] [--locale LANG]
                       [--timeout MS] [--json]

Reads the server's activity page (URL/activities/, with Cache-Control:
max-age=600, as Sugar does) and lists what a laptop with the installed bundles
would be offered: newer versions of what it has (size by HEAD), and activities
it does not have (name and icon read from the bundle by Range requests).
Exits 1 when an offered bundle could not be read.
  --server URL      the school server, e.g. http://schoolserver
  --installed FILE  JSON list of the laptop's bundles: [{"id": "...", "version": "..."}]
  --aslo            ask URL/services/update-aslo.php about each installed bundle instead
  --auto            as Sugar's automatic updates: skip optional activities, no name lookups
  --locale LANG     the laptop's language for names, e.g. es_PE
  --timeout MS      give up on one request after MS milliseconds (default ${DEFAULT_TIMEOUT_MS})
  --json            print the result as JSON`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        server: { type: 'string' },
        installed: { type: 'string' },
        aslo: { type: 'boolean' },
        auto: { type: 'boolean' },
        locale: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (!values.server) throw SugaroidErrors.USAGE('updates needs --server URL');
    const url = serverUrl(values.server, values.aslo ? 'services/update-aslo.php' : 'activities/').href;
    const result = await checkUpdates(url, {
      installed: values.installed === undefined ? [] : await readInstalled(values.installed),
      protocol: values.aslo ? 'aslo' : 'microformat',
      auto: values.auto ?? false,
      locale: values.locale,
      timeoutMs: milliseconds(values.timeout, DEFAULT_TIMEOUT_MS),
    });
    io.out(values.json ? JSON.stringify(result, null, 2) : describeUpdates(result));
    return result.failed.length ? EXIT_FAILURE : 0;
  },
};

/** `sugaroid download`. */
export const downloadCommand = {
  summary: 'download a bundle and check it is the .xo the activity page lists',
  usage: `Usage: sugaroid download URL [--out FILE] [--id ID --version VERSION] [--index URL]
                        [--timeout MS] [--json]

Downloads the bundle, checks it opens as a .xo Sugar would install, and that
its bundle_id and version are what the activity page (the folder above URL,
or --index) lists for URL, or --id and --version. Exits 1 when not.
  --out FILE       keep the bundle in FILE (otherwise it is deleted after the checks)
  --id ID          the bundle_id it must have (with --version, instead of the page)
  --version V      the version it must have
  --index URL      the activity page that lists URL
  --timeout MS     give up after MS milliseconds (default ${DOWNLOAD_TIMEOUT_MS})
  --json           print the result as JSON`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        id: { type: 'string' },
        version: { type: 'string' },
        index: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw SugaroidErrors.USAGE('download needs one bundle URL');
    if ((values.id === undefined) !== (values.version === undefined)) throw SugaroidErrors.USAGE('--id and --version go together');
    const result = await downloadBundle(positionals[0]!, {
      expect: values.id === undefined ? undefined : { id: values.id, version: values.version! },
      index: values.index,
      out: values.out === undefined ? undefined : resolve(values.out),
      timeoutMs: milliseconds(values.timeout, DOWNLOAD_TIMEOUT_MS),
    });
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else io.out(`${result.id} version ${result.version}${result.name ? ` (${result.name})` : ''}: ${result.size} bytes, sha256 ${result.sha256}${result.file ? `, saved to ${result.file}` : ''}`);
    return 0;
  },
};

/** The --installed file: a JSON list of `{id, version}`. */
async function readInstalled(file: string): Promise<InstalledBundle[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw SugaroidErrors.USAGE(`--installed ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((b) => typeof b === 'object' && b !== null)) {
    throw SugaroidErrors.USAGE(`--installed ${file}: expected a JSON list of {"id": "...", "version": "..."}`);
  }
  return parsed as InstalledBundle[];
}

function milliseconds(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw SugaroidErrors.USAGE(`--timeout takes whole milliseconds, not "${value}"`);
  return Number(value);
}

/** The result for people: one line per update, then what failed. */
export function describeUpdates(result: UpdateCheck): string {
  const group = result.groupName ? `${result.groupName} (${result.url})` : result.url;
  const lines = [`${group}: ${result.offered} ${result.protocol === 'aslo' ? 'asked about' : 'offered'}, ${result.updates.length} update${result.updates.length === 1 ? '' : 's'}`];
  for (const u of result.updates) {
    const change = u.installedVersion === null ? `new ${u.version}` : `${u.installedVersion} -> ${u.version}`;
    lines.push(`  ${u.id}  ${change}  ${u.name}  ${size(u.size)}${u.optional ? '  (optional)' : ''}  ${u.url}`);
  }
  if (result.failed.length) {
    lines.push(`failed (${result.failed.length}):`);
    for (const f of result.failed) lines.push(`  ${f.id}: ${f.reason}`);
  }
  return lines.join('\n');
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
