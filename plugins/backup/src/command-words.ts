/**
 * The command an SSH client asks to exec arrives as one string, which sshd
 * would hand to the user's shell. No shell runs here: the string is split into
 * words the way a shell splits a plain command line, and anything that would
 * make a shell do more than that (quotes, variables, globs, redirections,
 * command separators) is refused. rsync 3.2.4 and later escapes such
 * characters in the arguments it sends with a backslash, which is honoured;
 * older clients send plain words.
 */
import { BackupErrors } from './errors.js';

/** Longest command accepted; an rsync server command line is far shorter. */
export const MAX_COMMAND_LENGTH = 4096;
/** Characters a shell would act on when they are not escaped. */
const SHELL_SYNTAX = /[;&|<>()$`'"*?[\]{}~#!\n\r\\]/;
const BLANK = /[ \t]/;

/** Split `command` into words; throws BACKUP_ERR_COMMAND_REFUSED when it needs a shell to mean anything. */
export function splitCommand(command: string): string[] {
  if (command.length > MAX_COMMAND_LENGTH) throw BackupErrors.COMMAND_REFUSED(`longer than ${MAX_COMMAND_LENGTH} characters`);
  if (/[\0-\x08\x0a-\x1f\x7f]/.test(command)) throw BackupErrors.COMMAND_REFUSED('it holds control characters');
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!;
    if (BLANK.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (char === '\\') {
      const next = command[++i];
      if (next === undefined) throw BackupErrors.COMMAND_REFUSED('it ends in a lone backslash');
      word = (word ?? '') + next;
    } else if (SHELL_SYNTAX.test(char)) {
      throw BackupErrors.COMMAND_REFUSED(`shell syntax (${JSON.stringify(char)}) is not run here; only a plain rsync server command is`);
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
