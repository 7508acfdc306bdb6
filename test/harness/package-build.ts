/** Builds the .deb (and the offline bundle) the way a release does: `scripts/package.ts` over the built tree. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
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

/** The release before this one, numbered below it, built from the same tree. */
export const PREVIOUS_VERSION = '0.0.9';

export interface ReleaseBuild extends Required<PackageBuild> {
  /** The `.pub` line of the feed key that signed the bundle's SHA256SUMS. */
  readonly signKeyPub: string;
}

/**
 * A release as the package suites need it: the offline bundle (which carries
 * the .deb), its SHA256SUMS signed by one feed key made for this test run.
 * Built once per test run and shared by every suite that asks (each build
 * takes a minute or more): the first suite to ask builds it under a lock in
 * the run's temporary folder, the others wait for it.
 */
export async function releaseBuild(which: 'previous' | 'current'): Promise<ReleaseBuild> {
  const cache = join(tmpdir(), 'package-builds');
  await mkdir(cache, { recursive: true });
  await once(join(cache, 'feed-key'), async (into) => {
    const made = await runCommand(process.execPath, [join(REPO, 'core/dist/main.js'), 'feeds', 'keygen', join(into, 'feed.key'), '--comment', 'deployment']);
    if (made.code !== 0) throw new Error(`feeds keygen failed (${made.code}):\n${made.stderr}`);
  });
  const folder = await once(join(cache, which), async (into) => {
    const built = await buildPackage({ offline: true, signKey: join(cache, 'feed-key', 'feed.key'), out: into, ...(which === 'previous' ? { version: PREVIOUS_VERSION } : {}) });
    await writeFile(join(into, BUILT), JSON.stringify({ deb: relative(into, built.deb), bundle: relative(into, built.bundle!) }));
  });
  const built = JSON.parse(await readFile(join(folder, BUILT), 'utf8')) as { deb: string; bundle: string };
  return { deb: join(folder, built.deb), bundle: join(folder, built.bundle), signKeyPub: await readFile(join(cache, 'feed-key', 'feed.key.pub'), 'utf8') };
}

/**
 * `make(into)` run once across the test run's workers: whoever takes the lock
 * makes `folder` (in a partial folder renamed into place), the rest wait for
 * it; a failure is written down so that the waiters fail with it too.
 */
async function once(folder: string, make: (into: string) => Promise<void>): Promise<string> {
  const lock = `${folder}.lock`;
  const failed = `${folder}.failed`;
  let mine = false;
  try {
    await mkdir(lock);
    mine = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (mine) {
    const partial = `${folder}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial);
    try {
      await make(partial);
      await rename(partial, folder);
    } catch (err) {
      await writeFile(failed, (err as Error).message);
      throw err;
    }
    return folder;
  }
  const deadline = Date.now() + WAIT_FOR_BUILD_MS;
  for (;;) {
    if (existsSync(folder)) return folder;
    if (existsSync(failed)) throw new Error(`another suite's build of ${folder} failed:\n${await readFile(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`${folder} was not built within ${WAIT_FOR_BUILD_MS / 60_000} minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Where a shared build names its .deb and bundle, relative to its folder. */
const BUILT = 'build.json';
/** As long as buildPackage itself may take. */
const WAIT_FOR_BUILD_MS = 600_000;
