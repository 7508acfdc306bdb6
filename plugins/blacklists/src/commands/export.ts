/** `sugar-server blacklists export --format dnsmasq|unbound|rpz`: the blocked domains as DNS configuration. */
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import { BlacklistIndex } from '../index/blacklist-index.js';
import type { BlacklistsConfig } from '../config.js';
import { exportDns, exportFormat } from '../export/dns-export.js';
import { BlacklistsErrors } from '../errors.js';
import { ALLOW_FILE, BLOCK_FILE, indexFile } from '../paths.js';

/** `sugar-server blacklists export`. */
export const exportCommand: PluginCommand<BlacklistsConfig> = {
  summary: 'write the blocked domains as dnsmasq, unbound or RPZ configuration (reads the index on disk)',
  usage: `sugar-server blacklists export --format dnsmasq|unbound|rpz [--output FILE] [--address IP]

Writes one line (two for RPZ) per blocked domain, leaving out subdomains of
blocked domains, and the school's allow list as exceptions. URL entries,
expressions, IP addresses and categories with time windows cannot be said in
DNS and are left out.
  --format F     dnsmasq (address=/d/), unbound (local-zone: always_nxdomain) or rpz (CNAME .)
  --output FILE  write there (atomically) instead of to stdout
  --address IP   answer names of block-page categories with IP (this server) instead of NXDOMAIN`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { format: { type: 'string' }, output: { type: 'string' }, address: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    if (!values.format) throw ServerErrors.USAGE('export needs --format dnsmasq, unbound or rpz');
    const format = exportFormat(values.format);
    if (values.address !== undefined && !isIP(values.address)) throw ServerErrors.USAGE(`--address takes an IP address, not "${values.address}"`);
    const index = await BlacklistIndex.load(indexFile(ctx.dataDir)).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? BlacklistsErrors.NO_INDEX() : err;
    });
    const lines = Readable.from(exportDns(index, {
      format,
      address: values.address,
      allowFile: join(ctx.etcDir, ALLOW_FILE),
      blockFile: join(ctx.etcDir, BLOCK_FILE),
    }));
    if (!values.output) {
      // A reader that stops early (`| head`) is not an error.
      await pipeline(lines, process.stdout, { end: false }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
      });
      return 0;
    }
    const output = resolve(values.output);
    await pipeline(lines, createWriteStream(`${output}.part`));
    await rename(`${output}.part`, output);
    ctx.err(`wrote ${output}`);
    return 0;
  },
};
