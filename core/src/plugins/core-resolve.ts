/**
 * A module resolve hook (registered by the loader before the first plugin is
 * imported): a plugin whose `import 'sugar-server'` finds no copy of its own,
 * such as one unpacked into `/usr/lib/sugar-server/plugins` with its
 * peerDependency left to the server, gets this running core. A plugin that has
 * its own copy keeps it. See https://nodejs.org/api/module.html#resolvespecifier-context-nextresolve
 */
interface ResolveContext {
  readonly parentURL?: string | undefined;
  readonly conditions: readonly string[];
  readonly importAttributes: Readonly<Record<string, string>>;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string }>;

let coreURL = '';

/** `data.coreURL`: a file of this core package, from which `sugar-server` resolves to the core itself. */
export function initialize(data: { coreURL: string }): void {
  coreURL = data.coreURL;
}

/** Node's resolution first; only a `sugar-server` import it cannot find is resolved from the core. */
export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string }> {
  try {
    return await next(specifier, context);
  } catch (err) {
    const core = specifier === 'sugar-server' || specifier.startsWith('sugar-server/');
    if (!core || !coreURL || (err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return next(specifier, { ...context, parentURL: coreURL });
  }
}
