/**
 * `npm run fuzz -- [--cases N] [--seed S] [FILTER...]`: every property suite
 * (`*.fuzz.test.ts`) with N cases per property (default 10,000, as CI runs) from seed S
 * (default: a new random one, printed first). A failing property prints its
 * seed, path and counterexample; `--seed S` with the same N runs the same cases
 * again. FILTER narrows the suites by path, as vitest's own filters do.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

function usage(message: string): never {
  console.error(`${message}\nusage: npm run fuzz -- [--cases N] [--seed S] [FILTER...]`);
  process.exit(64);
}

const args = process.argv.slice(2);
let cases = 10_000;
let seed = randomInt(0, 2 ** 31 - 1);
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
  const value = () => inline ?? args[++i] ?? usage(`${name} needs a value`);
  if (name === '--cases') cases = Number(value());
  else if (name === '--seed') seed = Number(value());
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else filters.push(arg);
}
if (!Number.isSafeInteger(cases) || cases < 1) usage('--cases must be a whole number above 0');
if (!Number.isSafeInteger(seed)) usage('--seed must be a whole number');

console.log(`fuzz: ${cases} cases per property, seed ${seed} (replay: npm run fuzz -- --cases ${cases} --seed ${seed})`);
const run = spawnSync('npx', ['vitest', 'run', '--project', 'unit', ...(filters.length ? filters : ['.fuzz.test.ts'])], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_CASES: String(cases), FUZZ_SEED: String(seed) },
});
console.log(`fuzz: seed ${seed}, ${cases} cases per property: ${run.status === 0 ? 'no property failed' : 'a property failed (its counterexample is above)'}`);
process.exit(run.status ?? 1);
