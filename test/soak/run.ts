/**
 * `npm run soak [-- --laptops N] [--seed S] [--logs FILE] [--cpu-prof DIR]`: a school day
 * in minutes against the built daemon (`--cpu-prof`: the school daemon's CPU profile). Prints progress, then one line of figures; exits 1 naming
 * each check that failed. `SOAK_LAPTOPS` sets the count too (CI's short day).
 */
import { parseArgs } from 'node:util';
import { runSoak } from './school-day.js';

const { values } = parseArgs({
  options: { laptops: { type: 'string' }, seed: { type: 'string' }, logs: { type: 'string' }, 'cpu-prof': { type: 'string' }, quiet: { type: 'boolean' } },
  strict: true,
  allowPositionals: false,
});
const laptops = Number(values.laptops ?? process.env.SOAK_LAPTOPS ?? 2000);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(laptops) || !Number.isInteger(seed)) {
  console.error('usage: npm run soak -- [--laptops N] [--seed S] [--logs FILE] [--cpu-prof DIR] [--quiet]');
  process.exit(2);
}
console.error(`soak: seed ${seed} (run again with --seed ${seed})`);
const report = await runSoak({ laptops, seed, ...(values.logs ? { logFile: values.logs } : {}), ...(values['cpu-prof'] ? { cpuProfileDir: values['cpu-prof'] } : {}), ...(values.quiet ? {} : { progress: (line) => console.error(line) }) });
console.log(report.line);
for (const failure of report.failures) console.error(`soak FAILED ${failure}`);
for (const kind of report.unexpected) console.error(`  ${kind}`);
if (!values.quiet) for (const note of report.notes) console.error(`  ${note}`);
if (!values.quiet) console.error(`  answers: ${Object.entries(report.answers).map(([what, n]) => `${what} ${n}`).join(', ')}`);
process.exit(report.failures.length ? 1 : 0);
