/** `sugar-server maintenance on [--retry-after 10m] [--reason TEXT] | off | status`. */
import { parseArgs } from 'node:util';
import { adminFetcher, adminJsonOf } from './commands.js';
import { option } from './config/options.js';
import { readRunningUrl } from './control.js';
import { ServerErrors } from './errors.js';
import { DEFAULT_RETRY_AFTER_SECONDS, Maintenance, type MaintenanceState } from './maintenance.js';
import { maintenanceFile, type Paths } from './paths.js';

export const MAINTENANCE_HELP = `Usage: sugar-server maintenance on [--retry-after 10m] [--reason TEXT]
       sugar-server maintenance off
       sugar-server maintenance status

on      laptop-facing HTTP (registration, activities, the backup availability
        check, the block page, published feeds, check-ins) answers 503 with
        Retry-After, so clients back off; activation on port 191, /status,
        /metrics and admin requests keep answering. Kept across restarts.
off     back to normal
status  whether it is on, since when and why`;

export async function maintenanceCommand(paths: Paths, args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'retry-after': { type: 'string' }, reason: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, extra] = positionals;
  if (values.help || !action) {
    out(MAINTENANCE_HELP);
    return action || values.help ? 0 : 2;
  }
  if (extra !== undefined) throw ServerErrors.USAGE(`unexpected argument "${extra}"`);
  if (action !== 'on' && (values['retry-after'] !== undefined || values.reason !== undefined)) {
    throw ServerErrors.USAGE('--retry-after and --reason go with `maintenance on`');
  }
  const running = (await readRunningUrl(paths)) !== null;
  const call = adminJsonOf(adminFetcher(paths));
  let state: MaintenanceState;
  switch (action) {
    case 'status':
      state = running ? await call<MaintenanceState>('/core/v1/maintenance') : (await Maintenance.load(maintenanceFile(paths))).state();
      break;
    case 'on':
    case 'off': {
      const change = { on: action === 'on', reason: values.reason ?? null, retryAfterSeconds: retryAfter(values['retry-after']) };
      state = running
        ? await call<MaintenanceState>('/core/v1/maintenance', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change) })
        : await (await Maintenance.load(maintenanceFile(paths))).set(change);
      break;
    }
    default:
      throw ServerErrors.USAGE(`unknown maintenance action "${action}"; use on, off or status`);
  }
  out(state.on
    ? `maintenance: on since ${state.since}${state.reason ? ` (${state.reason})` : ''}; clients are told to come back in ${state.retryAfterSeconds} s`
    : 'maintenance: off');
  if (!running && action !== 'status') out('no daemon is running: this applies when it starts');
  return 0;
}

function retryAfter(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RETRY_AFTER_SECONDS;
  const parsed = option.duration(undefined, { max: 7 * 86_400_000 }).safeParse(raw);
  if (!parsed.success) throw ServerErrors.USAGE(`--retry-after: ${parsed.error.issues[0]?.message ?? 'not a duration'}`);
  return Math.max(1, Math.round(parsed.data / 1000));
}
