/**
 * `sugar-server <service> <command> [args]`: subcommands that plugins define
 * (`sugar-server leases report`). They run in the CLI process with the plugin's
 * checked section, and reach the running daemon through its admin API.
 */
import { join } from 'node:path';
import { readAdminToken } from './admin.js';
import { checkSection } from './config/schema.js';
import { readRunningUrl } from './control.js';
import { ServerErrors, SugarError } from './errors.js';
import { adminTokenFile, type Paths } from './paths.js';
import type { CommandContext } from './plugins/definition.js';
import { loadDefinition } from './plugins/loader.js';
import { readSettings } from './plugins/plan.js';

/** Run `args[0]` of the plugin providing `service`; undefined when no plugin provides it. */
export async function runPluginCommand(paths: Paths, service: string, args: readonly string[]): Promise<number | undefined> {
  const read = await readSettings(paths);
  if (!read.ok) throw ServerErrors.CONFIG([...read.problems]);
  const { core, selection } = read.settings;
  const choice = selection.services.get(service);
  if (!choice) return undefined;
  const provider = choice.provider;
  if (!provider) {
    throw ServerErrors.USAGE(`${choice.providers.length} packages provide "${service}"; choose one with [providers] ${service} = <package>`);
  }
  const definition = await loadDefinition(provider, core.core.start_timeout);
  const commands = definition.commands ?? {};
  const [name, ...rest] = args;

  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const names = Object.keys(commands);
    console.log(names.length
      ? `Usage: sugar-server ${service} <command> [options]\n\nCommands:\n${names.map((n) => `  ${n.padEnd(12)} ${commands[n]!.summary}`).join('\n')}`
      : `${provider.packageName} has no commands`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw ServerErrors.USAGE(`"${service}" has no command "${name}"; see sugar-server ${service} --help`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`Usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }

  const section = checkSection(service, choice.section, definition.config ?? {});
  if (!section.ok) throw ServerErrors.CONFIG(section.problems);
  const adminFetch = adminFetcher(paths);
  const ctx: CommandContext = {
    service,
    config: section.value,
    etcDir: paths.etc,
    dataDir: join(paths.data, service),
    daemonUrl: () => readRunningUrl(paths),
    adminFetch,
    adminJson: adminJsonOf(adminFetch),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  };
  return (await command.run(rest, ctx)) ?? 0;
}

/** Calls the daemon running for `paths` with the admin token; throws SERVER_ERR_NOT_RUNNING when none runs. */
export function adminFetcher(paths: Paths): CommandContext['adminFetch'] {
  return async (path, init = {}) => {
    const url = await readRunningUrl(paths);
    if (!url) throw ServerErrors.NOT_RUNNING(paths.run, 'no pid file of a live daemon');
    const token = await readAdminToken(adminTokenFile(paths));
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    try {
      return await fetch(new URL(path, url), { ...init, headers, signal: init.signal ?? AbortSignal.timeout(60_000) });
    } catch (err) {
      throw ServerErrors.NOT_RUNNING(url, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
    }
  };
}

/**
 * JSON calls through `adminFetch`: the parsed body (undefined when empty); an
 * error answer `{error: {code, message}}` is thrown as a SugarError. With
 * `acceptStatus`, those statuses resolve with their body too.
 */
export function adminJsonOf(adminFetch: CommandContext['adminFetch'], acceptStatus: readonly number[] = []): CommandContext['adminJson'] {
  return async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await adminFetch(path, init);
    const text = await response.text();
    if (!response.ok && !acceptStatus.includes(response.status)) {
      const { code, message } = errorBodyOf(text);
      throw new SugarError(code ?? 'SERVER_ERR_HTTP', message ?? `the daemon answered ${response.status} to ${init.method ?? 'GET'} ${path}`, {
        status: response.status,
      });
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** Take `--root`/`--config` (the core's options) out of a plugin command's arguments. */
export function splitRootOptions(args: readonly string[]): { root?: string; config?: string; rest: string[] } {
  const result: { root?: string; config?: string; rest: string[] } = { rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--(root|config)(?:=(.*))?$/.exec(arg);
    if (!match) {
      result.rest.push(arg);
      continue;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) throw ServerErrors.USAGE(`--${match[1]} needs a folder`);
    result[match[1] as 'root' | 'config'] = value;
  }
  return result;
}

/** The code and message of a JSON error body, when it is one. */
function errorBodyOf(text: string): { code?: string; message?: string } {
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
