/**
 * Names of bundle files. A name reaches URLs, the published feed (whose paths
 * allow only letters, digits, `.`, `_` and `-`) and the file system, so only
 * names made of those are served, and uploads are named from their id and
 * version in that alphabet.
 */

/** A library file name the server serves: `[A-Za-z0-9._-]`, starting with a letter or digit, ending in `.xo`. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.xo$/;

/** Bundle ids in reverse-DNS style (`org.laptop.Paint`): what Sugar allows (no spaces), narrowed to a URL-safe alphabet. */
const BUNDLE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True for a name the library serves. */
export function isBundleFileName(name: string): boolean {
  return FILE_NAME.test(name);
}

/** True for an id the library accepts. */
export function isServableBundleId(id: string): boolean {
  return BUNDLE_ID.test(id);
}

/** `<bundle_id>-<version>.xo`; characters a version may carry outside the alphabet (`~`) become `_`. */
export function bundleFileName(bundleId: string, version: string): string {
  return `${bundleId}-${version.replace(/[^A-Za-z0-9._-]/g, '_')}.xo`;
}
