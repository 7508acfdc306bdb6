/** Where the plugin keeps its files, under its data folder and in /etc/sugar-server. */
import { join } from 'node:path';

/** The school's allow list, in /etc/sugar-server: one domain or host/path per line. */
export const ALLOW_FILE = 'blacklists-allow.txt';
/** The school's own block list, beside it. */
export const BLOCK_FILE = 'blacklists-block.txt';

/** The live index: replaced by rename when a compile completes, read by the daemon and every squid helper. */
export function indexFile(dataDir: string): string {
  return join(dataDir, 'index', 'current.idx');
}

/** The folder compiles write into before their file is moved into place. */
export function indexDir(dataDir: string): string {
  return join(dataDir, 'index');
}

/** Unpacked sources (uploads, the feed, a configured archive), one folder per version. */
export function sourcesDir(dataDir: string): string {
  return join(dataDir, 'sources');
}
