/** `sugar-server admin url | passwd NAME`: reaching the admin console, and its accounts. */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { setPassword, checkAccountName } from './admin-console/accounts.js';
import { fingerprintOfFile, selfSignedFiles } from './admin-console/certificate.js';
import { readRunningAdmin } from './control.js';
import { ServerErrors } from './errors.js';
import { urlFor } from './listeners.js';
import type { Paths } from './paths.js';
import { readSettings } from './plugins/plan.js';

export const ADMIN_HELP = `Usage: sugar-server admin url
       sugar-server admin passwd NAME

url     where the admin console answers ([admin] address and port), and the
        SHA-256 fingerprint of its certificate: compare it with what the
        browser shows before signing in
passwd  set the password of account NAME (added when new), read twice from the
        terminal, or once from standard input; kept hashed (scrypt) in
        /etc/sugar-server/admin.accounts (mode 0600)`;

export async function adminCommand(paths: Paths, args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  const [action, name, extra] = positionals;
  if (values.help || !action) {
    out(ADMIN_HELP);
    return action || values.help ? 0 : 2;
  }
  if (action === 'url') {
    if (name !== undefined) throw ServerErrors.USAGE(`unexpected argument "${name}"`);
    return adminUrl(paths, out);
  }
  if (action === 'passwd') {
    if (!name) throw ServerErrors.USAGE('admin passwd needs an account name');
    if (extra !== undefined) throw ServerErrors.USAGE(`unexpected argument "${extra}"`);
    checkAccountName(name);
    const password = await readPassword();
    const outcome = await setPassword(paths.etc, name, password);
    out(outcome === 'added' ? `account ${name} added` : `password of ${name} changed`);
    return 0;
  }
  throw ServerErrors.USAGE(`unknown admin action "${action}"; use url or passwd`);
}

async function adminUrl(paths: Paths, out: (line: string) => void): Promise<number> {
  const running = await readRunningAdmin(paths);
  if (running) {
    out(running.url);
    if (running.fingerprint) out(`certificate SHA-256 fingerprint: ${running.fingerprint}`);
    else out('warning: TLS is off ([admin] tls = off): passwords cross the network in the clear');
    return 0;
  }
  const read = await readSettings(paths);
  if (!read.ok) throw ServerErrors.CONFIG([...read.problems]);
  const { admin, http } = read.settings.core;
  if (!admin.enabled) {
    out('the admin console is off ([admin] enabled = off)');
    return 1;
  }
  out(`${urlFor(admin.address ?? http.address, admin.port, admin.tls ? 'https' : 'http')} (no daemon runs now)`);
  const fingerprint = admin.tls ? await fingerprintOfFile(admin.certificate ?? selfSignedFiles(paths.data).cert) : null;
  if (fingerprint) out(`certificate SHA-256 fingerprint: ${fingerprint}`);
  else if (admin.tls) out('the certificate is made at the first start');
  return 0;
}

/** Twice, unechoed, from a terminal; else the first line of standard input. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) return line;
    throw ServerErrors.USAGE('no password on standard input');
  }
  const first = await askHidden('New password: ');
  const second = await askHidden('Again: ');
  if (first !== second) throw ServerErrors.USAGE('the two passwords differ; nothing was changed');
  return first;
}

function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    output._writeToOutput = (text: string) => {
      if (text.startsWith(prompt)) process.stderr.write(prompt);
    };
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
