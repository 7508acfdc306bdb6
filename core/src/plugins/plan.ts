/**
 * From the files in /etc and the installed packages to a checked plan: core
 * settings, which provider runs each service, their loaded code and validated
 * sections. Start-up, SIGHUP and `check-config` all go through here, so they
 * accept and refuse exactly the same configurations.
 */
import { readConfig, type DropInOverride } from '../config/load.js';
import { checkCoreSections, checkSection, type CoreConfig } from '../config/schema.js';
import { isSugarError, ServerErrors, type SugarError } from '../errors.js';
import type { Paths } from '../paths.js';
import type { PluginDefinition } from './definition.js';
import { discoverPlugins, installNodeModules, type Discovery } from './discover.js';
import type { PlannedService } from './host.js';
import { loadDefinition } from './loader.js';
import { sectionKey, selectPlugins, type Selection } from './selection.js';

export interface Plan {
  readonly files: readonly string[];
  readonly core: CoreConfig;
  readonly discovery: Discovery;
  readonly selection: Selection;
  readonly services: readonly PlannedService[];
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; problems: readonly string[] };

/** What every use of the configuration starts from: the files, the core's sections, the installed plugins and who provides what. */
export interface Settings {
  readonly files: readonly string[];
  readonly core: CoreConfig;
  readonly discovery: Discovery;
  readonly selection: Selection;
}

/** Read the files, check the core's sections, find the plugins and select providers; no plugin code is loaded. */
export async function readSettings(paths: Paths, override?: DropInOverride): Promise<{ ok: true; settings: Settings } | { ok: false; problems: readonly string[] }> {
  const raw = await readConfig(paths, override);
  if (raw.problems.length) return { ok: false, problems: raw.problems };
  const core = checkCoreSections(raw.doc);
  if (!core.ok) return { ok: false, problems: core.problems };
  const discovery = await discoverPlugins([...installNodeModules(), ...core.value.core.plugin_dirs]);
  return { ok: true, settings: { files: raw.files, core: core.value, discovery, selection: selectPlugins(discovery, raw.doc) } };
}

/** The plan for the files on disk, or for them with `override` in `conf.d/` (checked before it is written). */
export async function makePlan(paths: Paths, override?: DropInOverride): Promise<PlanResult> {
  const read = await readSettings(paths, override);
  if (!read.ok) return read;
  const { files, core, discovery, selection } = read.settings;
  const problems = [...selection.problems];
  const services: PlannedService[] = [];

  for (const choice of selection.services.values()) {
    const base = { service: choice.service, enabled: choice.enabled, provider: choice.provider, providers: choice.providers, sectionKey: sectionKey(choice.section), isolated: choice.isolated };
    if (!choice.enabled || !choice.provider) {
      services.push(base);
      continue;
    }
    let definition: PluginDefinition | undefined;
    let loadError: SugarError | undefined;
    try {
      definition = await loadDefinition(choice.provider, core.core.start_timeout);
    } catch (err) {
      loadError = isSugarError(err) ? err : ServerErrors.PLUGIN_IMPORT(choice.provider.packageName, String(err));
    }
    if (!definition) {
      services.push({ ...base, loadError });
      continue;
    }
    const checked = checkSection(choice.service, choice.section, definition.config ?? {});
    if (checked.ok) services.push({ ...base, definition, config: checked.value });
    else problems.push(...checked.problems);
  }

  if (problems.length) return { ok: false, problems };
  return { ok: true, plan: { files, core, discovery, selection, services } };
}
