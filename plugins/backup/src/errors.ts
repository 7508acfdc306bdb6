/**
 * Every error the backup plugin raises, `BACKUP_ERR_<WHAT>`. The admin API
 * answers them as `{error: {code, message}}`; refusals on the SSH endpoint reach
 * the laptop's rsync on stderr with the code, and the log.
 */
import { errorType } from 'sugar-server/child';

/** Show a client's value in a message: quoted, escaped and cut short. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** Every `BACKUP_ERR_*` code, by name; the plugin's README lists the same codes. */
export const BackupErrors = {
  /** Not a laptop serial (3 capital letters and 8 hex digits). */
  BAD_SERIAL: errorType('BACKUP_ERR_BAD_SERIAL', 400, (serial: string) =>
    `${quote(serial)} is not a laptop serial (3 capital letters and 8 hex digits, e.g. SHC0123456A)`),
  /** Neither registered nor holding backups. */
  UNKNOWN_LAPTOP: errorType('BACKUP_ERR_UNKNOWN_LAPTOP', 404, (serial: string) =>
    `no laptop ${serial} is registered or has backups here`),
  /** No snapshot of that name for that laptop. */
  NO_SNAPSHOT: errorType('BACKUP_ERR_NO_SNAPSHOT', 404, (serial: string, name: string) =>
    `laptop ${serial} has no snapshot ${quote(name)} (names are datastore-YYYY-MM-DD_HH:MM, or latest)`),
  /** No Journal entry with that uid in the snapshot. */
  NO_ENTRY: errorType('BACKUP_ERR_NO_ENTRY', 404, (snapshot: string, uid: string) =>
    `snapshot ${snapshot} holds no Journal entry ${quote(uid)}`),
  /** A paging or `days` parameter out of range. */
  BAD_PARAMETER: errorType('BACKUP_ERR_BAD_PARAMETER', 400, (name: string, why: string) => `${name} ${why}`),
  /** An SSH request other than one exec of an rsync server (shell, pty, sftp, forwarding, agent, env...). */
  REQUEST_REFUSED: errorType('BACKUP_ERR_REQUEST_REFUSED', 403, (what: string) =>
    `${what} is not offered: this endpoint runs only rsync for Journal backup and restore`),
  /** The exec command is not a plain `rsync --server ...` command line. */
  COMMAND_REFUSED: errorType('BACKUP_ERR_COMMAND_REFUSED', 403, (why: string) => `command refused: ${why}`),
  /** An rsync option outside the allow-list. */
  OPTION_REFUSED: errorType('BACKUP_ERR_OPTION_REFUSED', 403, (option: string, why: string) =>
    `rsync option ${quote(option)} refused: ${why}`),
  /** A path other than the laptop's own backup folders (or its completion file). */
  PATH_REFUSED: errorType('BACKUP_ERR_PATH_REFUSED', 403, (path: string, why: string) => `path ${quote(path)} refused: ${why}`),
  /** An upload while the backup volume is nearly full or the laptop is over its quota. */
  BUSY: errorType('BACKUP_ERR_BUSY', 503, (why: string) => `backup refused for now: ${why}`),
  /** The SSH host keys can neither be read nor made. */
  HOST_KEY: errorType('BACKUP_ERR_HOST_KEY', 500, (file: string, why: string) => `SSH host key ${file}: ${why}`),
  /** The SSH endpoint's process could not start, or died (it is started again). */
  SSH_PROCESS: errorType('BACKUP_ERR_SSH_PROCESS', 500, (why: string) => `the SSH endpoint's process ${why}`),
  /** `rsync_path` does not run. */
  NO_RSYNC: errorType('BACKUP_ERR_NO_RSYNC', 500, (path: string, why: string) => `rsync at ${path} cannot be run: ${why}`),
  /** A snapshot could not be made; the previous ones and datastore-latest are untouched. */
  SNAPSHOT_FAILED: errorType('BACKUP_ERR_SNAPSHOT_FAILED', 500, (serial: string, why: string) =>
    `snapshot of ${serial} failed: ${why}`),
  /** The S3 credentials file (or the AWS_* variables) cannot be used. */
  BUCKET_CREDENTIALS: errorType('BACKUP_ERR_BUCKET_CREDENTIALS', 500, (where: string, why: string) => `S3 credentials ${where} ${why}`),
  /** The school's replication key cannot be used. */
  REPLICATION_KEY: errorType('BACKUP_ERR_REPLICATION_KEY', 500, (file: string, why: string) => `replication key ${file} ${why}`),
  /** A replication pass failed; the next one starts over where it stopped. */
  REPLICATION_FAILED: errorType('BACKUP_ERR_REPLICATION_FAILED', 502, (target: string, why: string) =>
    `replication to ${target} failed: ${why}`),
  /** Restoring from the bucket found objects missing or not matching their digest; those files were not written. */
  RESTORE_INCOMPLETE: errorType('BACKUP_ERR_RESTORE_INCOMPLETE', 502, (count: string, target: string) =>
    `${count} file(s) could not be restored from ${target}: missing or corrupt objects (listed above); nothing else was left out`),
  /** Replication is not set up (`[backup] replicate_to` unset). */
  NOT_REPLICATED: errorType('BACKUP_ERR_NOT_REPLICATED', 409, (what: string) => `${what}: [backup] replicate_to is not set`),
} as const;
