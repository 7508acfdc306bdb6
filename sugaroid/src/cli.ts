#!/usr/bin/env node
/**
 * The `sugaroid` command: act as one laptop from a shell. Exit codes: 0 ok,
 * 1 failure, 2 usage. A new command is one entry in {@link COMMANDS}.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ACTIVATION_PORT, ACTIVATION_TIMEOUT_MS, readPublicKeyFile, type ActivationResult } from './clients/activation.js';
import { REGISTER_TIMEOUT_MS, type RegistrationProtocol, type RegistrationResult } from './clients/registry.js';
import { fetchStatus, type ServerStatus } from './clients/status.js';
import { downloadCommand, updatesCommand } from './cli-activities.js';
import { backupCommand, restoreCommand } from './cli-backup.js';
import { fleetSwarmCommand } from './cli-fleet.js';
import { discover } from './discover.js';
import { isSugaroidError, SugaroidErrors } from './errors.js';
import { createIdentity } from './identity.js';
import { Laptop } from './laptop.js';
import { isSshKeyType, SSH_KEY_TYPES } from './ssh-keys.js';
import { describeSwarm, swarm } from './swarm.js';

/** Where the CLI writes; tests pass their own. Each call is one or more whole lines. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** One `sugaroid <name>` command. */
interface Command {
  /** One line for `sugaroid --help`. */
  readonly summary: string;
  /** Full text for `sugaroid <name> --help`. */
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const COMMANDS: Record<string, Command> = {
  status: {
    summary: 'show which services a server runs (GET /status)',
    usage: `Usage: sugaroid status --server URL [--timeout MS] [--json]

Prints the server's state and a table of its plugins: service, package,
version, state and error. With --json, prints the raw /status answer.
  --server URL    the server, e.g. http://schoolserver:5080
  --timeout MS    give up after MS milliseconds (default 5000)
  --json          print the answer as JSON`,
    async run(args, io) {
      const values = parse(args, {
        server: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      });
      if (!values.server) throw SugaroidErrors.USAGE('status needs --server URL (sugaroid discover can find one)');
      const status = await fetchStatus(values.server, { timeoutMs: milliseconds(values.timeout, 5000) });
      io.out(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return 0;
    },
  },

  discover: {
    summary: 'find sugar-servers on the LAN over mDNS',
    usage: `Usage: sugaroid discover [--timeout MS] [--type TYPE] [--json]

Browses for _sugar-server._tcp and prints one server per line: name, URL and
the services it announces. Exits 1 when none answers in time.
  --timeout MS    how long to listen (default 3000)
  --type TYPE     browse for _TYPE._tcp instead
  --json          print the servers as JSON`,
    async run(args, io) {
      const values = parse(args, {
        timeout: { type: 'string' },
        type: { type: 'string' },
        json: { type: 'boolean' },
      });
      const servers = await discover({
        timeoutMs: milliseconds(values.timeout, 3000),
        type: values.type ?? 'sugar-server',
        required: true,
      });
      io.out(values.json
        ? JSON.stringify(servers, null, 2)
        : table(servers.map((s) => [s.name, s.url, s.services.join(',') || '-'])));
      return 0;
    },
  },

  identity: {
    summary: 'print a freshly made laptop identity as JSON',
    usage: `Usage: sugaroid identity [--key-type TYPE] [--serial SN] [--uuid UUID] [--nick NICK] [--private]

Makes a laptop identity (XO serial, machine UUID, nick, SSH key) and prints it
as JSON. The private key is left out unless --private is given.
  --key-type TYPE  ${SSH_KEY_TYPES.join(', ')} (default ed25519; old XOs use dsa)
  --serial SN      use this serial instead of a random one
  --uuid UUID      use this UUID instead of a random one
  --nick NICK      use this nick
  --private        include the private key (OpenSSH text for ssh -i)`,
    async run(args, io) {
      const values = parse(args, {
        'key-type': { type: 'string' },
        serial: { type: 'string' },
        uuid: { type: 'string' },
        nick: { type: 'string' },
        private: { type: 'boolean' },
      });
      const keyType = values['key-type'] ?? 'ed25519';
      if (!isSshKeyType(keyType)) throw SugaroidErrors.USAGE(`--key-type must be one of ${SSH_KEY_TYPES.join(', ')}, not "${keyType}"`);
      const identity = createIdentity({ keyType, serial: values.serial, uuid: values.uuid, nick: values.nick });
      const { privateKey, ...publicParts } = identity.sshKey;
      const shown = { ...identity, sshKey: values.private ? identity.sshKey : publicParts };
      io.out(JSON.stringify(shown, null, 2));
      return 0;
    },
  },

  register: {
    summary: 'register laptops with a server, by XML-RPC as Sugar does or by JSON',
    usage: `Usage: sugaroid register --server URL [--protocol xmlrpc|json] [--serial SN] [--key-type TYPE]
                        [--count N] [--concurrency C] [--timeout MS]

Registers a fresh laptop and prints the server's answer; with --count, registers
N fresh laptops at once and prints how it went (latency percentiles, errors).
Exits 1 when a registration is refused or fails.
  --server URL      xmlrpc: the registration port (e.g. http://schoolserver:8080);
                    json: the main server (e.g. http://schoolserver)
  --protocol P      xmlrpc (default: what deployed laptops speak) or json
  --serial SN       register this serial (one laptop only)
  --key-type TYPE   ${SSH_KEY_TYPES.join(', ')} (default ed25519; old XOs use dsa)
  --count N         register N fresh laptops at once
  --concurrency C   with --count, at most C registrations in flight (default N)
  --timeout MS      give up on one registration after MS milliseconds (default ${REGISTER_TIMEOUT_MS})`,
    async run(args, io) {
      const values = parse(args, {
        server: { type: 'string' },
        protocol: { type: 'string' },
        serial: { type: 'string' },
        'key-type': { type: 'string' },
        count: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
      });
      if (!values.server) throw SugaroidErrors.USAGE('register needs --server URL');
      const protocol = values.protocol ?? 'xmlrpc';
      if (protocol !== 'xmlrpc' && protocol !== 'json') throw SugaroidErrors.USAGE(`--protocol must be xmlrpc or json, not "${protocol}"`);
      const keyType = values['key-type'] ?? 'ed25519';
      if (!isSshKeyType(keyType)) throw SugaroidErrors.USAGE(`--key-type must be one of ${SSH_KEY_TYPES.join(', ')}, not "${keyType}"`);
      const options = { server: values.server, protocol: protocol as RegistrationProtocol, timeoutMs: milliseconds(values.timeout, REGISTER_TIMEOUT_MS) };

      if (values.count === undefined) {
        if (values.concurrency !== undefined) throw SugaroidErrors.USAGE('--concurrency goes with --count');
        const laptop = Laptop.create({ keyType, serial: values.serial });
        const result = await registerOrThrow(laptop, options);
        io.out(`${laptop.serial}: ${result.success}, backupurl ${result.backupurl}, jabberserver ${result.jabberserver}`);
        return 0;
      }
      if (values.serial !== undefined) throw SugaroidErrors.USAGE('--serial names one laptop; --count makes fresh ones');
      const count = wholeNumber(values.count, '--count');
      const concurrency = values.concurrency === undefined ? count : wholeNumber(values.concurrency, '--concurrency');
      // Keys are made first, so the latencies are the server's, not key generation's.
      const laptops = Array.from({ length: count }, () => Laptop.create({ keyType }));
      const report = await swarm(count, (i) => registerOrThrow(laptops[i]!, options), { concurrency });
      io.out(`${count} laptops registering by ${protocol} with ${values.server}, ${concurrency} at a time`);
      io.out(describeSwarm(report));
      return report.errors === 0 ? 0 : EXIT_FAILURE;
    },
  },

  activate: {
    summary: 'ask for an activation lease on TCP port 191, as an XO does at boot',
    usage: `Usage: sugaroid activate --server HOST[:PORT] [--serial SN] [--uuid UUID] [--public-key FILE]
                        [--count N] [--concurrency C] [--timeout MS]

Sends the laptop's serial to the activation port (${ACTIVATION_PORT} unless given), half-closes,
and prints the answer: a lease (checked against the serial and its expiry, and
with --public-key its signature, as the XO does), STOLEN, or no lease. With
--count, N laptops ask at once and the outcomes and latencies are printed.
Exits 1 when an exchange fails or a lease would not activate the laptop.
  --server HOST[:PORT]  the school server, e.g. schoolserver or [fe80::abcd:ef02]:191
  --serial SN           ask as this serial (all of them, with --count)
  --uuid UUID           the machine UUID the lease must be signed for
  --public-key FILE     the deployment's public key (PEM or DER) to check signatures
  --count N             N laptops ask at once
  --concurrency C       with --count, at most C exchanges in flight (default N)
  --timeout MS          give up on one exchange after MS milliseconds (default ${ACTIVATION_TIMEOUT_MS})`,
    async run(args, io) {
      const values = parse(args, {
        server: { type: 'string' },
        serial: { type: 'string' },
        uuid: { type: 'string' },
        'public-key': { type: 'string' },
        count: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
      });
      if (!values.server) throw SugaroidErrors.USAGE('activate needs --server HOST[:PORT]');
      const { host, port } = hostAndPort(values.server);
      const publicKey = values['public-key'] === undefined ? undefined : await readPublicKeyFile(values['public-key']);
      const options = { publicKey, timeoutMs: milliseconds(values.timeout, ACTIVATION_TIMEOUT_MS) };
      const identity = { serial: values.serial, uuid: values.uuid };

      if (values.count === undefined) {
        if (values.concurrency !== undefined) throw SugaroidErrors.USAGE('--concurrency goes with --count');
        const laptop = Laptop.create(identity);
        io.out(describeActivation(laptop.serial, await laptop.activate(host, port, options)));
        return 0;
      }
      const count = wholeNumber(values.count, '--count');
      const concurrency = values.concurrency === undefined ? count : wholeNumber(values.concurrency, '--concurrency');
      const laptops = Array.from({ length: count }, () => Laptop.create(identity));
      const report = await swarm(count, (i) => laptops[i]!.activate(host, port, options), { concurrency });
      const outcomes = { lease: 0, stolen: 0, none: 0 };
      for (const result of report.results) if (result) outcomes[result.outcome]++;
      io.out(`${count} laptops asking ${values.server} for leases, ${concurrency} at a time`);
      io.out(describeSwarm(report));
      io.out(`answers: ${outcomes.lease} lease, ${outcomes.stolen} stolen, ${outcomes.none} none`);
      return report.errors === 0 ? 0 : EXIT_FAILURE;
    },
  },

  updates: updatesCommand,
  download: downloadCommand,
  backup: backupCommand,
  restore: restoreCommand,
  'fleet-swarm': fleetSwarmCommand,
};

const USAGE = `Usage: sugaroid <command> [options]

Behaves like a Sugar/XO laptop talking to a school server.

Commands:
${table(Object.entries(COMMANDS).map(([name, c]) => [`  ${name}`, c.summary]))}

Run sugaroid <command> --help for a command's options.`;

/** Run the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(USAGE);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return 0;
  }
  try {
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw SugaroidErrors.USAGE(`unknown command "${name}"; see sugaroid --help`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.usage);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (isUsageError(err)) {
      io.err(`sugaroid: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
    io.err(`sugaroid: ${isSugaroidError(err) ? err.message : err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return EXIT_FAILURE;
  }
}

/** Strict parsing: an unknown option or a stray argument is a usage error. */
function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
}

/** Usage errors, including a flag value that makes no valid identity. */
function isUsageError(err: unknown): boolean {
  if (SugaroidErrors.USAGE.is(err) || SugaroidErrors.BAD_IDENTITY.is(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function milliseconds(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw SugaroidErrors.USAGE(`--timeout takes whole milliseconds, not "${value}"`);
  return Number(value);
}

/** Register, turning a refusal into an error so that the swarm counts it. */
async function registerOrThrow(laptop: Laptop, options: { server: string; protocol: RegistrationProtocol; timeoutMs: number }): Promise<RegistrationResult> {
  const result = await laptop.register(options.server, { protocol: options.protocol, timeoutMs: options.timeoutMs });
  if (result.success !== 'OK') throw SugaroidErrors.REFUSED(`registration of ${laptop.serial}`, `${result.success}: ${result.error}`);
  return result;
}

/** A whole number of at least 1, for --count and --concurrency. */
function wholeNumber(value: string, flag: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw SugaroidErrors.USAGE(`${flag} takes a whole number from 1 to 9999999, not "${value}"`);
  return Number(value);
}

/** `HOST`, `HOST:PORT`, `[v6]`, `[v6]:PORT` or a bare IPv6 address; the port is 191 unless given. */
function hostAndPort(server: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  const [host, port] = match ? [match[1]!, match[2]] : [server, undefined];
  if (!host) throw SugaroidErrors.USAGE(`--server needs a host, not "${server}"`);
  if (port === undefined) return { host, port: ACTIVATION_PORT };
  if (Number(port) < 1 || Number(port) > 65535) throw SugaroidErrors.USAGE(`port ${port} in --server is not from 1 to 65535`);
  return { host, port: Number(port) };
}

/** One line per answer: what the laptop would do with it. */
function describeActivation(serial: string, result: ActivationResult): string {
  if (result.outcome === 'stolen') return `${serial}: STOLEN (the laptop locks)`;
  if (result.outcome === 'none') return `${serial}: no lease (the laptop tries the next server)`;
  return `${serial}: lease until ${result.expires}\n${result.lease?.trimEnd()}`;
}

function formatStatus(status: ServerStatus): string {
  const { server } = status;
  const lines = [`${server.name} ${server.version}: ${server.state}, up ${server.uptime} s, config generation ${server.config.generation}`];
  if (server.config.lastError) lines.push(`last reload refused: ${server.config.lastError}`);
  lines.push('');
  if (status.plugins.length === 0) lines.push('no plugins selected');
  else lines.push(table([
    ['SERVICE', 'PACKAGE', 'VERSION', 'STATE', 'ERROR'],
    ...status.plugins.map((p) => [p.service, p.package ?? '-', p.version ?? '-', p.state, p.error ? `${p.error.code}: ${p.error.message}` : '']),
  ]));
  for (const s of status.standby) lines.push(`standby: ${s.package} ${s.version} (${s.reason})`);
  for (const r of status.rejected) lines.push(`rejected: ${r.package} (${r.reason})`);
  return lines.join('\n');
}

/** Left-aligned columns two spaces apart; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** True when this file is the process entry (also through npm's bin symlink), not an import. */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main(process.argv.slice(2));
}
