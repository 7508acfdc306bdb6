/**
 * Compiling: read the chosen categories of a source and the school's own
 * lists, hash every entry, and write one index file. This runs inside the
 * compile worker (see compiler.ts), so it may block; it never touches the
 * live index, only the file it is told to write.
 */
import { closeSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { hashHost, hashHostBytes, type HostHash } from '../index/domain-hash.js';
import { BlacklistsErrors } from '../errors.js';
import { translateExpression } from './expressions.js';
import { GarbageCollector } from './garbage.js';
import { IndexBuilder, type BuiltCounts } from '../index/index-builder.js';
import { encodeIndex } from '../index/index-format.js';
import type { CategoryMeta, ExpressionMeta, IndexMeta, SourceInfo, UnusedCategory } from '../index/index-meta.js';
import { forEachLine, MAX_LINE_BYTES } from './line-reader.js';
import { DomainLineReader, LINE_ASCII, LINE_BAD, LINE_TEXT, readUrlLine } from './list-lines.js';
import { ALLOW_ID, LOCAL_ID, type CategoryRule } from '../policy/policy.js';
import { readCategories, readUsage, type CategoryFiles } from './sources.js';

/** Everything a compile needs; plain data, so it can cross into a worker. */
export interface CompileJob {
  /** The folder holding the categories, or null to compile the school's own lists only. */
  readonly sourceRoot: string | null;
  readonly source: SourceInfo | null;
  readonly policy: readonly CategoryRule[];
  /** The school's allow list and block list (missing files are empty lists). */
  readonly allowFile: string;
  readonly blockFile: string;
  /** Where to write the index (a temporary name; the caller moves it into place). */
  readonly output: string;
  readonly fingerprint: string;
}

/** Where a compile is. */
export interface CompileProgress {
  readonly phase: 'reading' | 'sorting' | 'writing';
  readonly category: string | null;
  readonly bytesRead: number;
  readonly bytesTotal: number;
  /** Entries hashed so far. */
  readonly entries: number;
}

/** What a finished compile wrote. */
export interface CompileOutcome {
  readonly file: string;
  readonly bytes: number;
  readonly meta: IndexMeta;
}

const ALLOW_NAME = 'allow';

/** Compile `job` into `job.output`. */
export async function compileLists(job: CompileJob, onProgress: (progress: CompileProgress) => void): Promise<CompileOutcome> {
  const started = Date.now();
  const available = job.sourceRoot ? await readCategories(job.sourceRoot) : new Map<string, CategoryFiles>();
  if (job.sourceRoot && available.size === 0) throw BlacklistsErrors.BAD_SOURCE(job.sourceRoot, 'holds no category folders with domains, urls or expressions');

  const chosen = job.policy.filter((rule) => rule.id !== LOCAL_ID).map((rule) => ({ rule, files: available.get(rule.name) ?? null }));
  const localFiles = [job.allowFile, job.blockFile].filter(exists);
  const listFiles = chosen.flatMap(({ files }) => (files ? [files.domains, files.urls, files.expressions] : [])).filter((f): f is string => f !== null);
  const bytesTotal = [...localFiles, ...listFiles].reduce((sum, file) => sum + statSync(file).size, 0);

  const builder = new IndexBuilder();
  const garbage = new GarbageCollector();
  const expressions: ExpressionMeta[] = [];
  const reader = new DomainLineReader();
  const hash: HostHash = { hi: 0, lo: 0 };
  let bytesDone = 0;
  let entries = 0;
  let category: string | null = null;
  let lastReport = 0;
  const progress = (phase: CompileProgress['phase'], bytesRead: number, force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < 200) return;
    lastReport = now;
    onProgress({ phase, category, bytesRead, bytesTotal, entries });
  };

  const addDomainLine = (bytes: Buffer, start: number, end: number, line: number, id: number, file: string): void => {
    const kind = reader.read(bytes, start, end);
    let labels = 1;
    if (kind === LINE_ASCII) {
      hashHostBytes(bytes, reader.start, reader.end, hash);
      for (let i = reader.start; i < reader.end; i++) if (bytes[i] === 46) labels++;
    } else if (kind === LINE_TEXT) {
      hashHost(reader.host, hash);
      labels = reader.host.startsWith('[') ? 1 : reader.host.split('.').length;
    } else {
      if (kind === LINE_BAD) garbage.add(file, line, BlacklistsErrors.BAD_LINE.code, reader.reason, bytes.toString('latin1', start, end));
      return;
    }
    builder.addDomain(hash.hi, hash.lo, id, labels);
    entries++;
  };
  const addUrlLine = (text: string, line: number, id: number, file: string): void => {
    const read = readUrlLine(text);
    if (read.kind === 'bad') garbage.add(file, line, BlacklistsErrors.BAD_LINE.code, read.reason, text);
    if (read.kind !== 'url') return;
    hashHost(read.entry.host, hash);
    builder.addUrl(hash.hi, hash.lo, id, read.entry.path);
    entries++;
  };
  const visit = (path: string, file: string, onLine: (bytes: Buffer, start: number, end: number, line: number) => void) => {
    const before = bytesDone;
    forEachLine(path, {
      line: onLine,
      tooLong: (line) => garbage.add(file, line, BlacklistsErrors.BAD_LINE.code, `longer than ${MAX_LINE_BYTES} bytes`, ''),
      progress: (read) => {
        bytesDone = before + read;
        progress('reading', bytesDone);
      },
    });
  };

  // The school's own lists: a line with a "/" is a URL entry, anything else a domain.
  for (const [path, id] of [[job.allowFile, ALLOW_ID], [job.blockFile, LOCAL_ID]] as const) {
    if (!exists(path)) continue;
    category = id === ALLOW_ID ? ALLOW_NAME : 'local';
    const file = basename(path);
    visit(path, file, (bytes, start, end, line) => {
      const text = bytes.toString('latin1', start, end);
      if (text.trim().split(/[ \t]/, 1)[0]!.includes('/')) addUrlLine(text, line, id, file);
      else addDomainLine(bytes, start, end, line, id, file);
    });
  }

  for (const { rule, files } of chosen) {
    if (!files) continue;
    category = rule.name;
    if (files.domains) {
      const file = `${rule.name}/domains`;
      visit(files.domains, file, (bytes, start, end, line) => addDomainLine(bytes, start, end, line, rule.id, file));
    }
    if (files.urls) {
      const file = `${rule.name}/urls`;
      visit(files.urls, file, (bytes, start, end, line) => addUrlLine(bytes.toString('latin1', start, end), line, rule.id, file));
    }
    if (files.expressions) {
      const file = `${rule.name}/expressions`;
      visit(files.expressions, file, (bytes, start, end, line) => {
        const original = bytes.toString('latin1', start, end).replace(/\r$/, '');
        if (!original.trim() || original.startsWith('#')) return;
        const translated = translateExpression(original);
        if (translated.ok) expressions.push({ category: rule.id, source: translated.source, original });
        else garbage.add(file, line, BlacklistsErrors.BAD_EXPRESSION.code, translated.reason, original);
      });
    }
  }

  category = null;
  progress('sorting', bytesDone, true);
  const usages = new Map(await Promise.all(chosen.map(async ({ rule, files }) => [rule.name, files ? await readUsage(files) : null] as const)));
  const unused = await unusedCategories(available, new Set(chosen.map((c) => c.rule.name)));
  const sections = builder.build((counts) => ({
    compiledAt: new Date().toISOString(),
    compileMs: Date.now() - started,
    fingerprint: job.fingerprint,
    source: job.source,
    labelMask: counts.labelMask,
    categories: describeCategories(job, chosen, counts, expressions, garbage, usages),
    unused,
    expressions,
    garbage: garbage.report(),
  }));

  progress('writing', bytesDone, true);
  const chunks = encodeIndex(sections);
  const fd = openSync(job.output, 'w', 0o644);
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
      bytes += chunk.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { file: job.output, bytes, meta: { ...sections.meta, compileMs: Date.now() - started } };
}

function describeCategories(
  job: CompileJob,
  chosen: readonly { rule: CategoryRule; files: CategoryFiles | null }[],
  counts: BuiltCounts,
  expressions: readonly ExpressionMeta[],
  garbage: GarbageCollector,
  usages: ReadonlyMap<string, string | null>,
): CategoryMeta[] {
  const countFor = (id: number, files: string[]) => ({
    domains: counts.domains[id]!,
    urls: counts.urls[id]!,
    expressions: expressions.filter((e) => e.category === id).length,
    garbage: files.reduce((sum, file) => sum + garbage.countFor(file), 0),
  });
  const allow: CategoryMeta = {
    id: ALLOW_ID, name: ALLOW_NAME, action: 'page', windows: [], missing: !exists(job.allowFile), usage: null,
    ...countFor(ALLOW_ID, [basename(job.allowFile)]),
  };
  const local = job.policy.find((rule) => rule.id === LOCAL_ID);
  const rules: CategoryMeta[] = [];
  if (local) {
    rules.push({ ...local, missing: !exists(job.blockFile), usage: null, ...countFor(LOCAL_ID, [basename(job.blockFile)]) });
  }
  for (const { rule, files } of chosen) {
    rules.push({
      ...rule,
      missing: files === null,
      usage: usages.get(rule.name) ?? null,
      ...countFor(rule.id, ['domains', 'urls', 'expressions'].map((f) => `${rule.name}/${f}`)),
    });
  }
  return [allow, ...rules];
}

async function unusedCategories(available: ReadonlyMap<string, CategoryFiles>, chosen: ReadonlySet<string>): Promise<UnusedCategory[]> {
  const unused: UnusedCategory[] = [];
  for (const files of [...available.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (chosen.has(files.name)) continue;
    const bytes = [files.domains, files.urls, files.expressions].reduce((sum, file) => sum + (file ? statSync(file).size : 0), 0);
    unused.push({ name: files.name, bytes, usage: await readUsage(files) });
  }
  return unused;
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
