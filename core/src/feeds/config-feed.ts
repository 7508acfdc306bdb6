/**
 * The configuration feed: the Mothership's drop-in for a school, so a school
 * server needs no hands-on setup. The publisher serves the `*.conf` files of
 * `[feeds] config_dir` as the feed `config` (`default.conf`, and one per group
 * such as `district-7.conf`); a school takes `<group>.conf` when present, else
 * `default.conf`, and writes it as `conf.d/40-upstream.conf`.
 *
 * A candidate goes through the same check as SIGHUP before it is written; one
 * that fails is refused as a whole (the last good stays, `file:line` problems
 * in /status). The school's own higher-numbered drop-ins still win, key by key.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseIni, where, type IniDocument } from '../config/ini.js';
import { ServerErrors } from '../errors.js';
import type { Logger } from '../log.js';
import { readTextIfExists, syncDir, writeFileAtomically } from '../storage/durable.js';
import { isFeedName } from './manifest.js';
import type { FeedSnapshot, PublishedFile } from './types.js';

export const CONFIG_FEED = 'config';
export const UPSTREAM_DROP_IN = '40-upstream.conf';
const DEFAULT_DROP_IN = 'default.conf';
/** Where a school's trust and upstream come from stays the school's own choice. */
const LOCAL_ONLY: Readonly<Record<string, readonly string[]>> = { feeds: ['trusted_keys', 'upstream', 'group'] };

export interface UpstreamConfigDeps {
  /** The school's `conf.d/`. */
  readonly dropInDir: string;
  readonly group: string | null;
  /** The problems (`file:line: …`) of the whole configuration with `text` as the upstream drop-in. */
  check(text: string | null, label: string): Promise<readonly string[]>;
  /** Apply the files on disk, as SIGHUP does; false when refused. */
  reload(): Promise<boolean>;
  readonly log: Logger;
}

/** The `apply` of the school's `config` mirror. */
export function upstreamConfigApplier(deps: UpstreamConfigDeps): (snapshot: FeedSnapshot) => Promise<void> {
  return async (snapshot) => {
    const paths = new Set(snapshot.manifest.files.map((f) => f.path));
    const chosen = deps.group && paths.has(`${deps.group}.conf`) ? `${deps.group}.conf` : paths.has(DEFAULT_DROP_IN) ? DEFAULT_DROP_IN : null;
    const text = chosen ? await readFile(snapshot.file(chosen), 'utf8') : null;
    const label = `config feed ${chosen ?? '(no drop-in for this school)'}`;
    const target = join(deps.dropInDir, UPSTREAM_DROP_IN);
    const before = await readTextIfExists(target);
    if (text === before) return;

    const problems = [...(text === null ? [] : localOnlyProblems(text, label)), ...(await deps.check(text, label))];
    if (problems.length) throw ServerErrors.CONFIG(problems);
    await writeDropIn(target, text);
    deps.log.info({ dropIn: target, from: chosen, group: deps.group }, text === null ? 'upstream drop-in withdrawn' : 'upstream drop-in written');
    if (!(await deps.reload())) {
      // Something else on disk changed meanwhile and was refused; put the last good back.
      await writeDropIn(target, before);
      throw ServerErrors.CONFIG([`${label}: written, but the reload was refused; the previous ${UPSTREAM_DROP_IN} is back`]);
    }
  };
}

/** The `*.conf` files of the publisher's `config_dir`, as the `config` feed. */
export async function configFeedFiles(dir: string): Promise<PublishedFile[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names
    .filter((name) => name.endsWith('.conf') && isFeedName(name))
    .sort()
    .map((name) => ({ path: name, file: join(dir, name) }));
}

function localOnlyProblems(text: string, label: string): string[] {
  const doc: IniDocument = new Map();
  parseIni(text, label, doc);
  const problems: string[] = [];
  for (const [section, keys] of Object.entries(LOCAL_ONLY)) {
    for (const key of keys) {
      const entry = doc.get(section)?.entries.get(key);
      if (entry) problems.push(`${where(entry)}: [${section}] ${key}: is the school's own choice; the upstream drop-in may not set it`);
    }
  }
  return problems;
}

async function writeDropIn(target: string, text: string | null): Promise<void> {
  if (text !== null) return writeFileAtomically(target, [text], 0o644);
  await rm(target, { force: true });
  await syncDir(join(target, '..'));
}
