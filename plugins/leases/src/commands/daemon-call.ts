/**
 * What every `sugar-server leases` command shares: calls to the running daemon's
 * admin API that turn its JSON errors back into coded errors.
 */
import { ServerErrors, SugarError, type CommandContext } from 'sugar-server';
import type { LeasesConfig } from '../config.js';

/** The context the core hands a leases command. */
export type LeasesCommandContext = CommandContext<LeasesConfig>;

/** Call the daemon's admin API; resolves with the parsed JSON body (undefined for 204), throws the server's error. */
export async function callDaemon<T>(ctx: LeasesCommandContext, path: string, init: RequestInit = {}): Promise<T> {
  const response = await ctx.adminFetch(path, init);
  const text = await response.text();
  if (!response.ok) {
    const { code, message } = errorOf(text);
    throw new SugarError(code ?? 'SERVER_ERR_HTTP', message ?? `the daemon answered ${response.status} to ${init.method ?? 'GET'} ${path}`, {
      status: response.status,
    });
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** One positional argument, or a usage error naming what is expected. */
export function onePositional(positionals: readonly string[], what: string): string {
  if (positionals.length !== 1) throw ServerErrors.USAGE(`expected ${what}${positionals.length > 1 ? `, got also "${positionals[1]}"` : ''}`);
  return positionals[0]!;
}

function errorOf(text: string): { code?: string; message?: string } {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return {
      code: typeof error?.code === 'string' ? error.code : undefined,
      message: typeof error?.message === 'string' ? error.message : undefined,
    };
  } catch {
    return {};
  }
}
