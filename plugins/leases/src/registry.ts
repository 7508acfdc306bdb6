/**
 * The registry plugin's laptop lookup, seen from here. The registry is optional
 * for leases (no `dependsOn`), so it is looked up when needed and may be absent:
 * it is not running, or it was stopped since.
 */
import type { PluginContext } from 'sugar-server';

/** A laptop as the registry knows it. */
export interface RegisteredLaptop {
  readonly serial: string;
  readonly uuid: string;
  readonly nick: string;
}

/** What the registry offers other plugins under {@link REGISTRY_TOKEN}. */
export interface RegistryView {
  get(serial: string): RegisteredLaptop | undefined;
  list(): readonly RegisteredLaptop[];
  count(): number;
}

/** The token the registry provides its view under. */
export const REGISTRY_TOKEN = Symbol.for('sugar-server.registry');

/** The running registry, or null (the container throws when nothing provides the token). */
export function findRegistry(container: PluginContext['container']): RegistryView | null {
  try {
    const view = container.resolve<RegistryView>(REGISTRY_TOKEN);
    return typeof view?.get === 'function' && typeof view.list === 'function' ? view : null;
  } catch {
    return null;
  }
}
