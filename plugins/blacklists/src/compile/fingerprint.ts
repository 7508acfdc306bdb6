/**
 * What an index was compiled from, as one digest: the source folder and the
 * size and time of every list file read, the school's two lists, and the
 * policy. At start and on recompile requests, an index whose fingerprint
 * matches is kept as it is.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { CategoryRule } from '../policy/policy.js';
import { readCategories } from './sources.js';

/** Bumped when the compiler would write something different from the same inputs. */
const COMPILER_REVISION = 1;

async function stamp(file: string | null): Promise<string | null> {
  if (!file) return null;
  const info = await stat(file).catch(() => null);
  return info ? `${info.size}:${info.mtimeMs}` : null;
}

/** The fingerprint of compiling `root` (or no source) with `policy` and the school's lists. */
export async function fingerprintOf(root: string | null, policy: readonly CategoryRule[], allowFile: string, blockFile: string): Promise<string> {
  const lists: Record<string, (string | null)[]> = {};
  if (root) {
    const categories = await readCategories(root).catch(() => new Map());
    for (const rule of policy) {
      const files = categories.get(rule.name);
      lists[rule.name] = files ? await Promise.all([files.domains, files.urls, files.expressions].map(stamp)) : [];
    }
  }
  const description = {
    revision: COMPILER_REVISION,
    root,
    lists,
    policy,
    allow: await stamp(allowFile),
    block: await stamp(blockFile),
  };
  return createHash('sha256').update(JSON.stringify(description)).digest('hex');
}
