/**
 * What the `sugar-server blacklists` commands that talk to the running
 * daemon share: admin API calls whose JSON errors come back as coded errors.
 */
import { SugarError, type CommandContext } from 'sugar-server';
import type { BlacklistsConfig } from '../config.js';

/** The context the core hands a blacklists command. */
export type BlacklistsCommandContext = CommandContext<BlacklistsConfig>;

/** Call the daemon's admin API; resolves with the parsed JSON body, throws the server's error. */
export async function callDaemon<T>(ctx: BlacklistsCommandContext, path: string, init: RequestInit = {}): Promise<T> {
  const response = await ctx.adminFetch(path, { ...init, signal: init.signal ?? AbortSignal.timeout(30 * 60_000) });
  const body = await response.text();
  if (!response.ok) {
    const { code, message } = errorOf(body);
    throw new SugarError(code ?? 'SERVER_ERR_HTTP', message ?? `the daemon answered ${response.status} to ${init.method ?? 'GET'} ${path}`, {
      status: response.status,
    });
  }
  return (body ? JSON.parse(body) : undefined) as T;
}

function errorOf(body: string): { code?: string; message?: string } {
  try {
    const { error } = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    return {
      code: typeof error?.code === 'string' ? error.code : undefined,
      message: typeof error?.message === 'string' ? error.message : undefined,
    };
  } catch {
    return {};
  }
}
