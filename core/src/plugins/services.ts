/**
 * Services plugins offer each other (the registry's laptop lookup for backup).
 * The root container resolves a provided token to whatever the running provider
 * offered; once that plugin stops, resolving it fails with a clear error.
 */
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import { ServerErrors } from '../errors.js';

export class ServiceDirectory {
  private readonly offers = new Map<InjectionToken<unknown>, { owner: string; value: unknown }>();
  private readonly registered = new Set<InjectionToken<unknown>>();

  constructor(private readonly root: DependencyContainer) {}

  provide<T>(owner: string, token: InjectionToken<T>, value: T): void {
    const current = this.offers.get(token);
    if (current && current.owner !== owner) {
      throw ServerErrors.PLUGIN_INVALID(owner, `${describe(token)} is already provided by ${current.owner}`);
    }
    this.offers.set(token, { owner, value });
    if (!this.registered.has(token)) {
      this.registered.add(token);
      this.root.register(token, {
        useFactory: () => {
          const offer = this.offers.get(token);
          if (!offer) throw ServerErrors.SERVICE_UNAVAILABLE(describe(token));
          return offer.value as T;
        },
      });
    }
  }

  /** What is offered under `token` now, or undefined when no running plugin offers it. */
  get<T>(token: InjectionToken<T>): T | undefined {
    return this.offers.get(token)?.value as T | undefined;
  }

  withdraw(owner: string): void {
    for (const [token, offer] of this.offers) if (offer.owner === owner) this.offers.delete(token);
  }
}

function describe(token: InjectionToken<unknown>): string {
  if (typeof token === 'symbol') return token.description ?? 'a service';
  if (typeof token === 'function') return token.name;
  return String(token);
}
