/** Builds the .deb (and the offline bundle) the way a release does: `scripts/package.ts` over the built tree. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './paths.js';
import { runCommand } from './run.js';

export interface PackageBuild {
  readonly deb: string;
  readonly bundle?: string;
}

export async function buildPackage(options: { offline?: boolean; version?: string; signKey?: string; out?: string } = {}): Promise<PackageBuild> {
  const out = options.out ?? (await mkdtemp(join(tmpdir(), 'sugar-server-test-package-')));
  const args = ['--import', 'tsx', join(REPO, 'scripts/package.ts'), '--out', out];
  if (options.offline) args.push('--offline');
  if (options.version) args.push('--version', options.version);
  if (options.signKey) args.push('--sign-key', options.signKey);
  const run = await runCommand(process.execPath, args, { timeoutMs: 600_000 });
  if (run.code !== 0) throw new Error(`scripts/package.ts failed (${run.code}):\n${run.stderr}`);
  const [deb, bundle] = run.stdout.trim().split('\n');
  return bundle ? { deb: deb!, bundle } : { deb: deb! };
}
