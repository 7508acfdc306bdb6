/**
 * Blacklists as a feed. Every server publishes the lists its index was
 * compiled from as `blacklists.tar.gz` at `/feeds/v1/blacklists/`, so any
 * sugar-server can be the Mothership of others; what is published is the
 * source, not the index, so each school compiles it with its own policy.
 * With `[blacklists] upstream` set, each new version of the upstream's feed
 * is unpacked and compiled; one that fails keeps the last good lists (and the
 * feed's last good copy).
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeedSnapshot, PluginContext } from 'sugar-server';
import { create } from 'tar';
import type { BlacklistsService } from './blacklists-service.js';
import { BlacklistsErrors } from './errors.js';
import type { SourceKeeper } from './compile/source-keeper.js';

/** Served at `/feeds/v1/blacklists/`. */
export const FEED_NAME = 'blacklists';
/** The one file of the feed. */
export const FEED_ARCHIVE = 'blacklists.tar.gz';

/** Publish the live index's source. A plain folder is packed once per version, when first asked for. */
export function publishBlacklists(ctx: Pick<PluginContext, 'publishFeed' | 'dataDir'>, service: BlacklistsService): void {
  const packer = new FolderPacker(join(ctx.dataDir, 'publish'));
  ctx.publishFeed({
    name: FEED_NAME,
    files: async () => {
      const source = service.index?.meta.source;
      if (!source) return [];
      if (source.archive && (await stat(source.archive).catch(() => null))) return [{ path: FEED_ARCHIVE, file: source.archive }];
      return [{ path: FEED_ARCHIVE, file: await packer.pack(source.path, service.index!.meta.fingerprint) }];
    },
  });
}

/** Mirror the upstream's feed: each new version is compiled, and becomes the source only if that works. */
export function mirrorUpstream(ctx: Pick<PluginContext, 'mirrorFeed'>, url: string, intervalMs: number, service: BlacklistsService, sources: SourceKeeper): void {
  ctx.mirrorFeed({ name: FEED_NAME, url, intervalMs, apply: (snapshot) => applyFeed(snapshot, url, service, sources) });
}

/** The mirror's `apply`; throws (keeping the last good version) when the version cannot be used. */
export async function applyFeed(snapshot: FeedSnapshot, url: string, service: BlacklistsService, sources: SourceKeeper): Promise<void> {
  const { generated, files } = snapshot.manifest;
  // The last good snapshot is offered again at every start; it is already unpacked here.
  if ((await sources.heldFeed())?.generated === generated) {
    await service.recompile({ ifChanged: true });
    return;
  }
  if (!files.some((f) => f.path === FEED_ARCHIVE)) throw BlacklistsErrors.BAD_SOURCE(url, `the feed holds no ${FEED_ARCHIVE}`);
  const candidate = await sources.fromFeed(snapshot.file(FEED_ARCHIVE), generated);
  await service.compileCandidate(candidate);
}

/** Packs a source folder as `<fingerprint>.tar.gz`, keeping only the latest. */
class FolderPacker {
  private packing: { key: string; done: Promise<string> } | null = null;

  constructor(private readonly dir: string) {}

  pack(folder: string, fingerprint: string): Promise<string> {
    if (this.packing?.key === fingerprint) return this.packing.done;
    const done = this.packNow(folder, fingerprint);
    this.packing = { key: fingerprint, done };
    done.catch(() => {
      if (this.packing?.done === done) this.packing = null;
    });
    return done;
  }

  private async packNow(folder: string, fingerprint: string): Promise<string> {
    const file = join(this.dir, `${fingerprint}.tar.gz`);
    if (await stat(file).catch(() => null)) return file;
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
    const temp = `${file}.part`;
    await create({ gzip: true, file: temp, cwd: folder, portable: true }, await readdir(folder));
    await rename(temp, file);
    return file;
  }
}
