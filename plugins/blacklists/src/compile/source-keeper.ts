/**
 * Which lists the server compiles, and the folders they were unpacked into.
 *
 * Precedence: with `upstream` set, the Mothership's feed; otherwise the last
 * upload; otherwise `[blacklists] source` (a folder, or a `.tar.gz` unpacked
 * here whenever the file changes). Nothing configured compiles the school's
 * own lists alone. A new version is unpacked into a folder of its own and
 * becomes current only once it compiled (`commit`); a version that failed is
 * thrown away (`discard`) and the previous one stays.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { link, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DocumentVersion, Store } from 'sugar-server';
import { unpackArchive } from './archive.js';
import { BlacklistsErrors } from '../errors.js';
import type { BlacklistsConfig } from '../config.js';
import type { SourceInfo } from '../index/index-meta.js';
import { sourcesDir } from '../paths.js';

/** A version unpacked here: its folder and the archive it came from (kept for publishing). */
export interface KeptSource {
  readonly dir: string;
  readonly archive: string;
  readonly at: string;
  readonly bytes: number;
}

/** What the plugin's store remembers about sources. */
export interface SourcesDoc {
  upload: KeptSource | null;
  feed: (KeptSource & { readonly generated: string }) | null;
  archive: (KeptSource & { readonly stamp: string }) | null;
}

/** A store document with nothing unpacked yet. */
export const NO_SOURCES: SourcesDoc = { upload: null, feed: null, archive: null };

/**
 * The version of this document's shape. A release that changes the shape
 * raises it and adds the migration from the version before to `migrate`
 * (README, Storage: versions and migrations).
 */
export const SOURCES_DOCUMENT: DocumentVersion = { version: 1, migrate: {} };

/** The source to compile: the folder holding the categories, and how to describe it. */
export interface ResolvedSource {
  readonly root: string | null;
  readonly info: SourceInfo | null;
}

/** A version waiting for its compile: `commit` on success, `discard` on failure. */
export interface Candidate {
  readonly source: ResolvedSource;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

const ARCHIVE = /\.(?:tar\.gz|tgz|tar)$/i;

type Config = Pick<BlacklistsConfig, 'source' | 'upstream' | 'archive_limit'>;

export class SourceKeeper {
  private readonly dir: string;
  /** Folders and archives of candidates not yet committed or discarded: tidying leaves them alone. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly store: Store<SourcesDoc>,
    private readonly config: Config,
    dataDir: string,
  ) {
    this.dir = sourcesDir(dataDir);
  }

  /**
   * The source compiles use now. When `[blacklists] source` is an archive that
   * changed since it was last unpacked, the answer is a candidate to compile.
   */
  async current(): Promise<ResolvedSource | Candidate> {
    const { upload, feed, archive } = this.store.data;
    if (this.config.upstream) {
      return feed && (await isDir(feed.dir)) ? kept('feed', feed, `Mothership feed of ${feed.generated}`) : NO_SOURCE;
    }
    if (upload && (await isDir(upload.dir))) return kept('upload', upload, `upload of ${upload.at} (${upload.bytes} bytes)`);
    const configured = this.config.source;
    if (!configured) return NO_SOURCE;
    if (!ARCHIVE.test(configured)) return { root: configured, info: { kind: 'folder', path: configured, description: configured, archive: null } };
    const info = await stat(configured).catch(() => null);
    if (!info) throw BlacklistsErrors.BAD_SOURCE(configured, 'no such file');
    const stampNow = `${info.size}:${info.mtimeMs}`;
    if (archive?.stamp === stampNow && (await isDir(archive.dir))) return kept('archive', archive, configured);
    const dir = await this.unpack(configured, `archive-${newId()}`);
    return this.candidate({ root: dir, info: { kind: 'archive', path: dir, description: configured, archive: configured } }, (doc) => {
      doc.archive = { dir, archive: configured, at: new Date().toISOString(), bytes: info.size, stamp: stampNow };
    });
  }

  /**
   * A file of its own to receive an upload into (a random name, created
   * exclusively by the receiver), which tidying leaves alone until `release`.
   */
  async receivingFile(): Promise<{ readonly path: string; release(): void }> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `incoming-${randomUUID()}.tar.gz`);
    this.pending.add(path);
    return { path, release: () => this.pending.delete(path) };
  }

  /** Unpack an uploaded archive (moved here from `file`) as a candidate. */
  async uploaded(file: string): Promise<Candidate> {
    const id = newId();
    const archive = join(this.dir, `upload-${id}.tar.gz`);
    await mkdir(this.dir, { recursive: true });
    this.pending.add(archive);
    await rename(file, archive);
    const dir = await this.unpack(archive, `upload-${id}`).catch(async (err: unknown) => {
      this.pending.delete(archive);
      await rm(archive, { force: true });
      throw err;
    });
    const bytes = (await stat(archive)).size;
    const at = new Date().toISOString();
    return this.candidate({ root: dir, info: { kind: 'upload', path: dir, description: `upload of ${at} (${bytes} bytes)`, archive } }, (doc) => {
      doc.upload = { dir, archive, at, bytes };
    }, archive);
  }

  /** Unpack the Mothership's archive (copied from the feed snapshot) as a candidate. */
  async fromFeed(snapshotArchive: string, generated: string): Promise<Candidate> {
    const id = newId();
    const archive = join(this.dir, `feed-${id}.tar.gz`);
    await mkdir(this.dir, { recursive: true });
    this.pending.add(archive);
    await link(snapshotArchive, archive).catch(() => copyFile(snapshotArchive, archive));
    const dir = await this.unpack(archive, `feed-${id}`).catch(async (err: unknown) => {
      this.pending.delete(archive);
      await rm(archive, { force: true });
      throw err;
    });
    const bytes = (await stat(archive)).size;
    return this.candidate({ root: dir, info: { kind: 'feed', path: dir, description: `Mothership feed of ${generated}`, archive } }, (doc) => {
      doc.feed = { dir, archive, at: new Date().toISOString(), bytes, generated };
    }, archive);
  }

  /** The feed version held, if it is still on disk. */
  async heldFeed(): Promise<SourcesDoc['feed']> {
    const feed = this.store.data.feed;
    return feed && (await isDir(feed.dir)) ? feed : null;
  }

  /** Forget the upload, so the configured source applies again; false when there was none. */
  async dropUpload(): Promise<boolean> {
    if (!this.store.data.upload) return false;
    await this.store.update((doc) => {
      doc.upload = null;
    });
    await this.tidy();
    return true;
  }

  /** Remove every unpacked folder and archive the store no longer points at. */
  async tidy(): Promise<void> {
    const { upload, feed, archive } = this.store.data;
    const keep = new Set([upload?.dir, upload?.archive, feed?.dir, feed?.archive, archive?.dir, ...this.pending].filter(Boolean));
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(this.dir, name);
      if (!keep.has(path)) await rm(path, { recursive: true, force: true });
    }
  }

  private async unpack(archive: string, name: string): Promise<string> {
    const dir = join(this.dir, name);
    this.pending.add(dir);
    try {
      await unpackArchive(archive, dir, this.config.archive_limit);
    } catch (err) {
      this.pending.delete(dir);
      throw err;
    }
    return dir;
  }

  private candidate(source: ResolvedSource, record: (doc: SourcesDoc) => void, alsoRemove?: string): Candidate {
    const release = () => {
      this.pending.delete(source.root!);
      if (alsoRemove) this.pending.delete(alsoRemove);
    };
    return {
      source,
      commit: async () => {
        release();
        await this.store.update(record);
        await this.tidy();
      },
      discard: async () => {
        release();
        await rm(source.root!, { recursive: true, force: true });
        if (alsoRemove) await rm(alsoRemove, { force: true });
      },
    };
  }
}

/** No source: only the school's own lists are compiled. */
export const NO_SOURCE: ResolvedSource = { root: null, info: null };

/** Whether `current()` gave a candidate that still has to compile. */
export function isCandidate(value: ResolvedSource | Candidate): value is Candidate {
  return 'commit' in value;
}

function kept(kind: SourceInfo['kind'], source: KeptSource, description: string): ResolvedSource {
  return { root: source.dir, info: { kind, path: source.dir, description, archive: source.archive } };
}

function newId(): string {
  return `${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}
