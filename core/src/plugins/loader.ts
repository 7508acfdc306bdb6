/** Imports a checked candidate's entry module and checks what it exports. */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ServerErrors, withCause, type SugarError } from '../errors.js';
import { withTimeout } from '../timeout.js';
import type { PluginDefinition } from './definition.js';
import type { Candidate } from './manifest.js';

let coreResolvable = false;

/** From here on, a plugin without its own copy of `sugar-server` imports this one (see core-resolve.ts). */
function makeCoreResolvable(): void {
  if (coreResolvable) return;
  coreResolvable = true;
  register('./core-resolve.js', import.meta.url, { data: { coreURL: import.meta.url } });
}

export async function loadDefinition(candidate: Candidate, timeoutMs: number): Promise<PluginDefinition> {
  makeCoreResolvable();
  let module: Record<string, unknown>;
  try {
    module = await withTimeout(import(pathToFileURL(candidate.entry).href), timeoutMs, () =>
      ServerErrors.PLUGIN_TIMEOUT(candidate.service, `loading ${candidate.packageName}`, timeoutMs));
  } catch (err) {
    if (ServerErrors.PLUGIN_TIMEOUT.is(err)) throw err;
    throw withCause(ServerErrors.PLUGIN_IMPORT(candidate.packageName, (err as Error)?.message ?? String(err)), err);
  }
  return checkDefinition(candidate, module.default);
}

function checkDefinition(candidate: Candidate, value: unknown): PluginDefinition {
  const invalid = (why: string): SugarError => ServerErrors.PLUGIN_INVALID(candidate.packageName, why);
  if (typeof value !== 'object' || value === null) throw invalid('its entry module must default-export definePlugin({ ... })');
  const definition = value as Record<string, unknown>;
  if (typeof definition.start !== 'function') throw invalid('its plugin definition has no start(ctx) function');
  if (definition.stop !== undefined && typeof definition.stop !== 'function') throw invalid('its plugin definition has a stop that is not a function');
  if (definition.config !== undefined) {
    if (typeof definition.config !== 'object' || definition.config === null) throw invalid('its config must be an object of options');
    for (const [key, opt] of Object.entries(definition.config)) {
      if (typeof (opt as { safeParse?: unknown })?.safeParse !== 'function') throw invalid(`config option "${key}" is not an option (use option.*)`);
    }
  }
  return value as PluginDefinition;
}
