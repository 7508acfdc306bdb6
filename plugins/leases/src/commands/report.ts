/** `sugar-server leases report`: what the server holds and which laptops are about to lock. */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { LeasesConfig } from '../config.js';
import type { LeaseReport } from '../report.js';

/** `sugar-server leases report`. */
export const reportCommand: PluginCommand<LeasesConfig> = {
  summary: 'show lease counts, expired and soon-expiring leases, and registered laptops without one',
  usage: `sugar-server leases report [--days N] [--json]

Lists expired serials (they lock at their next boot) and those expiring within
N days (default [leases] expiry_warning), soonest first.
  --days N   look N days ahead
  --json     print the report as JSON`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { days: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    if (values.days !== undefined && !/^\d{1,4}$/.test(values.days)) throw ServerErrors.USAGE(`--days takes whole days, not "${values.days}"`);
    const query = values.days === undefined ? '' : `?days=${values.days}`;
    const report = await ctx.adminJson<LeaseReport>(`/leases/v1/report${query}`);
    ctx.out(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  },
};

/** The report for people: expired first, then expiring, each soonest first, then laptops without a lease. */
export function formatReport(report: LeaseReport): string {
  const { counts } = report;
  const lines = [
    `${counts.serials} serial(s) with leases, ${counts.leases} lease(s), ${counts.stolen} stolen ` +
      `(${counts.stolenBySource.local} marked here, ${counts.stolenBySource.upstream} from upstream); ` +
      `signatures ${report.verification === 'on' ? 'checked on import' : 'NOT checked (no public_key)'}`,
    '',
  ];
  if (report.expired.length) {
    lines.push(`EXPIRED (${report.expired.length}): these laptops lock at their next boot`);
    for (const e of report.expired) lines.push(`  ${e.serial}  expired ${day(e.expires)}  (${ago(e.daysAgo)})`);
  } else {
    lines.push('expired: none');
  }
  lines.push('');
  if (report.expiringSoon.length) {
    lines.push(`EXPIRING within ${report.warningDays} days (${report.expiringSoon.length}), soonest first`);
    for (const e of report.expiringSoon) lines.push(`  ${e.serial}  expires ${day(e.expires)}  (${inDays(e.daysLeft)})`);
  } else {
    lines.push(`expiring within ${report.warningDays} days: none`);
  }
  lines.push('');
  if (!report.registered) {
    lines.push(`registered laptops without a lease: unknown (${report.registryNote ?? 'registry not running'})`);
  } else if (report.registered.withoutLease.length) {
    lines.push(`registered laptops without a lease (${report.registered.withoutLease.length} of ${report.registered.count})`);
    for (const l of report.registered.withoutLease) lines.push(`  ${l.serial}  ${l.nick}`);
  } else {
    lines.push(`registered laptops without a lease: none (of ${report.registered.count})`);
  }
  return lines.join('\n');
}

/** `2026-06-30 23:59 UTC`: to the minute, since a lease may end mid-day. */
function day(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function inDays(days: number): string {
  return days === 0 ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`;
}

function ago(days: number): string {
  return days === 0 ? 'today' : `${days} day${days === 1 ? '' : 's'} ago`;
}
