/**
 * `sugar-server store`: look into the plugins' stores, and the recovery step
 * a damaged journal's error message names.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readPid } from './control.js';
import { ServerErrors } from './errors.js';
import type { Paths } from './paths.js';
import { inspectStore, listStores, truncateJournal } from './storage/inspect.js';

export const STORE_HELP = `Usage: sugar-server store check [SERVICE]
       sugar-server store dump SERVICE
       sugar-server store truncate JOURNAL --at OFFSET

check     rebuild each store (or one) from its snapshot and journals without
          changing anything; prints the document version, records and sizes,
          exits 1 if one is damaged
dump      print a store's document as JSON (its version on stderr)
truncate  keep the records before OFFSET in a damaged journal (what a start-up
          error about it names); the journal and any later ones are kept aside
          as *.damaged-<time>. Only while the daemon is stopped.`;

export async function storeCommand(paths: Paths, args: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { at: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  const [action, target, ...extra] = positionals;
  if (values.help || !action) {
    out(STORE_HELP);
    return action || values.help ? 0 : 2;
  }
  if (extra.length) throw ServerErrors.USAGE(`unexpected argument "${extra[0]}"`);
  const storesDir = join(paths.data, 'stores');
  switch (action) {
    case 'check': {
      let damaged = 0;
      for (const name of target ? [target] : await listStores(storesDir)) {
        try {
          const report = await inspectStore(storesDir, name);
          out(`${name}: ok, document version ${report.document}, snapshot ${report.snapshotBytes} bytes + ${report.records} journal records (journals ${report.journals.join(', ') || 'none'})${report.tornBytes ? `, a torn last record of ${report.tornBytes} bytes (cut off at the next start)` : ''}`);
        } catch (error) {
          damaged++;
          out(`${name}: ${(error as Error).message}`);
        }
      }
      return damaged ? 1 : 0;
    }
    case 'dump': {
      if (!target) throw ServerErrors.USAGE('store dump needs a service name');
      const report = await inspectStore(storesDir, target);
      // stdout stays the document alone, for jq and for restoring it.
      err(`${target}: document version ${report.document}`);
      out(JSON.stringify(report.data, null, 2));
      return 0;
    }
    case 'truncate': {
      if (!target || values.at === undefined) throw ServerErrors.USAGE('store truncate needs a journal file and --at OFFSET');
      const pid = await readPid(paths);
      if (pid) throw ServerErrors.USAGE(`a daemon is running (pid ${pid}); stop it first`);
      for (const file of await truncateJournal(target, Number(values.at))) out(`kept aside ${file}`);
      out(`${target} now ends at byte ${values.at}; run \`sugar-server store check\`, then start the daemon`);
      return 0;
    }
    default:
      throw ServerErrors.USAGE(`unknown store action "${action}"; use check, dump or truncate`);
  }
}
