/**
 * `sugar-server fleet`: invite a school (on its upstream), enrol this server
 * with its upstream, and read the upstream's reports on its schools.
 */
import { parseArgs } from 'node:util';
import { adminFetcher, adminJsonOf } from './commands.js';
import { readPid } from './control.js';
import { ServerErrors } from './errors.js';
import { ensureServerId, FleetErrors, writeCredential, type Propagation, type SchoolRow } from './fleet/index.js';
import type { Paths } from './paths.js';
import { readSettings } from './plugins/plan.js';

export const FLEET_HELP = `Usage: sugar-server fleet invite NAME [--group GROUP]
       sugar-server fleet enrol [URL] TOKEN
       sugar-server fleet report [--json]
       sugar-server fleet schools [--behind | --silent | --failing] [--json]
       sugar-server fleet forget SERVER_ID

invite   (on the upstream) print a single-use enrolment token for the school
         NAME, valid for [fleet] invite_lifetime (7d)
enrol    (at the school) trade TOKEN for this server's credential with the
         upstream at URL (default: [fleet] upstream, else [feeds] upstream);
         kept in /etc/sugar-server/fleet.credential (mode 0600); the running
         daemon starts checking in at once
report   (on the upstream) per feed published here: the latest version, how
         many schools hold it, the lag from publishing to applying, who is
         behind; then the silent schools
schools  (on the upstream) every school with its state, last check-in and
         versions held; --behind, --silent or --failing list only those
forget   (on the upstream) forget a school that closed or was replaced: its
         credential stops working and its records go (its id is in --json)`;

export async function fleetCommand(paths: Paths, args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      group: { type: 'string' },
      json: { type: 'boolean' },
      behind: { type: 'boolean' },
      silent: { type: 'boolean' },
      failing: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    out(FLEET_HELP);
    return action || values.help ? 0 : 2;
  }
  const admin = () => adminJsonOf(adminFetcher(paths));
  switch (action) {
    case 'invite': {
      if (rest.length !== 1) throw ServerErrors.USAGE('fleet invite needs the school\'s NAME (quote it when it has spaces)');
      const invite = await admin()<{ token: string; name: string; group: string | null; expiresAt: string }>('/fleet/v1/invites', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: rest[0], group: values.group ?? null }),
      });
      out(`enrolment token for ${invite.name}${invite.group ? ` (group ${invite.group})` : ''}, usable once until ${invite.expiresAt}:`);
      out(invite.token);
      out('at the school, run: sugar-server fleet enrol <this server\'s URL> <token>');
      return 0;
    }
    case 'enrol': {
      if (rest.length === 2) return enrol(paths, rest[0]!, rest[1]!, out);
      if (rest.length !== 1) throw ServerErrors.USAGE('fleet enrol needs the TOKEN the upstream issued, after its URL unless [fleet] or [feeds] upstream names it');
      return enrol(paths, await configuredUpstream(paths), rest[0]!, out);
    }
    case 'report': {
      const propagation = await admin()<Propagation>('/fleet/v1/propagation');
      out(values.json ? JSON.stringify(propagation, null, 2) : formatPropagation(propagation).join('\n'));
      return 0;
    }
    case 'schools': {
      const only = (['behind', 'silent', 'failing'] as const).filter((s) => values[s]);
      if (only.length > 1) throw ServerErrors.USAGE('fleet schools takes one of --behind, --silent or --failing');
      const { schools } = await admin()<{ schools: SchoolRow[] }>(`/fleet/v1/schools${only.length ? `?state=${only[0]}` : ''}`);
      out(values.json ? JSON.stringify(schools, null, 2) : formatSchools(schools).join('\n'));
      return 0;
    }
    case 'forget': {
      if (rest.length !== 1) throw ServerErrors.USAGE('fleet forget needs the school\'s server id (fleet schools --json shows it)');
      await adminFetchOk(paths, `/fleet/v1/schools/${encodeURIComponent(rest[0]!)}`, { method: 'DELETE' });
      out(`forgot school ${rest[0]}; its credential no longer checks in here`);
      return 0;
    }
    default:
      throw ServerErrors.USAGE(`unknown fleet action "${action}"; use invite, enrol, report, schools or forget`);
  }
}

/** A call without an answer body (204), errors thrown as the daemon coded them. */
async function adminFetchOk(paths: Paths, path: string, init: RequestInit): Promise<void> {
  await adminJsonOf(adminFetcher(paths))<undefined>(path, init);
}

/** `[fleet] upstream`, else `[feeds] upstream` when it is a URL: where `fleet enrol TOKEN` goes. */
async function configuredUpstream(paths: Paths): Promise<string> {
  const read = await readSettings(paths);
  if (!read.ok) throw ServerErrors.CONFIG([...read.problems]);
  const { fleet, feeds } = read.settings.core;
  const upstream = fleet.upstream ?? (feeds.upstream && feeds.upstream !== 'usb' ? feeds.upstream : undefined);
  if (!upstream) throw ServerErrors.USAGE('fleet enrol: give the upstream\'s URL before the token (neither [fleet] upstream nor [feeds] upstream names one)');
  return upstream;
}

async function enrol(paths: Paths, upstream: string, token: string, out: (line: string) => void): Promise<number> {
  let base: URL;
  try {
    base = new URL(upstream.endsWith('/') ? upstream : `${upstream}/`);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw ServerErrors.USAGE(`fleet enrol: "${upstream}" is not the http(s) URL of the upstream server`);
  }
  const serverId = await ensureServerId(paths);
  const url = new URL('fleet/v1/enrol', base).href;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token.trim(), serverId }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw FleetErrors.UPSTREAM(url, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
  }
  const body = (await response.json().catch(() => null)) as { secret?: string; name?: string; group?: string | null; error?: { code?: string; message?: string } } | null;
  if (!response.ok || typeof body?.secret !== 'string' || typeof body.name !== 'string') {
    const why = body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
    throw FleetErrors.UPSTREAM(url, why);
  }
  const file = await writeCredential(paths, { upstream: base.href, serverId, secret: body.secret, name: body.name, group: body.group ?? null, enrolledAt: new Date().toISOString() });
  out(`enrolled with ${base.href} as ${body.name}${body.group ? ` (group ${body.group})` : ''}; server id ${serverId}; credential in ${file}`);
  const pid = await readPid(paths);
  if (pid) {
    process.kill(pid, 'SIGHUP');
    out('the running daemon reloads and checks in now');
  } else out('the daemon checks in once it starts');
  return 0;
}

/** `fleet report`: one block per feed, then the silent schools. */
export function formatPropagation(p: Propagation): string[] {
  const s = p.schools;
  const lines = [
    `${s.total} school(s): ${s.current} current, ${s.behind} behind, ${s.failing} failing, ${s.silent} silent (nothing for ${duration(p.silentAfterSeconds)}), ${s.never} never checked in` +
      (p.downstream.schools ? `; behind relays: ${p.downstream.schools} more, ${p.downstream.silent} silent, ${p.downstream.failing} failing` : ''),
  ];
  if (!p.feeds.length) lines.push('', 'this server publishes no feed yet (or none was asked for since it changed)');
  for (const feed of p.feeds) {
    const lag = feed.lagSeconds;
    lines.push(
      '',
      `${feed.name}: version ${feed.latest.version}, published ${feed.latest.published.slice(0, 19).replace('T', ' ')} UTC`,
      `  held by ${feed.current} of ${feed.schools} school(s)` + (feed.relayed.schools ? `, and ${feed.relayed.current} of ${feed.relayed.schools} behind relays` : ''),
      `  lag publish -> applied: p50 ${seconds(lag.p50)}, p90 ${seconds(lag.p90)}, max ${seconds(lag.max)}`,
    );
    if (feed.behind.length) {
      lines.push(`  behind (${feed.behind.length}):`);
      lines.push(...table([['school', 'holds', 'since', 'behind since'], ...feed.behind.map((b) => [b.name, b.version === null ? '-' : `v${b.version}`, when(b.holdingSince), b.behindSince ? when(b.behindSince) : '?'])], '    '));
    }
  }
  if (p.silent.length) {
    lines.push('', `silent (${p.silent.length}):`);
    lines.push(...table([['school', 'last check-in'], ...p.silent.map((x) => [x.name, x.lastCheckin ? when(x.lastCheckin) : 'never'])], '  '));
  }
  return lines;
}

/** `fleet schools`: a table, one school a line. */
export function formatSchools(schools: readonly SchoolRow[]): string[] {
  if (!schools.length) return ['no school'];
  return table([
    ['school', 'group', 'state', 'last check-in', 'version', 'feeds'],
    ...schools.map((s) => [
      s.name,
      s.group ?? '-',
      s.state,
      s.lastCheckin ? when(s.lastCheckin) : 'never',
      s.version ?? '-',
      s.feeds.map((f) => `${f.name} ${f.version === null ? '-' : `v${f.version}`}${f.current === false ? ' (behind)' : ''}${f.lastErrorCode ? ` ${f.lastErrorCode}` : ''}`).join(', ') || '-',
    ]),
  ], '');
}

function table(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}`;
const seconds = (s: number | null) => (s === null ? '-' : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);
const duration = (s: number) => (s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`);
