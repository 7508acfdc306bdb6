/**
 * The `sugar-server` command: start the daemon, ask it how it is, switch plugins,
 * check the configuration. Exit codes: 0 ok, 1 failure, 2 usage, 78 bad config
 * (EX_CONFIG, which systemd shows as "CONFIG").
 */
import { parseArgs } from 'node:util';
import { getJson, readPid, readRunningUrl } from './control.js';
import { runPluginCommand, splitRootOptions } from './commands.js';
import { Daemon } from './daemon.js';
import { writeDiagnostics } from './diagnostics.js';
import { storeCommand } from './store-command.js';
import { feedsCommand } from './feeds-command.js';
import { maintenanceCommand } from './maintenance-command.js';
import { fleetCommand } from './fleet-command.js';
import { adminCommand } from './admin-command.js';
import { isSugarError, ServerErrors } from './errors.js';
import { initRoot } from './init.js';
import { flushLog } from './log.js';
import { urlFor } from './listeners.js';
import { configFile, dropInDir, resolvePaths, type Paths } from './paths.js';
import { makePlan, readSettings } from './plugins/plan.js';
import { pluginCommand } from './plugin-scaffold.js';
import { PLUGINS_DROP_IN, writePluginSwitch } from './plugin-switch.js';

interface StatusDocument {
  server: { state: string; version: string; uptime: number; config: { generation: number; lastError: string | null } };
  plugins: { service: string; package: string | null; version: string | null; enabled: boolean; state: string; uptime: number | null; error: { message: string } | null }[];
  standby: { service: string; package: string; reason: string }[];
  rejected: { package: string; reason: string }[];
}

const EXIT_USAGE = 2;
const EXIT_CONFIG = 78;
/** EX_DATAERR: the data folder was written by a newer version; the unit does not restart on it. */
const EXIT_DATA_TOO_NEW = 65;

const ROOT_OPTIONS = {
  root: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const USAGE = `Usage: sugar-server <command> [options]

Commands:
  start            run the daemon in the foreground (systemd runs it this way)
  status           show the running daemon's plugins and their states
  plugins list     list installed plugins, whether they are on, and their state
  plugins enable NAME | plugins disable NAME
                   switch a service on or off (writes conf.d/${PLUGINS_DROP_IN}, reloads the daemon)
  plugin new NAME [--service S] [--dir DIR]
                   write a new plugin package of your own, ready to build and test
  check-config     check /etc/sugar-server/ and the installed plugins without starting
  init             create the config folders under --root (add --dev for a developer setup)
  store check|dump|truncate
                   look into the plugins' stores; recover a damaged journal
  maintenance on|off|status
                   hold laptop-facing HTTP back with 503 + Retry-After (activation keeps answering)
  feeds keygen|sign-keys|export|import
                   make feed signing keys; carry signed feeds on a disk
  fleet invite|enrol|report|schools|forget
                   enrol schools with their upstream; see which hold the latest feeds
  admin url | admin passwd NAME
                   where the admin console answers (and its certificate's fingerprint);
                   set an admin console account's password
  diagnostics      write one archive (versions, redacted config, status, recent logs, disk)
                   to send when asking for help
  <service> <command>
                   a command of an installed plugin, e.g. \`sugar-server leases report\`;
                   \`sugar-server <service> --help\` lists them

Options for every command:
  --root DIR       use DIR/etc/sugar-server, DIR/var/lib/sugar-server and DIR/run/sugar-server
  --config DIR     read the configuration from DIR instead of /etc/sugar-server
  -h, --help       help for a command`;

const HELP: Record<string, string> = {
  start: `Usage: sugar-server start [--root DIR] [--config DIR] [--dev]

Runs the daemon in the foreground; logs are JSON lines on stdout.
  --dev   first lay out DIR with a developer drop-in (loopback, port 5080, no mDNS)
Signals: SIGHUP reloads the configuration (a bad one is refused and the running
set stays); SIGTERM or SIGINT drain requests, stop plugins and exit 0.`,
  status: `Usage: sugar-server status [--root DIR] [--config DIR] [--json]

Asks the running daemon (GET /status on the [http] address and port) and prints a table.`,
  plugins: `Usage: sugar-server plugins list [--json]
       sugar-server plugins enable NAME
       sugar-server plugins disable NAME

enable/disable write [plugins] NAME = on|off to conf.d/${PLUGINS_DROP_IN}, check the
result, and send SIGHUP to the running daemon, which applies it without a restart.`,
  'check-config': `Usage: sugar-server check-config [--root DIR] [--config DIR]

Reads sugar-server.conf and conf.d/*.conf, finds installed plugins, loads the ones
switched on and checks every section. Prints each problem as file:line and exits 78.`,
  diagnostics: `Usage: sugar-server diagnostics [--root DIR] [--config DIR] [--output FILE]

Writes sugar-server-diagnostics-<host>-<time>.tar.gz in the current folder (or
FILE), readable by its owner only: versions of the server, Node, the system and
rsync/ssh/squid; the configuration files with secret values and URL passwords
removed, and what check-config says of them; the running daemon's /status and
/metrics; its recent log lines and the journal's; free disk and inodes. The
admin token, keys and laptop data are never included. Run it as root (or the
daemon's user) so that the recent log lines can be asked for.`,
  init: `Usage: sugar-server init [--root DIR] [--dev]

Creates DIR/etc/sugar-server with the shipped defaults; with --dev also a drop-in
for an unprivileged developer daemon on 127.0.0.1:5080 without mDNS.`,
};

export async function runCli(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : EXIT_USAGE;
  }
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'status':
        return await status(rest);
      case 'plugins':
        return await plugins(rest);
      case 'plugin':
        return await pluginCommand(rest);
      case 'check-config':
        return await checkConfig(rest);
      case 'init':
        return await init(rest);
      case 'diagnostics':
        return await diagnostics(rest);
      case 'store': {
        const { root, config, rest: storeArgs } = splitRootOptions(rest);
        return await storeCommand(resolvePaths({ root, config }), storeArgs, (line) => console.log(line), (line) => console.error(line));
      }
      case 'maintenance': {
        const { root, config, rest: maintenanceArgs } = splitRootOptions(rest);
        return await maintenanceCommand(resolvePaths({ root, config }), maintenanceArgs, (line) => console.log(line));
      }
      case 'feeds': {
        const { root, config, rest: feedsArgs } = splitRootOptions(rest);
        return await feedsCommand(resolvePaths({ root, config }), feedsArgs, (line) => console.log(line));
      }
      case 'admin': {
        const { root, config, rest: adminArgs } = splitRootOptions(rest);
        return await adminCommand(resolvePaths({ root, config }), adminArgs, (line) => console.log(line));
      }
      case 'fleet': {
        const { root, config, rest: fleetArgs } = splitRootOptions(rest);
        return await fleetCommand(resolvePaths({ root, config }), fleetArgs, (line) => console.log(line));
      }
      default: {
        const { root, config, rest: pluginArgs } = splitRootOptions(rest);
        const code = await runPluginCommand(resolvePaths({ root, config }), command, pluginArgs);
        if (code === undefined) throw ServerErrors.USAGE(`unknown command "${command}": not a sugar-server command nor an installed service; see sugar-server --help`);
        return code;
      }
    }
  } catch (err) {
    if (ServerErrors.USAGE.is(err) || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`sugar-server: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
    if (ServerErrors.STORE_TOO_NEW.is(err)) {
      console.error(`sugar-server: ${err.message}`);
      return EXIT_DATA_TOO_NEW;
    }
    if (ServerErrors.CONFIG.is(err)) {
      console.error(`sugar-server: configuration refused:\n  ${err.message.split('\n').filter((l) => !/problems in the configuration/.test(l)).map((l) => l.trim()).join('\n  ')}`);
      return EXIT_CONFIG;
    }
    console.error(`sugar-server: ${isSugarError(err) ? err.message : (err as Error).stack ?? String(err)}`);
    return 1;
  }
}

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], extra: T, positionals = 0) {
  const parsed = parseArgs({ args, options: { ...ROOT_OPTIONS, ...extra }, allowPositionals: positionals > 0, strict: true });
  if (parsed.positionals.length > positionals) throw ServerErrors.USAGE(`unexpected argument "${parsed.positionals[positionals]}"`);
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const paths = resolvePaths({ root: values.root as string | undefined, config: values.config as string | undefined });
  return { values, positionals: parsed.positionals, paths };
}

async function start(args: string[]): Promise<number | undefined> {
  const { values, paths } = parse(args, { dev: { type: 'boolean' } });
  if (values.help) return help('start');
  if (values.dev) {
    const { created, updated } = await initRoot(paths, { dev: true });
    for (const file of [...created, ...updated]) console.error(`sugar-server: wrote ${file}`);
  }
  const daemon = await Daemon.start(paths);
  console.error(`sugar-server: listening on ${daemon.url} (status: ${daemon.url}/status, data: ${paths.data})`);

  process.on('SIGHUP', () => void daemon.reload());
  const exit = (code: number) => {
    flushLog(daemon.log);
    process.exit(code);
  };
  const stop = (signal: string) => {
    daemon.shutdown(signal).then(
      () => exit(0),
      (err) => {
        daemon.log.fatal({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A plugin's stray promise must not take the school's server down.
  process.on('unhandledRejection', (err) => {
    if (!daemon.isolate(err)) daemon.log.error({ err }, 'unhandled promise rejection (a plugin bug); still running');
  });
  // A plugin's stray throw fails that plugin only (it restarts after a back-off); any other ends the process.
  process.on('uncaughtException', (err) => {
    if (daemon.isolate(err)) return;
    daemon.log.fatal({ err }, 'uncaught exception; exiting so the service manager restarts a clean process');
    exit(1);
  });
  return undefined;
}

async function status(args: string[]): Promise<number> {
  const { values, paths } = parse(args, { json: { type: 'boolean' } });
  if (values.help) return help('status');
  // The configuration on disk is checked, never trusted to find the daemon: a
  // running daemon keeps the one it loaded, whatever happened to the files since.
  const planned = await makePlan(paths).catch((err: unknown) => ({ ok: false as const, problems: [(err as Error).message] }));
  const problems = planned.ok ? [] : [...planned.problems];
  const running = await readRunningUrl(paths);
  if (!running && problems.length) throw ServerErrors.CONFIG(problems);
  const doc = await getJson<StatusDocument>(running ?? (await daemonUrl(paths)), '/status');
  if (values.json) {
    console.log(JSON.stringify({ ...doc, configOnDisk: { ok: problems.length === 0, problems } }, null, 2));
    return 0;
  }
  const { server } = doc;
  console.log(`sugar-server ${server.version}: ${server.state}, up ${duration(server.uptime)}, config generation ${server.config.generation}`);
  if (server.config.lastError) console.log(`last reload refused:\n  ${server.config.lastError.split('\n').join('\n  ')}`);
  if (doc.plugins.length === 0) console.log('no plugins installed (see `sugar-server plugins list` and [core] plugin_dirs)');
  else console.log(table([
    ['SERVICE', 'PACKAGE', 'VERSION', 'STATE', 'UPTIME', 'ERROR'],
    ...doc.plugins.map((p) => [p.service, p.package ?? '-', p.version ?? '-', p.state, p.uptime === null ? '-' : duration(p.uptime), p.error?.message ?? '']),
  ]));
  for (const r of doc.rejected) console.log(`skipped ${r.package}: ${r.reason}`);
  if (problems.length) {
    console.log(`the configuration on disk has problems; the daemon keeps the one it loaded, and a reload or restart would refuse these:\n  ${problems.join('\n  ')}`);
  }
  return doc.plugins.some((p) => p.state === 'failed' || p.state === 'blocked') ? 1 : 0;
}

async function plugins(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (!action || action === '--help' || action === '-h') return help('plugins');
  if (action === 'list') return pluginsList(rest);
  if (action === 'enable' || action === 'disable') return pluginsSwitch(rest, action === 'enable');
  throw ServerErrors.USAGE(`unknown plugins action "${action}"; use list, enable or disable`);
}

async function pluginsList(args: string[]): Promise<number> {
  const { values, paths } = parse(args, { json: { type: 'boolean' } });
  if (values.help) return help('plugins');
  const planned = await makePlan(paths);
  if (!planned.ok) throw ServerErrors.CONFIG([...planned.problems]);
  const live = (await readPid(paths)) ? await getJson<StatusDocument>(await daemonUrl(paths), '/status').catch(() => undefined) : undefined;
  const rows = [...planned.plan.selection.services.values()].flatMap((choice) =>
    choice.providers.map((candidate) => {
      const selected = candidate === choice.provider;
      const state = live?.plugins.find((p) => p.service === choice.service && p.package === candidate.packageName)?.state;
      return {
        service: choice.service,
        package: candidate.packageName,
        version: candidate.version,
        enabled: selected && choice.enabled,
        state: selected ? (state ?? (live ? '-' : 'not running')) : 'standby',
      };
    }));
  if (values.json) {
    console.log(JSON.stringify({ plugins: rows, rejected: planned.plan.discovery.rejected }, null, 2));
    return 0;
  }
  if (rows.length === 0) console.log('no plugins installed');
  else console.log(table([['SERVICE', 'PACKAGE', 'VERSION', 'ENABLED', 'STATE'], ...rows.map((r) => [r.service, r.package, r.version, r.enabled ? 'on' : 'off', r.state])]));
  for (const r of planned.plan.discovery.rejected) console.log(`skipped ${r.packageName}: ${r.reason}`);
  return 0;
}

async function pluginsSwitch(args: string[], on: boolean): Promise<number> {
  const { values, positionals, paths } = parse(args, {}, 1);
  if (values.help) return help('plugins');
  const service = positionals[0];
  if (!service) throw ServerErrors.USAGE(`plugins ${on ? 'enable' : 'disable'} needs a service name`);

  const file = await writePluginSwitch(paths, service, on);
  const pid = await readPid(paths);
  if (!pid) {
    console.log(`${service} switched ${on ? 'on' : 'off'} in ${file}; no daemon is running, it applies at the next start`);
    return 0;
  }
  const url = await daemonUrl(paths);
  const before = await getJson<StatusDocument>(url, '/status');
  process.kill(pid, 'SIGHUP');
  const after = await waitForReload(url, before.server.config.generation, before.server.config.lastError);
  if (after.server.config.lastError && after.server.config.generation === before.server.config.generation) {
    console.error(`sugar-server: the daemon refused the new configuration:\n  ${after.server.config.lastError}`);
    return EXIT_CONFIG;
  }
  const plugin = after.plugins.find((p) => p.service === service);
  console.log(`${service} switched ${on ? 'on' : 'off'}: ${plugin?.state ?? 'unknown'}${plugin?.error ? ` (${plugin.error.message})` : ''}`);
  return plugin && on && plugin.state !== 'running' ? 1 : 0;
}

async function checkConfig(args: string[]): Promise<number> {
  const { values, paths } = parse(args, {});
  if (values.help) return help('check-config');
  const planned = await makePlan(paths);
  if (!planned.ok) throw ServerErrors.CONFIG([...planned.problems]);
  const { plan } = planned;
  const on = plan.services.filter((s) => s.enabled).map((s) => s.service);
  console.log(`configuration OK (${plan.files.length ? plan.files.join(', ') : 'no files, all defaults'})`);
  console.log(`services on: ${on.join(', ') || 'none'}`);
  for (const s of plan.services) if (s.loadError) console.log(`warning: ${s.loadError.message}`);
  for (const r of plan.discovery.rejected) console.log(`skipped ${r.packageName}: ${r.reason}`);
  return 0;
}

async function init(args: string[]): Promise<number> {
  const { values, paths } = parse(args, { dev: { type: 'boolean' } });
  if (values.help) return help('init');
  const { created, updated, missingDefaults } = await initRoot(paths, { dev: values.dev === true });
  for (const file of created) console.log(`created ${file}`);
  for (const file of updated) console.log(`updated ${file}`);
  if (missingDefaults) {
    console.error(`sugar-server: no shipped configuration to copy (looked for ${missingDefaults.join(' and ')}); every key keeps its default, see the README's Configuration section`);
    return 1;
  }
  if (!created.length && !updated.length) console.log(`nothing to do: ${configFile(paths)} and ${dropInDir(paths)}/ are already there`);
  return 0;
}

async function diagnostics(args: string[]): Promise<number> {
  const { values, paths } = parse(args, { output: { type: 'string', short: 'o' } });
  if (values.help) return help('diagnostics');
  const { file, missing } = await writeDiagnostics(paths, { output: values.output as string | undefined });
  for (const part of missing) console.error(`not included: ${part}`);
  console.log(`wrote ${file}`);
  return 0;
}

function help(command: string): number {
  console.log(HELP[command]);
  return 0;
}

async function settingsOf(paths: Paths) {
  const read = await readSettings(paths);
  if (!read.ok) throw ServerErrors.CONFIG([...read.problems]);
  return read.settings;
}

async function daemonUrl(paths: Paths): Promise<string> {
  const running = await readRunningUrl(paths);
  if (running) return running;
  const { http } = (await settingsOf(paths)).core;
  return urlFor(http.address, http.port);
}

async function waitForReload(url: string, generation: number, lastError: string | null): Promise<StatusDocument> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const doc = await getJson<StatusDocument>(url, '/status');
    const { config } = doc.server;
    if (config.generation > generation || (config.lastError !== lastError && config.lastError !== null) || Date.now() > deadline) return doc;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
