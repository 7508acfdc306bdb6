/**
 * sugar-server(8), made from what the built CLI prints for `--help` and for
 * each command's `--help`, so the page never says something the program does not.
 */
import { execFileSync } from 'node:child_process';

const COMMANDS = ['start', 'status', 'plugins', 'check-config', 'init', 'store', 'maintenance', 'feeds', 'fleet', 'diagnostics'];

/** Text as roff shows it verbatim: backslashes doubled, a leading dot or quote kept from being a request. */
function verbatim(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function helpOf(main: string, args: string[]): string {
  return execFileSync(process.execPath, [main, ...args], { encoding: 'utf8' }).trimEnd();
}

/** The page for the CLI at `main` (core/dist/main.js), dated `date` (YYYY-MM-DD). */
export function manPage(main: string, version: string, date: string): string {
  const sections = COMMANDS.map((command) => `.SS ${command}\n.nf\n${verbatim(helpOf(main, [command, '--help']))}\n.fi`);
  return [
    `.TH SUGAR-SERVER 8 "${date}" "sugar-server ${version}" "System Administration"`,
    '.SH NAME',
    'sugar-server \\- school server for Sugar desktops and OLPC XO laptops',
    '.SH SYNOPSIS',
    '.B sugar-server',
    '.I command',
    '.RI [ options ]',
    '.SH DESCRIPTION',
    'The daemon runs as the systemd unit',
    '.BR sugar-server.service ,',
    'as the user',
    '.BR sugar-server .',
    'The same command asks it how it is, switches plugins and checks the configuration.',
    '.PP',
    '.nf',
    verbatim(helpOf(main, ['--help'])),
    '.fi',
    '.SH COMMANDS',
    ...sections,
    '.SH FILES',
    '.TP',
    '.I /etc/sugar-server/sugar-server.conf',
    'the configuration; local changes go in',
    '.IR /etc/sugar-server/conf.d/*.conf .',
    '.TP',
    '.I /var/lib/sugar-server',
    'stores, laptops\\(aq backups and each plugin\\(aqs data.',
    '.TP',
    '.I /run/sugar-server',
    'the running daemon\\(aqs pid and URL.',
    '.SH EXIT STATUS',
    '0 success, 1 failure, 2 wrong usage, 78 the configuration was refused.',
    '.SH SEE ALSO',
    '.BR systemctl (1),',
    '.BR journalctl (1)',
    '',
  ].join('\n');
}
