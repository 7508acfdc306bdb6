import { describe, expect, it } from 'vitest';
import { splitCommand } from './command-words.js';

describe('splitCommand', () => {
  it('splits what an rsync client sends into words', () => {
    expect(splitCommand('rsync --server -ltrze.iLsfxCIvu --timeout=160 --delete --partial . datastore-current')).toEqual([
      'rsync', '--server', '-ltrze.iLsfxCIvu', '--timeout=160', '--delete', '--partial', '.', 'datastore-current',
    ]);
    expect(splitCommand('  rsync\t--server   .  x ')).toEqual(['rsync', '--server', '.', 'x']);
  });

  it('honours the backslash escapes rsync 3.2.4 and later send', () => {
    expect(splitCommand('rsync --server . a\\ b c\\;d')).toEqual(['rsync', '--server', '.', 'a b', 'c;d']);
  });

  it.each([
    ['a command separator', 'rsync --server . x; rm -rf /'],
    ['a pipe', 'rsync --server . x | sh'],
    ['a substitution', 'rsync --server . $(id)'],
    ['backquotes', 'rsync --server . `id`'],
    ['a variable', 'rsync --server . $HOME'],
    ['quotes', "rsync --server . 'x'"],
    ['a glob', 'rsync --server . datastore-*'],
    ['a redirection', 'rsync --server . x > /etc/passwd'],
    ['a tilde', 'rsync --server . ~root'],
    ['a newline', 'rsync --server . x\nid'],
    ['a lone backslash at the end', 'rsync --server . x\\'],
  ])('refuses %s', (_what, command) => {
    expect(() => splitCommand(command)).toThrow(expect.objectContaining({ code: 'BACKUP_ERR_COMMAND_REFUSED' }));
  });

  it('refuses a command longer than any rsync server command line', () => {
    expect(() => splitCommand(`rsync --server . ${'x'.repeat(5000)}`)).toThrow(/longer than/);
  });
});
