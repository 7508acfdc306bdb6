/** Start order from the services' dependencies; cycles are found and named. */

export interface Cycle {
  readonly services: readonly string[];
}

export interface Ordering {
  /** Dependencies before dependants; services in a cycle are left out. */
  readonly order: readonly string[];
  /** For each service caught in a cycle, the cycle as `a → b → a`. */
  readonly cycles: ReadonlyMap<string, string>;
}

/** `deps` maps each service to the services it needs (names outside `deps` are ignored here). */
export function orderServices(deps: ReadonlyMap<string, readonly string[]>): Ordering {
  const order: string[] = [];
  const cycles = new Map<string, string>();
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];

  const visit = (service: string): boolean => {
    const seen = state.get(service);
    if (seen === 'done') return !cycles.has(service);
    if (seen === 'visiting') {
      const loop = [...path.slice(path.indexOf(service)), service];
      for (const member of loop) cycles.set(member, loop.join(' → '));
      return false;
    }
    state.set(service, 'visiting');
    path.push(service);
    let ok = true;
    for (const dep of deps.get(service) ?? []) if (deps.has(dep) && !visit(dep)) ok = false;
    path.pop();
    state.set(service, 'done');
    if (ok && !cycles.has(service)) order.push(service);
    return ok && !cycles.has(service);
  };

  for (const service of [...deps.keys()].sort()) visit(service);
  return { order, cycles };
}
