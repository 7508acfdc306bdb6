/**
 * Who serves which method and path on the main HTTP server. A path two plugins
 * both route would go to whichever was mounted first, and the other would
 * never hear of it; so the second one is refused, naming the first.
 */
import type { Router } from '@koa/router';

/** `GET /registry/v1/laptops`, …: each route of `router` (HEAD goes with GET, middleware is no route). */
export function claimsOf(router: Router): string[] {
  const claims: string[] = [];
  for (const layer of router.stack) {
    for (const method of layer.methods) if (method !== 'HEAD') claims.push(`${method} ${layer.path}`);
  }
  return claims;
}

/** The first claim of `router` that `held` (owner -> its claims) already has, with its owner. */
export function firstClash(router: Router, held: ReadonlyMap<string, ReadonlySet<string>>): { claim: string; owner: string } | undefined {
  for (const claim of claimsOf(router)) {
    for (const [owner, claims] of held) if (claims.has(claim)) return { claim, owner };
  }
  return undefined;
}
