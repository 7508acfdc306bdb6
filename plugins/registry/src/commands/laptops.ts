/** `sugar-server registry export|import --csv`: the laptop list as CSV, through the running daemon's admin API. */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerErrors, SugarError, type CommandContext, type PluginCommand } from 'sugar-server';
import type { ImportReport } from '../laptop-import.js';

const LAPTOPS_CSV = '/registry/v1/laptops.csv';

/** `sugar-server registry export`. */
export const exportCommand: PluginCommand = {
  summary: 'write every registered laptop as CSV (serial, uuid, nick, key, class group)',
  usage: `sugar-server registry export --csv [--output FILE]

Writes a header row, then one laptop a row, ordered by serial, to FILE or to
standard output. The file can be edited (class groups, say) and imported back.
  --csv            the format (CSV is the only one)
  --output FILE    write to FILE instead of standard output`,
  async run(args, ctx) {
    const { values } = parseArgs({ args: [...args], options: { csv: { type: 'boolean' }, output: { type: 'string', short: 'o' } }, strict: true });
    if (!values.csv) throw ServerErrors.USAGE('say which format: --csv');
    const csv = await daemonText(ctx, LAPTOPS_CSV);
    if (values.output) await writeFile(resolve(values.output), csv);
    else process.stdout.write(csv);
  },
};

/** `sugar-server registry import`. */
export const importCommand: PluginCommand = {
  summary: 'add or update laptops from a CSV list, all or nothing; --dry-run only checks',
  usage: `sugar-server registry import --csv FILE [--dry-run] [--json]

FILE has a header row naming the columns serial, uuid, nick, key and class group
(any order), then one laptop a row, as "export --csv" writes it. Each row is
checked as a registration would be. If any row is wrong, nothing is written and
every wrong row is listed by its line; exits 1 then.
  --csv FILE   the list to import
  --dry-run    check every row and report, writing nothing
  --json       print the daemon's report as JSON`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args: [...args],
      options: { csv: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
      strict: true,
    });
    if (!values.csv) throw ServerErrors.USAGE('name the list to import: --csv FILE');
    const path = resolve(values.csv);
    const csv = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw ServerErrors.USAGE(`cannot read ${path}: ${err.code ?? err.message}`);
    });
    const report = await ctx.adminJson<ImportReport>(`${LAPTOPS_CSV}${values['dry-run'] ? '?dryRun=1' : ''}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv; charset=utf-8' },
      body: csv,
    });
    if (values.json) ctx.out(JSON.stringify(report, null, 2));
    else for (const line of describeImport(report, values.csv)) ctx.out(line);
    return report.problems.length ? 1 : 0;
  },
};

/** The import report for people, one line each. */
export function describeImport(report: ImportReport, file: string): string[] {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const counts = `${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged`;
  const lines = [
    report.applied ? `imported ${plural(report.rows, 'row')}: ${counts}`
      : report.dryRun ? `checked ${plural(report.rows, 'row')}, nothing written (dry run): the good rows would give ${counts}`
        : `nothing imported: ${plural(report.problems.length, 'row')} of ${report.rows} refused`,
  ];
  for (const problem of report.problems) lines.push(`${file}:${problem.line}: ${problem.serial ?? '-'}: ${problem.code}: ${problem.message}`);
  return lines;
}

/** A text answer of the daemon, or its JSON error as a SugarError. */
async function daemonText(ctx: CommandContext, path: string): Promise<string> {
  const response = await ctx.adminFetch(path);
  const text = await response.text();
  if (response.ok) return text;
  let error: { code?: string; message?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    // Not the daemon's JSON error; the status says enough.
  }
  throw new SugarError(error.code ?? 'SERVER_ERR_HTTP', error.message ?? `the daemon answered ${response.status} to GET ${path}`, { status: response.status });
}
