/** For the unit tests: compile small lists written on the spot into a real index file. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlacklistIndex } from '../index/blacklist-index.js';
import { compileLists, type CompileOutcome } from './compile.js';
import { policyOf } from '../policy/policy.js';
import type { TimeWindow } from '../policy/time-windows.js';

export interface FixtureCategory {
  readonly domains?: readonly string[];
  readonly urls?: readonly string[];
  readonly expressions?: readonly string[];
  readonly usage?: string;
}

export interface Fixture {
  readonly categories: Readonly<Record<string, FixtureCategory>>;
  readonly allow?: readonly string[];
  readonly block?: readonly string[];
  /** Which categories block (default: all of `categories`, in order). */
  readonly policy?: readonly string[];
  readonly deny?: readonly string[];
  readonly times?: ReadonlyMap<string, readonly TimeWindow[]>;
}

export interface Compiled {
  readonly index: BlacklistIndex;
  readonly outcome: CompileOutcome;
  readonly dir: string;
  readonly root: string;
  readonly allowFile: string;
  readonly blockFile: string;
  cleanup(): Promise<void>;
}

/** Write `fixture` as a UT1-style folder and compile it. */
export async function compileFixture(fixture: Fixture): Promise<Compiled> {
  const dir = await mkdtemp(join(tmpdir(), 'blacklists-unit-'));
  const root = join(dir, 'blacklists');
  for (const [name, lists] of Object.entries(fixture.categories)) {
    await mkdir(join(root, name), { recursive: true });
    for (const kind of ['domains', 'urls', 'expressions'] as const) {
      if (lists[kind]) await writeFile(join(root, name, kind), `${lists[kind]!.join('\n')}\n`);
    }
    if (lists.usage) await writeFile(join(root, name, 'usage'), lists.usage);
  }
  const allowFile = join(dir, 'blacklists-allow.txt');
  const blockFile = join(dir, 'blacklists-block.txt');
  if (fixture.allow) await writeFile(allowFile, `${fixture.allow.join('\n')}\n`);
  if (fixture.block) await writeFile(blockFile, `${fixture.block.join('\n')}\n`);
  const policy = policyOf({ categories: fixture.policy ?? Object.keys(fixture.categories), deny: fixture.deny ?? [], times: fixture.times ?? new Map() });
  const output = join(dir, 'index.idx');
  const hasSource = Object.keys(fixture.categories).length > 0;
  const outcome = await compileLists(
    {
      sourceRoot: hasSource ? root : null,
      source: hasSource ? { kind: 'folder', path: root, description: root, archive: null } : null,
      policy,
      allowFile,
      blockFile,
      output,
      fingerprint: 'test',
    },
    () => {},
  );
  const index = await BlacklistIndex.load(output);
  return { index, outcome, dir, root, allowFile, blockFile, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every category blocking. */
export const ALL_ACTIVE = new Uint8Array(256).fill(1);
