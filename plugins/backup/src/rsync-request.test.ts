import { describe, expect, it } from 'vitest';
import { splitCommand } from './command-words.js';
import { parseRsyncCommand } from './rsync-request.js';

const limits = { ioTimeoutSeconds: 600, keepAccessTimes: false };
const parse = (command: string) => parseRsyncCommand(splitCommand(command), limits);
const GUARDS = ['--munge-links', '--no-super'];

describe('parseRsyncCommand', () => {
  it('accepts what ds-backup\'s rsync -z -rlt --partial --delete --timeout=160 sends, and adds the guards', () => {
    const request = parse('rsync --server -ltrze.iLsfxCIvu --timeout=160 --delete --partial . datastore-current');
    expect(request).toEqual({
      mode: 'receive',
      options: ['-ltrze.iLsfxCIvu', '--delete', '--partial', ...GUARDS, '--chmod=ugo-st', '--timeout=160'],
      paths: ['datastore-current'],
      dropped: [],
    });
  });

  it('accepts the completion copy and does not pass on its -T /tmp', () => {
    const request = parse('rsync --server -ltrze.iLsfxCIvu --timeout=10 --temp-dir /tmp . /var/lib/ds-backup/completion/SHC0123456A');
    expect(request.options).not.toContain('--temp-dir');
    expect(request.options.join(' ')).not.toMatch(/tmp/);
    expect(request.dropped).toEqual(['--temp-dir=/tmp']);
    expect(request.paths).toEqual(['/var/lib/ds-backup/completion/SHC0123456A']);
  });

  it('accepts older clients\' -rlt without a capability string', () => {
    expect(parse('rsync --server -ltrz --timeout=160 --delete --partial . datastore-current').options[0]).toBe('-ltrz');
  });

  it.each([
    ['-p (permissions)', '-ltprze.iLsfxCIvu'],
    ['-a as older clients send it', '-logDtprz'],
    ['-E (executability)', '-ltErze.iLsfxCIvu'],
    ['-o (owner)', '-ltorze.iLsfxCIvu'],
    ['-g (group)', '-ltgrze.iLsfxCIvu'],
    ['-c (checksums: a match keeps the file and -t sets its time in place)', '-ltcrze.iLsfxCIvu'],
    ['-U (access times)', '-ltUrze.iLsfxCIvu'],
    ['-H (hard links)', '-ltHrze.iLsfxCIvu'],
    ['-D (devices and specials)', '-ltDrze.iLsfxCIvu'],
  ])('refuses in an upload what would change a file snapshots share: %s', (_what, bundle) => {
    expect(() => parse(`rsync --server ${bundle} . datastore-current`)).toThrow(expect.objectContaining({ code: 'BACKUP_ERR_OPTION_REFUSED', message: expect.stringMatching(/snapshot|device|special/) }));
  });

  it('lets a restore read with -p, -o, -g, -c, -E, -U and -H, which change nothing on the server', () => {
    expect(parse('rsync --server --sender -logtpcEUHrze.iLsfxCIvu . datastore-latest/').options[0]).toBe('-logtpcEUHrze.iLsfxCIvu');
  });

  it.each([
    ['an upload', 'rsync --server -ltDre.iLsfxCIvu . documents'],
    ['a restore', 'rsync --server --sender -ltDre.iLsfxCIvu . datastore-latest/'],
    ['--specials', 'rsync --server -ltre.iLsfxCIvu --specials . documents'],
    ['--devices', 'rsync --server -ltre.iLsfxCIvu --devices . documents'],
  ])('refuses devices and special files in %s', (_what, command) => {
    expect(() => parse(command)).toThrow(expect.objectContaining({ code: 'BACKUP_ERR_OPTION_REFUSED' }));
  });

  it.each([
    ['--size-only', 'rsync --server -ltre.iLsfxCIvu --size-only . datastore-current'],
    ['--executability', 'rsync --server -ltre.iLsfxCIvu --executability . datastore-current'],
    ['--atimes', 'rsync --server -ltre.iLsfxCIvu --atimes . datastore-current'],
    ['--hard-links', 'rsync --server -ltre.iLsfxCIvu --hard-links . datastore-current'],
  ])('refuses the long form %s in an upload', (_what, command) => {
    expect(() => parse(command)).toThrow(expect.objectContaining({ code: 'BACKUP_ERR_OPTION_REFUSED' }));
  });

  it('reads a restore: --sender right after --server, one or more sources', () => {
    const request = parse('rsync --server --sender -ltrze.iLsfxCIvu --timeout=160 . datastore-latest/');
    expect(request.mode).toBe('send');
    expect(request.options).toEqual(['-ltrze.iLsfxCIvu', ...GUARDS, '--timeout=160']);
    expect(request.paths).toEqual(['datastore-latest/']);
  });

  it('reads files without touching their access times when the server may (root)', () => {
    const quiet = (command: string) => parseRsyncCommand(splitCommand(command), { ...limits, keepAccessTimes: true }).options;
    expect(quiet('rsync --server --sender -ltre.iLsfxCIvu . datastore-latest/')).toContain('--open-noatime');
    expect(quiet('rsync --server -ltre.iLsfxCIvu . datastore-current')).toContain('--open-noatime');
    expect(parse('rsync --server -ltre.iLsfxCIvu . datastore-current').options).not.toContain('--open-noatime');
  });

  it('holds the I/O timeout to the server\'s: none or a longer one from the client becomes io_timeout', () => {
    expect(parse('rsync --server -r . x').options.at(-1)).toBe('--timeout=600');
    expect(parse('rsync --server -r --timeout=0 . x').options.at(-1)).toBe('--timeout=600');
    expect(parse('rsync --server -r --timeout=9999 . x').options.at(-1)).toBe('--timeout=600');
    expect(parse('rsync --server -r --timeout 10 . x').options.at(-1)).toBe('--timeout=10');
  });

  it('passes harmless options on with their values checked', () => {
    expect(parse('rsync --server -ltre.iLsfxCIvu --log-format=%i --max-delete=5 --compress-level=3 --stats . x').options)
      .toEqual(['-ltre.iLsfxCIvu', '--log-format=%i', '--max-delete=5', '--compress-level=3', '--stats', ...GUARDS, '--chmod=ugo-st', '--timeout=600']);
    expect(() => parse('rsync --server --max-delete=lots . x')).toThrow(/not a value it takes/);
    expect(() => parse('rsync --server --delete=yes . x')).toThrow(/takes no value/);
  });

  it.each([
    ['--inplace', 'rsync --server -r --inplace . datastore-current'],
    ['--append', 'rsync --server -r --append . datastore-current'],
    ['--append-verify', 'rsync --server -r --append-verify . datastore-current'],
    ['--backup-dir', 'rsync --server -r --backup-dir /tmp . datastore-current'],
    ['--compare-dest', 'rsync --server -r --compare-dest=../OTHER . datastore-current'],
    ['--copy-dest', 'rsync --server -r --copy-dest /etc . datastore-current'],
    ['--link-dest', 'rsync --server -r --link-dest=/etc . datastore-current'],
    ['--partial-dir', 'rsync --server -r --partial-dir /tmp . datastore-current'],
    ['--files-from', 'rsync --server -r --files-from=/etc/shadow . datastore-current'],
    ['--write-batch', 'rsync --server -r --write-batch=/tmp/b . datastore-current'],
    ['--read-batch', 'rsync --server -r --read-batch=/tmp/b . datastore-current'],
    ['--log-file', 'rsync --server -r --log-file=/etc/cron.d/x . datastore-current'],
    ['--rsync-path', 'rsync --server -r --rsync-path=sh . datastore-current'],
    ['--rsh', 'rsync --server -r --rsh=sh . datastore-current'],
    ['--filter', 'rsync --server -r --filter=merge\\ /etc/passwd . datastore-current'],
    ['--exclude-from', 'rsync --server -r --exclude-from=/etc/shadow . datastore-current'],
    ['--protect-args', 'rsync --server --protect-args'],
    ['--daemon', 'rsync --server --daemon . x'],
    ['--copy-unsafe-links', 'rsync --server --sender -r --copy-unsafe-links . datastore-latest'],
    ['--remove-source-files', 'rsync --server --sender -r --remove-source-files . datastore-latest'],
    ['--super', 'rsync --server -r --super . datastore-current'],
    ['--chmod', 'rsync --server -r --chmod=u+s . datastore-current'],
    ['an unknown long option', 'rsync --server -r --frobnicate . datastore-current'],
  ])('refuses %s', (_what, command) => {
    expect(() => parse(command)).toThrow(expect.objectContaining({ code: 'BACKUP_ERR_OPTION_REFUSED' }));
  });

  it.each([
    ['-K (follow symlinked folders)', '-lKtre.iLsfxCIvu'],
    ['-L (follow symlinks)', '-lLtre.iLsfxCIvu'],
    ['-k', '-lktre.iLsfxCIvu'],
    ['-b (backups)', '-bltre.iLsfxCIvu'],
    ['-R (relative paths)', '-ltrRe.iLsfxCIvu'],
    ['-s (protected arguments)', '-sltre.iLsfxCIvu'],
    ['-X (extended attributes)', '-ltXre.iLsfxCIvu'],
    ['-A (ACLs)', '-ltpAre.iLsfxCIvu'],
    ['-T', '-T'],
    ['-e starting a remote shell', '-e'],
    ['-e with a command instead of capabilities', '-esh'],
    ['an unknown letter', '-lt5'],
  ])('refuses the short option %s', (_what, bundle) => {
    expect(() => parse(`rsync --server ${bundle} . datastore-current`)).toThrow(expect.objectContaining({ code: 'BACKUP_ERR_OPTION_REFUSED' }));
  });

  it.each([
    ['another program', 'sh -c id'],
    ['rsync by another path', '/usr/bin/rsync --server . x'],
    ['an rsync that is not a server', 'rsync -a / /tmp/x'],
    ['--sender anywhere but second', 'rsync --server -r --sender . x'],
    ['no "." before the paths', 'rsync --server -r datastore-current'],
    ['two upload destinations', 'rsync --server -r . datastore-current documents'],
    ['an option after "."', 'rsync --server . --delete x'],
    ['an empty command', ''],
  ])('refuses %s', (_what, command) => {
    expect(() => parse(command)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^BACKUP_ERR_(COMMAND|OPTION)_REFUSED$/) }));
  });

  it('treats words after "." as paths, never as options', () => {
    expect(parse('rsync --server -r . --delete').paths).toEqual(['--delete']);
  });
});
