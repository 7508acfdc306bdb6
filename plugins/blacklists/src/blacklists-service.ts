/**
 * The daemon's side of the plugin: holds the live index, runs compiles one at
 * a time, and puts a new index in place only when its compile finished and
 * the file reads back whole. A compile that fails (a broken source, a
 * damaged archive) leaves the index in use, and says why in the status.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, type Logger } from 'sugar-server';
import { ActiveCategories } from './policy/active-categories.js';
import { BlacklistIndex } from './index/blacklist-index.js';
import type { CompileJob, CompileOutcome, CompileProgress } from './compile/compile.js';
import type { BlacklistsConfig, WhenUnavailable } from './config.js';
import { Decider, type Decision } from './squid/decision.js';
import { BlacklistsErrors } from './errors.js';
import { fingerprintOf } from './compile/fingerprint.js';
import { byteString, normaliseUrl, type NormalisedUrl } from './squid/normalise.js';
import { ALLOW_FILE, BLOCK_FILE, indexDir, indexFile } from './paths.js';
import { policyOf } from './policy/policy.js';
import { isCandidate, type Candidate, type ResolvedSource, type SourceKeeper } from './compile/source-keeper.js';

/** Runs one compile (in a worker in the daemon; in-thread in tests). */
export type CompileRunner = (job: CompileJob, onProgress: (progress: CompileProgress) => void) => Promise<CompileOutcome>;

/** Compiles write `compile-<random>.tmp` beside the index, then rename it into place. */
const COMPILE_TEMP_PREFIX = 'compile-';
const COMPILE_TEMP_SUFFIX = '.tmp';

export interface ServiceDeps {
  readonly config: BlacklistsConfig;
  readonly dataDir: string;
  readonly etcDir: string;
  readonly log: Logger;
  readonly sources: SourceKeeper;
  readonly compile: CompileRunner;
  readonly now?: () => number;
}

/** How compiling is going; shown by the status endpoint. */
export interface CompileStatus {
  readonly state: 'idle' | 'compiling';
  readonly progress: CompileProgress | null;
  readonly startedAt: string | null;
  /** Compiles waiting behind the running one. */
  readonly queued: number;
  readonly lastSuccess: { readonly at: string; readonly ms: number; readonly source: string | null } | null;
  readonly lastError: { readonly at: string; readonly code: string; readonly message: string } | null;
}

/** What `/status` shows of the plugin (a type, not an interface: status details are plain records). */
export type FilteringSummary = {
  readonly filtering: 'ready' | 'unavailable';
  readonly whenUnavailable: WhenUnavailable;
  readonly compiledAt: string | null;
  readonly domains: number;
  readonly urls: number;
  readonly compile: CompileStatus['state'];
  /** The code of the last failed compile, if any. */
  readonly lastError: string | null;
};

/** The answer to a check: the decision and the URL as it was matched. */
export interface CheckResult extends Decision {
  readonly url: string;
  readonly normalised: Pick<NormalisedUrl, 'host' | 'path'>;
}

export class BlacklistsService {
  private live: BlacklistIndex | null = null;
  private decider: Decider | null = null;
  private readonly active: ActiveCategories;
  private chain: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private queuedRecompile: Promise<CompileOutcome | null> | null = null;
  private status: Omit<CompileStatus, 'queued'> = { state: 'idle', progress: null, startedAt: null, lastSuccess: null, lastError: null };

  constructor(private readonly deps: ServiceDeps) {
    this.active = new ActiveCategories(deps.now);
  }

  /** The index answering now, or null before the first compile. */
  get index(): BlacklistIndex | null {
    return this.live;
  }

  private get allowFile(): string {
    return join(this.deps.etcDir, ALLOW_FILE);
  }

  private get blockFile(): string {
    return join(this.deps.etcDir, BLOCK_FILE);
  }

  /** Serve the index on disk at once; recompile in the background when the sources or policy changed since. */
  async start(): Promise<void> {
    // A daemon killed mid-way leaves its temporary files; nothing else writes them (the data folder is locked).
    await this.removeStaleTemporaries();
    try {
      this.use(await BlacklistIndex.load(indexFile(this.deps.dataDir)));
      this.deps.log.info({ domains: this.live!.domainCount, urls: this.live!.urlCount, compiledAt: this.live!.meta.compiledAt }, 'blacklists index loaded');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.log.error({ err }, 'the blacklists index on disk cannot be used; recompiling');
    }
    this.recompile({ ifChanged: true }).catch(() => {});
  }

  private async removeStaleTemporaries(): Promise<void> {
    const dir = indexDir(this.deps.dataDir);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(COMPILE_TEMP_PREFIX) && name.endsWith(COMPILE_TEMP_SUFFIX)) await rm(join(dir, name), { force: true });
    }
    await this.deps.sources.tidy();
  }

  /**
   * Compile the current source again. Requests made while one is waiting
   * share it. With `ifChanged`, an index compiled from the same inputs stays
   * (resolves with null).
   */
  recompile(options: { ifChanged?: boolean } = {}): Promise<CompileOutcome | null> {
    if (this.queuedRecompile && !options.ifChanged) return this.queuedRecompile;
    const run = this.enqueue(async () => {
      if (run === this.queuedRecompile) this.queuedRecompile = null;
      const current = await this.deps.sources.current().catch((err: unknown) => {
        throw this.failed(err);
      });
      if (isCandidate(current)) return this.runCandidate(current);
      if (options.ifChanged && this.live && this.live.meta.fingerprint === (await this.fingerprint(current))) return null;
      return this.compile(current);
    });
    if (!options.ifChanged) this.queuedRecompile = run;
    return run;
  }

  /** Compile `candidate` (an upload, a feed version); it becomes current only if that works. */
  compileCandidate(candidate: Candidate): Promise<CompileOutcome> {
    return this.enqueue(() => this.runCandidate(candidate));
  }

  private async runCandidate(candidate: Candidate): Promise<CompileOutcome> {
    try {
      const outcome = await this.compile(candidate.source);
      await candidate.commit();
      return outcome;
    } catch (err) {
      await candidate.discard();
      throw err;
    }
  }

  /**
   * Whether filtering works: `ready` while an index answers; `unavailable`
   * before the first compile, or when none can be compiled (squid's helper
   * then does what `when_unavailable` says).
   */
  get filtering(): 'ready' | 'unavailable' {
    return this.live ? 'ready' : 'unavailable';
  }

  /** The plugin's summary in the daemon's `/status`. */
  summary(): FilteringSummary {
    const index = this.live;
    return {
      filtering: this.filtering,
      whenUnavailable: this.deps.config.when_unavailable,
      compiledAt: index?.meta.compiledAt ?? null,
      domains: index?.domainCount ?? 0,
      urls: index?.urlCount ?? 0,
      compile: this.status.state,
      lastError: this.status.lastError?.code ?? null,
    };
  }

  /** Where compiling stands. */
  compileStatus(): CompileStatus {
    return { ...this.status, queued: this.waiting };
  }

  /** Decide one URL as squid would have it decided; BLACKLISTS_ERR_BAD_URL or _NO_INDEX when it cannot. */
  check(raw: string): CheckResult {
    const url = normaliseUrl(byteString(raw));
    if (!url) throw BlacklistsErrors.BAD_URL(raw.slice(0, 200));
    if (!this.decider) throw BlacklistsErrors.NO_INDEX();
    return { url: raw, normalised: { host: url.host, path: url.path }, ...this.decider.decide(url) };
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const run = this.chain.then(() => {
      this.waiting--;
      return task();
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private fingerprint(source: ResolvedSource): Promise<string> {
    return fingerprintOf(source.root, policyOf(this.deps.config), this.allowFile, this.blockFile);
  }

  private async compile(source: ResolvedSource): Promise<CompileOutcome> {
    const { log, dataDir } = this.deps;
    await mkdir(indexDir(dataDir), { recursive: true });
    const output = join(indexDir(dataDir), `${COMPILE_TEMP_PREFIX}${randomUUID()}${COMPILE_TEMP_SUFFIX}`);
    const job: CompileJob = {
      sourceRoot: source.root,
      source: source.info,
      policy: policyOf(this.deps.config),
      allowFile: this.allowFile,
      blockFile: this.blockFile,
      output,
      fingerprint: await this.fingerprint(source),
    };
    const started = Date.now();
    this.status = { ...this.status, state: 'compiling', progress: null, startedAt: new Date(started).toISOString() };
    log.info({ source: source.info?.description ?? null, categories: job.policy.map((c) => c.name) }, 'compiling blacklists');
    let lastCategory: string | null = null;
    try {
      const outcome = await this.deps.compile(job, (progress) => {
        this.status = { ...this.status, progress };
        if (progress.category !== lastCategory && progress.category) log.info({ category: progress.category, bytesRead: progress.bytesRead, bytesTotal: progress.bytesTotal }, 'reading category');
        lastCategory = progress.category;
      });
      // Read it back before it goes live: a file that does not load never replaces a good one.
      const index = await BlacklistIndex.load(output);
      await rename(output, indexFile(dataDir));
      await syncDir(indexDir(dataDir));
      this.use(index);
      const ms = Date.now() - started;
      this.status = { ...this.status, lastSuccess: { at: new Date().toISOString(), ms, source: source.info?.description ?? null } };
      log.info({ ms, bytes: outcome.bytes, domains: index.domainCount, urls: index.urlCount, expressions: index.meta.expressions.length, garbage: index.meta.garbage.total }, 'blacklists compiled');
      for (const line of index.meta.garbage.lines.slice(0, 20)) log.warn({ file: line.file, line: line.line, code: line.code }, `refused list line: ${line.reason}`);
      return outcome;
    } catch (err) {
      await rm(output, { force: true });
      throw this.failed(err);
    } finally {
      this.status = { ...this.status, state: 'idle', progress: null, startedAt: null };
    }
  }

  /** Record and log why the lists in use stay; returns the error to throw on. */
  private failed(err: unknown): unknown {
    const error = err as Error & { code?: string };
    // A stop (a reload, a shutdown) cutting a compile short is no failure of the lists.
    if (BlacklistsErrors.COMPILE_STOPPED.is(err)) {
      this.deps.log.info({ code: error.code }, error.message);
      return err;
    }
    this.status = { ...this.status, lastError: { at: new Date().toISOString(), code: error.code ?? BlacklistsErrors.COMPILE_FAILED.code, message: error.message } };
    this.deps.log.error({ code: error.code, err }, 'compiling blacklists failed; the index in use stays');
    return err;
  }

  private use(index: BlacklistIndex): void {
    this.live = index;
    this.decider = new Decider(index, this.active, this.deps.config.page_url);
  }
}
