/**
 * What the SSH client asked rsync to do, checked against an allow-list. An
 * rsync client runs `rsync --server [--sender] <options> . <paths>` on the far
 * side; this reads those words, refuses every option that would reach past the
 * transfer (other folders, files on the server, symlinks followed, files that
 * snapshots share written or changed in place, devices and special files), and
 * rebuilds the option list the server's rsync will run with, adding the
 * server's own guards.
 *
 * Options as rsync 3.x clients send them: short options in bundles (`-ltrz`,
 * with `e.<capabilities>` last), long options as `--name=value` or `--name value`.
 */
import { BackupErrors } from './errors.js';

/** `receive`: the laptop uploads (the server's rsync receives); `send`: the laptop restores. */
export type RsyncMode = 'receive' | 'send';

export interface RsyncRequest {
  readonly mode: RsyncMode;
  /** Options for the server's rsync, checked and rebuilt, guards included; `--server` and paths not included. */
  readonly options: readonly string[];
  /** The paths the client named, unchecked (see rsync-paths.ts). */
  readonly paths: readonly string[];
  /** Options accepted and not passed on. */
  readonly dropped: readonly string[];
}

export interface RequestLimits {
  /** The server's I/O timeout; a client asking for none or a longer one gets this. */
  readonly ioTimeoutSeconds: number;
  /**
   * Open files with O_NOATIME (`--open-noatime`): a restore, and an upload
   * reading the old copy of a changed file, then leave the access time of a
   * file every snapshot shares. Only for a server's rsync that may open any
   * file so (root): for another user, the open fails on a file it does not own.
   */
  readonly keepAccessTimes: boolean;
}

/**
 * Always added. `--munge-links`: symlinks are stored with a prefix that points
 * nowhere and given back as sent on restore, so no symlink from a laptop ever
 * resolves on the server. `--no-super`: the daemon may run as root, but
 * rsync must not chown, make devices or set privileged attributes for a laptop.
 */
const GUARDS = ['--munge-links', '--no-super'];
/** Upload only: never set-user/group-id or sticky bits on a file from a laptop. */
const RECEIVE_GUARDS = ['--chmod=ugo-st'];

const MAX_WORDS = 64;
const MAX_SEND_PATHS = 16;

/** Short options passed on (those below refused in uploads aside). */
// -C (--cvs-exclude) only filters: CVS's default patterns plus .cvsignore files in the
// laptop's own folders ($HOME/.cvsignore is the server's empty HOME, CVSIGNORE is not in
// rsync's bare environment). It can leave out, or keep from --delete, files of the
// laptop's own, never reach another folder; see the README's Confinement section.
const SHORT_KEPT = new Set('ltrzvncudxIWmOJSHyEUqogpC');
/**
 * Why an upload may not change a file in place. A file rsync finds unchanged
 * is left where it is, and it is the same inode as the file in every snapshot
 * taken since it arrived: setting anything on it would change those snapshots
 * too. A file whose content changed is written anew and renamed over the old
 * name, which leaves the snapshots' inode alone; so `-t` is safe, as long as
 * nothing else makes rsync keep a file whose time differs.
 */
const IN_PLACE = 'it would change files in place that earlier snapshots share by hard links';
const SHORT_REFUSED_IN_UPLOADS: Readonly<Record<string, string>> = {
  p: `permissions are not kept: ${IN_PLACE}`,
  E: `executability is not kept: ${IN_PLACE}`,
  o: `owners are not kept: ${IN_PLACE}`,
  g: `groups are not kept: ${IN_PLACE}`,
  U: `access times are not kept: ${IN_PLACE}`,
  c: `a file whose checksum matches would be kept with its time set anew: ${IN_PLACE}`,
  H: 'hard links are not kept: new names would be linked to files earlier snapshots hold',
};
const NO_SPECIALS = 'devices and special files (FIFOs, sockets) are not backed up';
const SHORT_REFUSED: Readonly<Record<string, string>> = {
  D: NO_SPECIALS,
  K: 'it would follow symlinked folders on the server',
  L: 'it would follow symlinks on the server',
  k: 'it would follow symlinked folders on the server',
  b: 'backups would be written beside the laptop\'s files',
  R: 'relative paths could name places outside the laptop\'s folder',
  s: 'protected arguments hide the paths from checking (run rsync without --protect-args or RSYNC_PROTECT_ARGS)',
  A: 'ACLs are not kept',
  X: 'extended attributes are not kept',
  N: 'creation times are not kept',
  T: 'the server chooses where its temporary files go',
};
const CAPABILITIES = /^\.[A-Za-z]*$/;

type ValueCheck = (value: string) => boolean;
const WHOLE: ValueCheck = (v) => /^-?\d{1,9}$/.test(v);
const SIZE: ValueCheck = (v) => /^\d{1,12}(?:\.\d{1,6})?[bkmgtpBKMGTP]?[bB]?(?:[+-]1)?$/.test(v);
const WORDS: ValueCheck = (v) => /^[A-Za-z0-9,_-]{1,64}$/.test(v);
const PRINTABLE: ValueCheck = (v) => /^[\x20-\x7e]{1,100}$/.test(v);

/** Long options passed on: null takes no value, else the check its value must pass. */
const LONG_KEPT: Readonly<Record<string, ValueCheck | null>> = {
  '--delete': null,
  '--delete-before': null,
  '--delete-during': null,
  '--delete-after': null,
  '--delete-delay': null,
  '--delete-excluded': null,
  '--partial': null,
  // Refused in uploads (below); a restore only reads.
  '--size-only': null,
  '--ignore-existing': null,
  '--existing': null,
  '--ignore-missing-args': null,
  '--numeric-ids': null,
  '--force': null,
  '--ignore-errors': null,
  '--safe-links': null,
  '--delay-updates': null,
  '--stats': null,
  '--mkpath': null,
  '--open-noatime': null,
  '--preallocate': null,
  '--new-compress': null,
  '--old-compress': null,
  '--max-delete': WHOLE,
  '--compress-level': WHOLE,
  '--modify-window': WHOLE,
  '--checksum-seed': WHOLE,
  '--bwlimit': SIZE,
  '--min-size': SIZE,
  '--max-size': SIZE,
  '--compress-choice': WORDS,
  '--checksum-choice': WORDS,
  // Formats the lines the server's rsync sends back to the client (`-i` sends `%i`).
  '--log-format': PRINTABLE,
  '--out-format': PRINTABLE,
};

/**
 * ds-backup sends `-T /tmp` with its completion file so that the temporary
 * file is not made in the watched folder. The server chooses where its own
 * temporary files go (beside the file, in the laptop's folder), so the
 * client's choice is read and not passed on.
 */
const LONG_DROPPED = new Set(['--temp-dir']);

/** Long options with no short form that an upload may not use, for what the server's rsync would do with them. */
const LONG_REFUSED_IN_UPLOADS: Readonly<Record<string, string>> = {
  '--size-only': `a file of the same size would be kept with its time set anew: ${IN_PLACE}`,
};

const LONG_REFUSED: Readonly<Record<string, string>> = {
  '--devices': NO_SPECIALS,
  '--specials': NO_SPECIALS,
  '--perms': SHORT_REFUSED_IN_UPLOADS.p!,
  '--executability': SHORT_REFUSED_IN_UPLOADS.E!,
  '--owner': SHORT_REFUSED_IN_UPLOADS.o!,
  '--group': SHORT_REFUSED_IN_UPLOADS.g!,
  '--atimes': SHORT_REFUSED_IN_UPLOADS.U!,
  '--checksum': SHORT_REFUSED_IN_UPLOADS.c!,
  '--hard-links': SHORT_REFUSED_IN_UPLOADS.H!,
  '--crtimes': 'creation times are not kept',
  '--acls': 'ACLs are not kept',
  '--xattrs': 'extended attributes are not kept',
  '--inplace': 'files are shared with snapshots by hard links and must never be written in place',
  '--append': 'files are shared with snapshots by hard links and must never be written in place',
  '--append-verify': 'files are shared with snapshots by hard links and must never be written in place',
  '--write-devices': 'it would write into devices on the server',
  '--copy-devices': 'it would read devices on the server',
  '--backup': 'backups would be written beside the laptop\'s files',
  '--backup-dir': 'it names a folder on the server',
  '--suffix': 'backups are not made here',
  '--compare-dest': 'it names a folder on the server',
  '--copy-dest': 'it names a folder on the server',
  '--link-dest': 'it names a folder on the server',
  '--partial-dir': 'it names a folder on the server (--partial keeps partial files in place)',
  '--remove-source-files': 'snapshots are never deleted by a transfer',
  '--files-from': 'it would read a file on the server',
  '--exclude-from': 'it would read a file on the server',
  '--include-from': 'it would read a file on the server',
  '--filter': 'filter rules may read files on the server; rsync sends them over the connection, not here',
  '--exclude': 'filter rules travel over the connection, not on the command line',
  '--include': 'filter rules travel over the connection, not on the command line',
  '--write-batch': 'it would write a file on the server',
  '--only-write-batch': 'it would write a file on the server',
  '--read-batch': 'it would read a file on the server',
  '--log-file': 'it would write a file on the server',
  '--log-file-format': 'the server keeps its own log',
  '--rsh': 'the server starts no other program',
  '--rsync-path': 'the server starts no other program',
  '--copy-links': 'it would follow symlinks on the server',
  '--copy-dirlinks': 'it would follow symlinked folders on the server',
  '--keep-dirlinks': 'it would follow symlinked folders on the server',
  '--copy-unsafe-links': 'it would follow symlinks out of the snapshot',
  '--relative': 'relative paths could name places outside the laptop\'s folder',
  '--super': 'the server\'s rsync never acts as the super-user for a laptop',
  '--fake-super': 'extended attributes are not kept',
  '--protect-args': 'protected arguments hide the paths from checking',
  '--secluded-args': 'protected arguments hide the paths from checking',
  '--daemon': 'this is not an rsync daemon',
  '--config': 'it would read a file on the server',
  '--chmod': 'the server sets permissions itself',
  '--chown': 'ownership is not kept',
  '--usermap': 'ownership is not kept',
  '--groupmap': 'ownership is not kept',
  '--copy-as': 'the server runs rsync as itself',
  '--iconv': 'file names are kept as sent',
  '--early-input': 'it would read a file on the server',
};

/** Read `rsync --server [--sender] <options> . <paths>`; throws a `BACKUP_ERR_*` refusal saying what is wrong. */
export function parseRsyncCommand(words: readonly string[], limits: RequestLimits): RsyncRequest {
  if (words.length > MAX_WORDS) throw BackupErrors.COMMAND_REFUSED(`more than ${MAX_WORDS} words`);
  if (words[0] !== 'rsync') {
    throw BackupErrors.COMMAND_REFUSED(`${words[0] === undefined ? 'an empty command' : `"${words[0]}"`} is not run here; only rsync (invoked as plain "rsync") is`);
  }
  if (words[1] !== '--server') throw BackupErrors.COMMAND_REFUSED('only an rsync server ("rsync --server ...", what an rsync client starts over SSH) is run here');
  const mode: RsyncMode = words[2] === '--sender' ? 'send' : 'receive';
  const options: string[] = [];
  const dropped: string[] = [];
  let timeout = 0;
  let at = mode === 'send' ? 3 : 2;

  for (; at < words.length && words[at] !== '.'; at++) {
    const word = words[at]!;
    if (word === '--sender') throw BackupErrors.OPTION_REFUSED(word, 'it must come right after --server');
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word : word.slice(0, eq);
      const takeValue = () => {
        if (eq >= 0) return word.slice(eq + 1);
        const next = words[++at];
        if (next === undefined || next === '.') throw BackupErrors.OPTION_REFUSED(word, 'it needs a value');
        return next;
      };
      if (name === '--timeout') {
        const value = takeValue();
        if (!/^\d{1,9}$/.test(value)) throw BackupErrors.OPTION_REFUSED(word, 'the timeout is not a number of seconds');
        timeout = Number(value);
      } else if (LONG_DROPPED.has(name)) {
        dropped.push(`${name}=${takeValue()}`);
      } else if (mode === 'receive' && Object.hasOwn(LONG_REFUSED_IN_UPLOADS, name)) {
        throw BackupErrors.OPTION_REFUSED(name, LONG_REFUSED_IN_UPLOADS[name]!);
      } else if (Object.hasOwn(LONG_KEPT, name)) {
        const check = LONG_KEPT[name]!;
        if (check === null) {
          if (eq >= 0) throw BackupErrors.OPTION_REFUSED(word, 'it takes no value');
          options.push(name);
        } else {
          const value = takeValue();
          if (!check(value)) throw BackupErrors.OPTION_REFUSED(word, `${JSON.stringify(value)} is not a value it takes`);
          options.push(`${name}=${value}`);
        }
      } else {
        throw BackupErrors.OPTION_REFUSED(name, Object.hasOwn(LONG_REFUSED, name) ? LONG_REFUSED[name]! : 'not an option this endpoint accepts');
      }
    } else if (word.startsWith('-') && word.length > 1) {
      options.push(shortBundle(word, mode));
    } else {
      throw BackupErrors.COMMAND_REFUSED(`"${word}" comes before the "." that separates options from paths`);
    }
  }
  if (words[at] !== '.') throw BackupErrors.COMMAND_REFUSED('no "." separating options from paths');
  const paths = words.slice(at + 1);
  if (mode === 'receive' && paths.length !== 1) throw BackupErrors.COMMAND_REFUSED(`an upload names one destination, not ${paths.length}`);
  if (mode === 'send' && (paths.length < 1 || paths.length > MAX_SEND_PATHS)) {
    throw BackupErrors.COMMAND_REFUSED(`a restore names 1 to ${MAX_SEND_PATHS} sources, not ${paths.length}`);
  }
  const seconds = timeout > 0 && timeout <= limits.ioTimeoutSeconds ? timeout : limits.ioTimeoutSeconds;
  options.push(...GUARDS, ...(mode === 'receive' ? RECEIVE_GUARDS : []), ...(limits.keepAccessTimes ? ['--open-noatime'] : []), `--timeout=${seconds}`);
  return { mode, options, paths, dropped };
}

/** One bundle of short options, e.g. `-ltrze.iLsfxCIvu`; returned as is once every letter passes. */
function shortBundle(word: string, mode: RsyncMode): string {
  for (let i = 1; i < word.length; i++) {
    const letter = word[i]!;
    if (letter === 'e') {
      // `e` carries the client's protocol capabilities to the server, and must end the bundle.
      if (!CAPABILITIES.test(word.slice(i + 1))) throw BackupErrors.OPTION_REFUSED(word, '-e here only carries protocol capabilities (".iLsfxCIvu"); the server starts no remote shell');
      return word;
    }
    if (Object.hasOwn(SHORT_REFUSED, letter)) throw BackupErrors.OPTION_REFUSED(`-${letter}`, SHORT_REFUSED[letter]!);
    if (mode === 'receive' && Object.hasOwn(SHORT_REFUSED_IN_UPLOADS, letter)) throw BackupErrors.OPTION_REFUSED(`-${letter}`, SHORT_REFUSED_IN_UPLOADS[letter]!);
    if (!SHORT_KEPT.has(letter)) throw BackupErrors.OPTION_REFUSED(`-${letter}`, 'not an option this endpoint accepts');
  }
  return word;
}
