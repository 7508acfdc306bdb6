/**
 * A mirrored feed: the copy of a publisher's feed this server holds, kept under
 * `<plugin data>/feeds/<name>/`.
 *
 * A refresh (or an import from a disk) first stages: it reads the manifest and
 * its signature, checks them against the trusted keys, the version held and the
 * expiry, then takes the files it does not hold yet, checking size and sha256
 * while streaming. Only a complete staged copy is handed to the plugin, and the
 * `current` link moves to it only after the plugin applied it, so a failed
 * download, a bad signature or a refused bundle leaves the last good copy serving.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, readFile, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isSugarError, ServerErrors } from '../errors.js';
import type { Logger } from '../log.js';
import { syncDir, writeFileAtomically } from '../storage/durable.js';
import { setLongTimeout, type LongTimer } from '../timeout.js';
import { copyChecked } from './copy.js';
import { asFeedError, FeedErrors, retryAfterMs } from './errors.js';
import { KEYS_FILE, type KeysDocument } from './keys.js';
import { filesChanged, isFeedName, parseManifest, sameFiles, SIGNATURE_SUFFIX, SNAPSHOT_MANIFEST } from './manifest.js';
import { parseSignatures } from './signing.js';
import { FolderFeedSource, HttpFeedSource, type FeedSource, type FetchedManifest, type Validators } from './source.js';
import { checkFreshness, manifestSigners, verifyKeys, verifyManifestSignature, type TrustRoots } from './trust.js';
import type { FeedFileEntry, FeedManifest, FeedMirror, FeedSnapshot, FeedState, MirrorSpec } from './types.js';

export interface MirrorOptions {
  /** The deployment's root keys (`[feeds] trusted_keys`), asked at each check so a reload takes effect; null or absent: manifests are taken unauthenticated. */
  readonly roots?: () => TrustRoots;
  readonly now?: () => number;
}

/** What a staged copy would change, for logs and the import report. */
export interface StagedChange {
  readonly name: string;
  readonly fromVersion: number | null;
  readonly toVersion: number | null;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
}

/** A complete, checked copy, not yet applied. Exactly one of `commit` or `discard` must follow. */
export interface StagedFeed {
  readonly change: StagedChange;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

class DiskSnapshot implements FeedSnapshot {
  private digests: Map<string, string> | undefined;

  constructor(
    readonly dir: string,
    readonly manifest: FeedManifest,
    /** The key that signed it, when it was taken signed. */
    readonly signedBy: string | null,
  ) {}

  file(path: string): string {
    if (!this.digestOf(path)) throw ServerErrors.NOT_FOUND(`feed file "${path}"`);
    return join(this.dir, path);
  }

  /** The sha256 of a file it holds (a map, so a feed of 100,000 files is not searched per file). */
  digestOf(path: string): string | undefined {
    this.digests ??= new Map(this.manifest.files.map((f) => [f.path, f.sha256]));
    return this.digests.get(path);
  }
}

/** The checked manifest of a fetch, and what it means against the copy held. */
interface Checked {
  readonly fetched: FetchedManifest;
  readonly manifest: FeedManifest;
  readonly signedBy: string | null;
  /** Signed, same files as held, higher version: only the record of the manifest is renewed. */
  readonly renewalOnly: boolean;
}

export class MirroredFeed implements FeedMirror {
  private readonly root: string;
  private readonly rootsNow: () => TrustRoots;
  /** The feed's URL as requested (a trailing slash added), or `usb`: in /status and every message. */
  private readonly where: string;
  private readonly now: () => number;
  private timer: LongTimer | undefined;
  private running: Promise<FeedState> | undefined;
  /** An upstream's `Retry-After`: no request before this instant (ms). */
  private notBefore = 0;
  /** One stage-to-commit at a time: a refresh and an import never interleave. */
  private turn: Promise<void> = Promise.resolve();
  private current: DiskSnapshot | undefined;
  private keys: KeysDocument | undefined;
  private validators: Validators = { etag: null, lastModified: null };
  private readonly appliedListeners = new Set<(mirror: MirroredFeed) => void>();
  private revisions = 0;
  private status: { lastAttempt: number | null; lastSuccess: number | null; lastChange: number | null; lastError: { message: string; code: string | null } | null } = {
    lastAttempt: null,
    lastSuccess: null,
    lastChange: null,
    lastError: null,
  };

  constructor(
    private readonly spec: MirrorSpec,
    dataDir: string,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    options: MirrorOptions = {},
  ) {
    if (!isFeedName(spec.name)) throw ServerErrors.BAD_REQUEST(`feed name "${spec.name}" is not a plain name`);
    this.root = join(dataDir, 'feeds', spec.name);
    this.rootsNow = options.roots ?? (() => null);
    this.where = spec.url === 'usb' ? 'usb' : new HttpFeedSource(spec.url, signal).where;
    this.now = options.now ?? Date.now;
  }

  private get roots(): TrustRoots {
    return this.rootsNow();
  }

  get name(): string {
    return this.spec.name;
  }

  /** Grows whenever what `state()` reports changes, so a reader can cache it until then. */
  get revision(): number {
    return this.revisions;
  }

  /** Apply the last good copy (if any), then look for news now and every interval. */
  async start(): Promise<void> {
    await mkdir(join(this.root, 'snapshots'), { recursive: true });
    this.keys = await this.loadKeys();
    const last = await this.loadCurrent();
    if (last) {
      await this.spec.apply(last);
      this.current = last;
    }
    if (!this.roots) this.log.warn({ feed: this.spec.name }, 'feed taken unauthenticated: set [feeds] trusted_keys to the deployment\'s root key');
    if (this.spec.url !== 'usb') this.schedule(0);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * Call `listener` each time a new version is held (applied, or the same files
   * re-signed), after the fact; a listener's throw is its own. Returns the way to stop.
   */
  onApplied(listener: (mirror: MirroredFeed) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  private announceApplied(): void {
    this.revisions++;
    for (const listener of this.appliedListeners) {
      try {
        listener(this);
      } catch (err) {
        this.log.warn({ feed: this.spec.name, err }, 'a listener of applied feeds failed');
      }
    }
  }

  state(): FeedState {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    const manifest = this.current?.manifest;
    const url = this.where;
    // A held copy that ran out is an error even before the next check, and a usb feed is never checked.
    const error = this.status.lastError ?? (this.heldExpired() ? describe(FeedErrors.EXPIRED(url, manifest!.expires!)) : null);
    return {
      name: this.spec.name,
      url,
      lastAttempt: iso(this.status.lastAttempt),
      lastSuccess: iso(this.status.lastSuccess),
      lastChange: iso(this.status.lastChange),
      lastError: error?.message ?? null,
      lastErrorCode: error?.code ?? null,
      generated: manifest?.generated ?? null,
      version: manifest?.version ?? null,
      expires: manifest?.expires ?? null,
      expired: this.heldExpired(),
      trust: this.roots ? 'signed' : 'unauthenticated',
      signedBy: this.current?.signedBy ?? null,
    };
  }

  /** Look for a new version at the publisher (a `usb` feed only reports its state). */
  refresh(): Promise<FeedState> {
    if (this.spec.url === 'usb' || this.now() < this.notBefore) return Promise.resolve(this.state());
    this.running ??= this.refreshNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Read and check a new version from `source` without applying it. Holds this
   * feed until the result is committed or discarded. Resolves `unchanged` when
   * the source holds nothing newer.
   */
  async stage(source: FeedSource): Promise<StagedFeed | 'unchanged'> {
    const release = await this.take();
    try {
      const staged = await this.stageNow(source);
      if (staged === 'unchanged') release();
      else return { change: staged.change, commit: () => staged.commit().finally(release), discard: () => staged.discard().finally(release) };
      return 'unchanged';
    } catch (err) {
      release();
      throw err;
    }
  }

  /** A source for this feed in an export folder (`<root>/<name>/`). */
  folderSource(root: string): FeedSource {
    return new FolderFeedSource(root, this.spec.name);
  }

  /** Note an import's outcome in the state, as a refresh would: a disk that holds, changed or not, is the upstream reached. */
  recordOutcome(error: unknown, changed: boolean): void {
    const now = this.now();
    this.status.lastAttempt = now;
    if (error) this.status.lastError = describe(error);
    else {
      this.status.lastError = null;
      this.status.lastSuccess = now;
      if (changed) this.status.lastChange = now;
    }
    this.revisions++;
  }

  private take(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const ready = this.turn.then(() => release);
    this.turn = this.turn.then(() => mine);
    return ready;
  }

  private schedule(delayMs: number): void {
    if (this.signal.aborted) return;
    this.timer = setLongTimeout(() => {
      void this.refresh().finally(() => this.schedule(Math.max(this.spec.intervalMs, this.notBefore - this.now())));
    }, delayMs);
  }

  private async refreshNow(): Promise<FeedState> {
    this.status.lastAttempt = this.now();
    try {
      const staged = await this.stage(new HttpFeedSource(this.spec.url, this.signal));
      if (staged !== 'unchanged') {
        await staged.commit();
        this.status.lastChange = this.now();
        this.log.info({ feed: this.spec.name, ...staged.change, generated: this.current?.manifest.generated }, 'feed updated');
      }
      this.status.lastSuccess = this.now();
      this.status.lastError = null;
      if (this.heldExpired()) {
        const expired = FeedErrors.EXPIRED(this.where, this.current!.manifest.expires!);
        this.status.lastError = describe(expired);
        this.log.error({ feed: this.spec.name, code: expired.code, url: this.where }, `${expired.message}; laptops keep getting the copy held`);
      }
    } catch (err) {
      if (this.signal.aborted) return this.state();
      this.notBefore = this.now() + retryAfterMs(err);
      this.status.lastError = describe(err);
      const level = isSugarError(err) && TRUST_CODES.has(err.code) ? 'error' : 'warn';
      this.log[level]({ feed: this.spec.name, url: this.where, code: this.status.lastError.code, err }, 'feed not updated; keeping the last good copy');
    }
    this.revisions++;
    return this.state();
  }

  private async stageNow(source: FeedSource): Promise<Pick<StagedFeed, 'change' | 'commit' | 'discard'> | 'unchanged'> {
    await mkdir(join(this.root, 'snapshots'), { recursive: true });
    const conditional = this.current && source instanceof HttpFeedSource ? this.validators : undefined;
    const fetched = await source.manifest(conditional);
    if (fetched === 'unchanged') return 'unchanged';
    const checked = await this.check(source, fetched);
    if (!checked) {
      this.validators = fetched.validators;
      return 'unchanged';
    }
    const change: StagedChange = {
      name: this.spec.name,
      fromVersion: this.current?.manifest.version ?? null,
      toVersion: checked.manifest.version ?? null,
      ...filesChanged(this.current?.manifest, checked.manifest),
    };
    if (checked.renewalOnly) return { change, commit: () => this.renew(checked).then(() => this.announceApplied()), discard: async () => {} };

    const id = `${this.now()}-${createHash('sha256').update(fetched.bytes).digest('hex').slice(0, 12)}`;
    const staging = join(this.root, 'snapshots', `.staging-${id}`);
    try {
      await mkdir(staging, { recursive: true });
      await eachAtMost(FILES_AT_ONCE, checked.manifest.files, (file) => this.takeFile(source, file, staging));
      await writeFile(join(staging, SNAPSHOT_MANIFEST), fetched.bytes);
      if (fetched.signature) await writeFile(join(staging, SNAPSHOT_MANIFEST + SIGNATURE_SUFFIX), fetched.signature);
      await syncDir(staging);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw asFeedError(err, staging);
    }
    return {
      change,
      commit: () => this.commit(staging, id, checked).then(() => this.announceApplied()),
      discard: () => rm(staging, { recursive: true, force: true }),
    };
  }

  /** Trust and freshness; undefined when the fetched manifest holds nothing new. */
  private async check(source: FeedSource, fetched: FetchedManifest): Promise<Checked | undefined> {
    const manifest = parseManifest(fetched.bytes, source.where);
    if (!this.roots) {
      if (this.current && sameFiles(this.current.manifest, manifest)) return undefined;
      return { fetched, manifest, signedBy: null, renewalOnly: false };
    }
    const now = this.now();
    await this.updateKeys(source, now);
    const signer = verifyManifestSignature(fetched.bytes, fetched.signature, manifestSigners(this.roots, this.keys, now), source.where);
    // A signature covers the bytes, not where they were found: one feed's manifest is no other's.
    if (manifest.name !== this.spec.name) throw FeedErrors.BAD_MANIFEST(source.where, `it is the manifest of feed "${manifest.name}", not "${this.spec.name}"`);
    const heldVersion = this.current?.signedBy ? (this.current.manifest.version ?? null) : null;
    if (checkFreshness(manifest, heldVersion, now, source.where) === 'same') return undefined;
    const renewalOnly = this.current?.signedBy != null && sameFiles(this.current.manifest, manifest);
    return { fetched, manifest, signedBy: signer.id, renewalOnly };
  }

  /** Take a newer `keys.json` from the source when it has one; the one held otherwise. */
  private async updateKeys(source: FeedSource, now: number): Promise<void> {
    const offered = await source.keys();
    if (!offered) return;
    const doc = verifyKeys(this.roots!, offered.bytes, offered.signature, this.keys, now, offered.where);
    if (this.keys && doc.version === this.keys.version) return;
    await writeFileAtomically(join(this.root, KEYS_FILE + SIGNATURE_SUFFIX), [offered.signature!], 0o644);
    await writeFileAtomically(join(this.root, KEYS_FILE), [offered.bytes], 0o644);
    this.keys = doc;
    this.log.info({ feed: this.spec.name, keysVersion: doc.version, keys: doc.keys.map((k) => k.id.slice(0, 16)) }, 'feed signing keys updated');
  }

  /** Reuse an unchanged file from the current snapshot; otherwise stream it, checking size and digest. */
  private async takeFile(source: FeedSource, file: FeedFileEntry, staging: string): Promise<void> {
    const target = join(staging, file.path);
    await mkdir(resolve(target, '..'), { recursive: true });
    if (this.current?.digestOf(file.path) === file.sha256) {
      await link(join(this.current!.dir, file.path), target);
      return;
    }
    await copyChecked(source, file, target);
  }

  private async commit(staging: string, id: string, checked: Checked): Promise<void> {
    const dir = join(this.root, 'snapshots', id);
    try {
      await rename(staging, dir);
      const snapshot = new DiskSnapshot(dir, checked.manifest, checked.signedBy);
      await this.spec.apply(snapshot);
      // The plugin holds this copy now: it is kept even if recording that on disk fails below.
      const previous = this.current;
      this.current = snapshot;
      this.validators = checked.fetched.validators;
      await this.pointCurrentAt(id);
      await this.saveValidators();
      await this.prune(id, previous ? previous.dir : undefined).catch((err: unknown) =>
        this.log.warn({ feed: this.spec.name, err }, 'old feed copies not removed; tried again after the next update'));
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      if (this.current?.dir !== dir) await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Same files, newer signature: renew the held manifest's record in place; the plugin has nothing to apply. */
  private async renew(checked: Checked): Promise<void> {
    const held = this.current!;
    const record = join(held.dir, SNAPSHOT_MANIFEST);
    await writeFileAtomically(record + SIGNATURE_SUFFIX, [checked.fetched.signature!], 0o644);
    await writeFileAtomically(record, [checked.fetched.bytes], 0o644);
    this.current = new DiskSnapshot(held.dir, checked.manifest, checked.signedBy);
    this.validators = checked.fetched.validators;
    await this.saveValidators();
  }

  /** Only saves asking again for a manifest held: a failure costs one full answer, never the copy. */
  private async saveValidators(): Promise<void> {
    await writeFile(join(this.root, 'validators.json'), JSON.stringify(this.validators)).catch((err: unknown) =>
      this.log.warn({ feed: this.spec.name, err }, 'feed validators not saved; the next refresh asks unconditionally'));
  }

  private heldExpired(): boolean {
    const expires = this.current?.manifest.expires;
    return this.roots !== null && expires !== undefined && Date.parse(expires) <= this.now();
  }

  /** Swap the `current` link in one rename, so readers see the old or the new snapshot. */
  private async pointCurrentAt(id: string): Promise<void> {
    const next = join(this.root, `.current-${id}`);
    await symlink(join('snapshots', id), next);
    await rename(next, join(this.root, 'current'));
    await syncDir(this.root);
  }

  private async loadCurrent(): Promise<DiskSnapshot | undefined> {
    try {
      const target = await readlink(join(this.root, 'current'));
      const dir = join(this.root, target);
      const manifest = parseManifest(await readFile(join(dir, SNAPSHOT_MANIFEST)), dir);
      const signature = await readFile(join(dir, SNAPSHOT_MANIFEST + SIGNATURE_SUFFIX)).catch(() => null);
      this.validators = JSON.parse(await readFile(join(this.root, 'validators.json'), 'utf8').catch(() => '{}')) as Validators;
      return new DiskSnapshot(dir, manifest, signature ? this.signerOf(signature) : null);
    } catch {
      return undefined;
    }
  }

  /** The key id a held signature file names first among the keys trusted now (or first at all). */
  private signerOf(signature: Buffer): string {
    let ids: string[];
    try {
      ids = parseSignatures(signature).map((s) => s.keyid);
    } catch {
      return 'unknown';
    }
    const trusted = this.roots ? manifestSigners(this.roots, this.keys, this.now()) : new Map();
    return ids.find((id) => trusted.has(id)) ?? ids[0]!;
  }

  /** The last keys.json taken, when it still holds against the roots. */
  private async loadKeys(): Promise<KeysDocument | undefined> {
    if (!this.roots) return undefined;
    try {
      const bytes = await readFile(join(this.root, KEYS_FILE));
      const signature = await readFile(join(this.root, KEYS_FILE + SIGNATURE_SUFFIX));
      return verifyKeys(this.roots, bytes, signature, undefined, this.now(), join(this.root, KEYS_FILE));
    } catch {
      return undefined;
    }
  }

  /** Keep the current snapshot and the one before it (to look at after a bad update). */
  private async prune(currentId: string, previousDir: string | undefined): Promise<void> {
    const keep = new Set([currentId, previousDir ? previousDir.slice(previousDir.lastIndexOf('/') + 1) : '']);
    for (const name of await readdir(join(this.root, 'snapshots'))) {
      if (!keep.has(name)) await rm(join(this.root, 'snapshots', name), { recursive: true, force: true });
    }
  }
}

/**
 * Files taken at once: one at a time, a feed of 100,000 small files waits out
 * 100,000 round trips and 100,000 fsyncs one after the other.
 */
const FILES_AT_ONCE = 8;

/** `task` for every item, at most `limit` running; after a failure none starts, and the first failure is thrown once the running ones end. */
async function eachAtMost<T>(limit: number, items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/** Refusals that mean someone may be tampering: logged as errors, not warnings. */
const TRUST_CODES = new Set([
  FeedErrors.UNSIGNED.code,
  FeedErrors.SIGNATURE.code,
  FeedErrors.ROLLBACK.code,
  FeedErrors.EXPIRED.code,
  FeedErrors.KEYS.code,
  FeedErrors.DIGEST.code,
]);

function describe(err: unknown): { message: string; code: string | null } {
  return { message: (err as Error).message, code: isSugarError(err) ? err.code : null };
}
