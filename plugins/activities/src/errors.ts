/**
 * Every error the activities plugin raises, `ACTIVITIES_ERR_<WHAT>`. A bundle the
 * library refuses is listed in `GET /activities/v1/problems` with one of these
 * codes; the admin API answers them as `{error: {code, message}}`.
 */
import { errorType } from 'sugar-server';

/** Show a value from a bundle or a request in a message: quoted, escaped, cut short. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** Every `ACTIVITIES_ERR_*` code, by name; the plugin's README lists the same codes. */
export const ActivitiesErrors = {
  /** The file is not a readable zip archive. */
  NOT_ZIP: errorType('ACTIVITIES_ERR_NOT_ZIP', 400, (why: string) => `not a zip archive: ${why}`),
  /** Not everything sits in one top folder ending in `.activity`. */
  LAYOUT: errorType('ACTIVITIES_ERR_LAYOUT', 400, (why: string) => `not an activity bundle: ${why}`),
  /** An entry that could write outside the activity's folder, or is not a plain file or folder. */
  UNSAFE_ENTRY: errorType('ACTIVITIES_ERR_UNSAFE_ENTRY', 400, (entry: string, why: string) => `entry ${quote(entry)}: ${why}`),
  /** Unpacking would take more space than the limits allow. */
  BOMB: errorType('ACTIVITIES_ERR_BOMB', 400, (why: string) => `refused as a zip bomb: ${why}`),
  /** An entry's data cannot be unpacked, or does not match its checksum or size. */
  CORRUPT: errorType('ACTIVITIES_ERR_CORRUPT', 400, (entry: string, why: string) => `entry ${quote(entry)} cannot be unpacked: ${why}`),
  /** There is no `activity/activity.info` in the top folder. */
  NO_INFO: errorType('ACTIVITIES_ERR_NO_INFO', 400, (path: string) => `the bundle has no ${path}`),
  /** `activity.info` cannot be read, or lacks `name`, `bundle_id` or `exec`. */
  BAD_INFO: errorType('ACTIVITIES_ERR_BAD_INFO', 400, (why: string) => `activity/activity.info: ${why}`),
  /** `activity_version` (or a version in a request) is not a Sugar version. */
  BAD_VERSION: errorType('ACTIVITIES_ERR_BAD_VERSION', 400, (version: string) =>
    `${quote(version)} is not a Sugar activity version (numbers separated by dots, no leading zeros, optionally -suffix or ~suffix)`),
  /** A file in the library folder that cannot be read at all (permissions, I/O). */
  UNREADABLE: errorType('ACTIVITIES_ERR_UNREADABLE', 400, (file: string, why: string) => `${file} cannot be read: ${why}`),
  /** A file in the library folder whose name the server will not put in a URL. */
  BAD_FILE_NAME: errorType('ACTIVITIES_ERR_BAD_FILE_NAME', 400, (file: string) =>
    `file name ${quote(file)}: use letters, digits, ".", "_" and "-" only, ending in .xo (e.g. org.laptop.Paint-34.xo)`),
  /** An upload of a bundle id and version the library already holds. */
  DUPLICATE: errorType('ACTIVITIES_ERR_DUPLICATE', 409, (id: string, version: string, file: string) =>
    `${id} version ${version} is already in the library as ${file}; upload with ?replace=1 to replace it`),
  /** No bundle with that id (and version) is in the library. */
  NOT_FOUND: errorType('ACTIVITIES_ERR_NOT_FOUND', 404, (what: string) => `${what} is not in the library`),
  /** `offset` or `limit` out of range. */
  BAD_PAGE: errorType('ACTIVITIES_ERR_BAD_PAGE', 400, (name: string, value: string, max: string) =>
    `${name} must be a whole number from ${name === 'limit' ? 1 : 0} to ${max}, got ${quote(value)}`),
  /** No range of a `Range` request lies within the file. */
  RANGE: errorType('ACTIVITIES_ERR_RANGE', 416, (size: string) => `no requested range lies within the ${size} bytes of the bundle`),
  /** The file was changed on disk after it was checked; it is being checked again. */
  CHANGED: errorType('ACTIVITIES_ERR_CHANGED', 409, (file: string) => `${file} changed on disk and is being checked again; try again in a moment`),
  /** The `Host` of an update request cannot be put into a download link. */
  BAD_HOST: errorType('ACTIVITIES_ERR_BAD_HOST', 400, (host: string) => `Host ${quote(host)} cannot be put into a download link`),
  /** A Mothership snapshot holding a bundle this server refuses; nothing of it was placed. */
  UPSTREAM_REFUSED: errorType('ACTIVITIES_ERR_UPSTREAM_REFUSED', 502, (summary: string) =>
    `the Mothership's bundles were not placed, the library keeps what it had: ${summary}`),
} as const;
