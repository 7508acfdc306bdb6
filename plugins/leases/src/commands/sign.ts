/** `sugar-server leases sign`: print a new lease line signed with the deployment's own key. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { LeasesConfig } from '../config.js';
import { readSigningKey } from '../keys.js';
import { signRequest } from '../sign-request.js';

/** `sugar-server leases sign`. */
export const signCommand: PluginCommand<LeasesConfig> = {
  summary: 'print a lease signed with the deployment key (needs no running daemon)',
  usage: `sugar-server leases sign --serial SN --uuid UUID --expires DATE [--key FILE]

Prints one lease line, "act01: SN K EXP sig01: sha256 KEYID SIG". To store it
on the server, import the output or use POST /leases/v1/sign.
  --serial SN     the laptop's serial number
  --uuid UUID     its machine UUID, exactly as in its manufacturing data (U#)
  --expires DATE  YYYY-MM-DD (end of that day, UTC), an ISO 8601 time, or +30d
  --key FILE      private key (PEM or DER); default [leases] signing_key`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        serial: { type: 'string' },
        uuid: { type: 'string' },
        expires: { type: 'string' },
        key: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    for (const name of ['serial', 'uuid', 'expires'] as const) {
      if (values[name] === undefined) throw ServerErrors.USAGE(`sign needs --${name}`);
    }
    const keyFile = values.key ?? ctx.config.signing_key;
    if (!keyFile) throw ServerErrors.USAGE('sign needs --key FILE, or [leases] signing_key in the configuration');
    const key = await readSigningKey(resolve(keyFile));
    const { lease } = signRequest({ serial: values.serial, uuid: values.uuid, expires: values.expires }, key, Date.now());
    // out() ends the line itself: the printed text is the lease line, newline included.
    ctx.out(lease.text.slice(0, -1));
    return 0;
  },
};
