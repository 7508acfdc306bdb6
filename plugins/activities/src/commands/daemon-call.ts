/**
 * What every `sugar-server activities` command shares: calls to the running
 * daemon's admin API that turn its JSON errors back into coded errors.
 */
import { SugarError, type CommandContext } from 'sugar-server';
import type { ActivitiesConfig } from '../config.js';

/** The context the core hands an activities command. */
export type ActivitiesCommandContext = CommandContext<ActivitiesConfig>;

/** Call the daemon's API; resolves with the parsed JSON body, throws the server's error. */
export async function callDaemon<T>(ctx: ActivitiesCommandContext, path: string, init: RequestInit = {}): Promise<T> {
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
