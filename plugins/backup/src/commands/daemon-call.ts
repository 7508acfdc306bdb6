/** Calls from a `sugar-server backup` command to the running daemon's admin API, its JSON errors turned back into coded errors. */
import { SugarError, type CommandContext } from 'sugar-server';

/** GET `path` with the admin token; resolves with the parsed JSON body, throws the server's error. */
export async function getFromDaemon<T>(ctx: CommandContext<unknown>, path: string): Promise<T> {
  const response = await ctx.adminFetch(path);
  const text = await response.text();
  if (!response.ok) {
    let error: { code?: unknown; message?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    } catch {
      error = undefined;
    }
    throw new SugarError(
      typeof error?.code === 'string' ? error.code : 'SERVER_ERR_HTTP',
      typeof error?.message === 'string' ? error.message : `the daemon answered ${response.status} to GET ${path}`,
      { status: response.status },
    );
  }
  return JSON.parse(text) as T;
}
