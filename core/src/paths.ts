import { join, resolve } from 'node:path';

/** Where the daemon keeps its files. `--root DIR` moves all of them under DIR. */
export interface Paths {
  /** `/etc/sugar-server`: sugar-server.conf, conf.d/, admin.token, host keys. */
  readonly etc: string;
  /** `/var/lib/sugar-server`: stores and each plugin's data folder. */
  readonly data: string;
  /** `/run/sugar-server`: pid file. */
  readonly run: string;
  /** The root given with `--root`, or `/`. */
  readonly root: string;
}

export interface PathOptions {
  root?: string | undefined;
  /** `--config DIR`: the folder holding sugar-server.conf, wherever it is. */
  config?: string | undefined;
}

export function resolvePaths(options: PathOptions = {}): Paths {
  const root = resolve(options.root ?? '/');
  return {
    root,
    etc: options.config ? resolve(options.config) : join(root, 'etc/sugar-server'),
    data: join(root, 'var/lib/sugar-server'),
    run: join(root, 'run/sugar-server'),
  };
}

export const configFile = (paths: Paths) => join(paths.etc, 'sugar-server.conf');
export const dropInDir = (paths: Paths) => join(paths.etc, 'conf.d');
export const pidFile = (paths: Paths) => join(paths.run, 'sugar-server.pid');
/** Kept in the data folder: the switch must survive a restart (and /run is emptied at boot). */
export const maintenanceFile = (paths: Paths) => join(paths.data, 'maintenance.json');
/** Where the running daemon's main HTTP server actually listens (the port may be 0 in config). */
export const urlFile = (paths: Paths) => join(paths.run, 'sugar-server.url');
export const adminTokenFile = (paths: Paths) => join(paths.etc, 'admin.token');
/** Where the running daemon's admin console answers, and its certificate's fingerprint (JSON). */
export const adminUrlFile = (paths: Paths) => join(paths.run, 'sugar-server-admin.json');
