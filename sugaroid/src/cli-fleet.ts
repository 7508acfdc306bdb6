/**
 * `sugaroid fleet-swarm`: many simulated school servers enrolling with one
 * upstream (a Mothership or a district relay) and checking in. Registered in
 * cli.ts's command table.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { publishedFeeds } from './clients/fleet.js';
import type { CliIo } from './cli.js';
import { SugaroidErrors } from './errors.js';
import { checkInMany, describeCheckins, enrolSchools } from './fleet-swarm.js';
import { describeSwarm } from './swarm.js';

const EXIT_FAILURE = 1;

function wholeNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9]\d{0,6}$/.test(value)) throw SugaroidErrors.USAGE(`${flag} takes a whole number from 1 to 9999999, not "${value}"`);
  return Number(value);
}

export const fleetSwarmCommand = {
  summary: 'enrol N simulated school servers with an upstream and check them in',
  usage: `Usage: sugaroid fleet-swarm --schools N --server URL (--admin-token TOKEN | --invites FILE)
                          [--rounds R] [--rate R] [--concurrency C] [--timeout MS] [--json]

Behaves like N school servers of a deployment: each enrols with the upstream
(a Mothership or district relay) with its own fresh server id, then checks in
R times with a realistic report that varies by school: most hold the latest
version of each feed the upstream publishes, some are one or two behind, a few
have a refused update or a failed plugin. Prints the enrolment and the check-in
latencies; exits 1 when any request failed.
  --schools N          how many schools
  --server URL         the upstream, e.g. http://mothership:5080
  --admin-token TOKEN  the upstream's admin token, to make one invite per school
  --invites FILE       or: one enrolment token per line (sugar-server fleet invite)
  --rounds R           check-ins per school (default 1)
  --rate R             start R check-ins a second whatever the answers (default: back to back)
  --concurrency C      at most C requests in flight (default 32)
  --timeout MS         give up on one request after MS milliseconds (default 10000)
  --json               print the figures as JSON`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        schools: { type: 'string' },
        server: { type: 'string' },
        'admin-token': { type: 'string' },
        invites: { type: 'string' },
        rounds: { type: 'string' },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (!values.server || !values.schools) throw SugaroidErrors.USAGE('fleet-swarm needs --schools N and --server URL');
    const count = wholeNumber(values.schools, '--schools', 0);
    const rounds = wholeNumber(values.rounds, '--rounds', 1);
    const concurrency = wholeNumber(values.concurrency, '--concurrency', 32);
    const timeoutMs = wholeNumber(values.timeout, '--timeout', 10_000);
    const rate = values.rate === undefined ? undefined : wholeNumber(values.rate, '--rate', 0);
    if (!values['admin-token'] === !values.invites) throw SugaroidErrors.USAGE('fleet-swarm needs one of --admin-token TOKEN or --invites FILE');
    let invites: string[] | undefined;
    if (values.invites) {
      invites = (await readFile(values.invites, 'utf8')).split('\n').map((line) => line.trim()).filter(Boolean);
      if (invites.length < count) throw SugaroidErrors.USAGE(`--invites ${values.invites} holds ${invites.length} tokens, fewer than the ${count} schools`);
    }

    const enrolled = await enrolSchools({ server: values.server, count, concurrency, timeoutMs, ...(invites ? { invites } : { adminToken: values['admin-token']! }) });
    const schools = enrolled.results.filter((s) => s !== undefined);
    const feeds = await publishedFeeds(values.server, { timeoutMs });
    const run = await checkInMany({ server: values.server, schools, feeds, total: schools.length * rounds, concurrency, timeoutMs, ...(rate ? { rate } : {}) });
    if (values.json) {
      const { results: _results, ...enrolment } = enrolled;
      io.out(JSON.stringify({ enrolment, feeds, checkins: run }, null, 2));
    } else {
      io.out(`${count} schools enrolling with ${values.server}, ${concurrency} at a time`);
      io.out(describeSwarm(enrolled));
      io.out(`feeds published there: ${feeds.map((f) => `${f.name} v${f.version}`).join(', ') || 'none'}`);
      io.out(`${schools.length * rounds} check-ins${rate ? ` at ${rate}/s` : ''}`);
      io.out(describeCheckins(run));
    }
    return enrolled.errors === 0 && run.errors === 0 ? 0 : EXIT_FAILURE;
  },
};
