/**
 * Switching a service on or off as `sugar-server plugins enable|disable` and
 * the admin console do it: `[plugins] NAME = on|off` in `conf.d/90-plugins.conf`,
 * kept only when the whole configuration still checks, and only when no file
 * read later overrides it. The caller then reloads the daemon.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseIni, where } from './config/ini.js';
import { readConfig } from './config/load.js';
import { ServerErrors } from './errors.js';
import { dropInDir, type Paths } from './paths.js';
import { makePlan, readSettings } from './plugins/plan.js';

export const PLUGINS_DROP_IN = '90-plugins.conf';

/** Write the switch; throws SERVER_ERR_USAGE for an unknown service, SERVER_ERR_CONFIG (with `file:line` problems) when refused. */
export async function writePluginSwitch(paths: Paths, service: string, on: boolean): Promise<string> {
  const read = await readSettings(paths);
  if (!read.ok) throw ServerErrors.CONFIG([...read.problems]);
  const installed = read.settings.discovery;
  if (!installed.candidates.some((c) => c.service === service)) {
    const names = [...new Set(installed.candidates.map((c) => c.service))].sort();
    throw ServerErrors.USAGE(`no installed plugin provides "${service}" (installed: ${names.join(', ') || 'none'})`);
  }

  const file = join(dropInDir(paths), PLUGINS_DROP_IN);
  const previous = await readFile(file, 'utf8').catch(() => undefined);
  await writeFile(file, renderSwitches(previous, file, service, on));
  const planned = await makePlan(paths);
  if (!planned.ok) {
    if (previous === undefined) await unlink(file);
    else await writeFile(file, previous);
    throw ServerErrors.CONFIG([...planned.problems]);
  }
  const effective = planned.plan.selection.services.get(service)?.enabled;
  if (effective !== on) {
    const raw = await readConfig(paths);
    const entry = raw.doc.get('plugins')?.entries.get(service);
    throw ServerErrors.CONFIG([`${entry ? where(entry) : 'a later file'}: [plugins] ${service} = ${entry?.value ?? '?'} is read after ${relative(paths.etc, file)} and wins; change it there`]);
  }
  return file;
}

/** Keep the drop-in readable: one [plugins] section, one line per service. */
function renderSwitches(previous: string | undefined, file: string, service: string, on: boolean): string {
  const doc = new Map();
  if (previous) parseIni(previous, file, doc);
  const switches = new Map<string, string>();
  for (const [key, entry] of doc.get('plugins')?.entries ?? []) switches.set(key, entry.value);
  switches.set(service, on ? 'on' : 'off');
  const lines = [...switches].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key} = ${value}`);
  return `# Written by \`sugar-server plugins enable|disable\`. Files read after this one win.\n[plugins]\n${lines.join('\n')}\n`;
}
