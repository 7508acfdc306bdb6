/** `sugar-server leases import FILE|DIR`: send a bundle, or a checked xs-activation folder, to the running daemon. */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import { readActivationFolder } from '../activation-folder.js';
import type { LeasesConfig } from '../config.js';
import type { ImportReport } from '../import-bundle.js';
import { onePositional } from './daemon-call.js';

/** `sugar-server leases import`. */
export const importCommand: PluginCommand<LeasesConfig> = {
  summary: 'import a lease bundle or an xs-activation folder into the running daemon',
  usage: `sugar-server leases import FILE|DIR [--json]

FILE is a lease.sig/leases.sig bundle (lease lines or [1,{...}] JSON). DIR is
an xs-activation folder (or a USB disk holding one) with leases.sig and
manifest.sha1; every file the manifest lists must match its sha1, or nothing is
imported. Serials in the bundle replace what the server held for them. Exits 1
when any lease was refused.
  --json   print the daemon's import report as JSON`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    const path = resolve(onePositional(positionals, 'one FILE or DIR to import'));
    const info = await stat(path).catch(() => {
      throw ServerErrors.USAGE(`${path} does not exist`);
    });
    const bundle = info.isDirectory() ? (await readActivationFolder(path)).bundle : await readFile(path);
    const report = await ctx.adminJson<ImportReport>('/leases/v1/bundles', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bundle,
    });
    if (values.json) ctx.out(JSON.stringify(report, null, 2));
    else for (const line of describeImport(report)) ctx.out(line);
    return report.refused.length ? 1 : 0;
  },
};

/** The import report for people, one line each. */
export function describeImport(report: ImportReport): string[] {
  const lines = [`imported ${report.leases} lease${report.leases === 1 ? '' : 's'} for ${report.serials} serial${report.serials === 1 ? '' : 's'} (${report.form === 'json' ? 'JSON bundle' : 'lease lines'})`];
  lines.push(report.verification === 'on'
    ? `signatures checked: ${report.checked.full} serial(s) against the registered UUID, ${report.checked.key} by key only (UUID not registered)`
    : 'signatures NOT checked: [leases] public_key is not set');
  if (report.refused.length) {
    lines.push(`refused ${report.refused.length}:`);
    for (const problem of report.refused) lines.push(`  ${problem.serial ?? '?'}: ${problem.code}: ${problem.reason}`);
  }
  return lines;
}
