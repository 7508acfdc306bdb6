/**
 * The old XS import path: a USB disk with a folder `xs-activation/` holding
 * `leases.sig` and `manifest.sha1` (wiki.laptop.org/go/XS-activation). The
 * folder is trusted only once every file it lists matches its digest.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkManifest } from './manifest-sha1.js';

/** The folder the old XS looked for on a USB disk. */
export const ACTIVATION_FOLDER = 'xs-activation';
/** The bundle's name, in the folder and in the published feed. */
export const BUNDLE_FILE = 'leases.sig';

/** `dir` itself, or `dir/xs-activation` when `dir` is the root of the USB disk. */
export async function findActivationFolder(dir: string): Promise<string> {
  const nested = join(dir, ACTIVATION_FOLDER);
  const isDir = await stat(nested).then((s) => s.isDirectory(), () => false);
  return isDir ? nested : dir;
}

/** The bundle of an activation folder, after its manifest checked out. */
export async function readActivationFolder(dir: string): Promise<{ folder: string; bundle: Buffer }> {
  const folder = await findActivationFolder(dir);
  await checkManifest(folder, BUNDLE_FILE);
  return { folder, bundle: await readFile(join(folder, BUNDLE_FILE)) };
}
