/**
 * `sugar-server feeds`: make keys, sign the list of online keys with the root
 * key, and carry feeds on a disk (export on the Mothership, import at a school).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adminFetcher, adminJsonOf } from './commands.js';
import { option } from './config/options.js';
import { readRunningUrl } from './control.js';
import { ServerErrors } from './errors.js';
import {
  exportFeeds,
  generateSigningKey,
  KEYS_FILE,
  makeKeysDocument,
  readPublicKeys,
  readSigningKey,
  signatureFile,
  SIGNATURE_SUFFIX,
  type ImportReport,
} from './feeds/index.js';
import type { Paths } from './paths.js';
import { writeFileAtomically } from './storage/durable.js';

export const FEEDS_HELP = `Usage: sugar-server feeds keygen FILE [--comment TEXT]
       sugar-server feeds sign-keys --root-key ROOT_KEY --out DIR [--lifetime 365d] [--key-lifetime 90d] PUBLIC_KEY_FILE...
       sugar-server feeds export DIR [--feeds NAME,...] [--from URL]
       sugar-server feeds import DIR

keygen     make an ed25519 key pair: FILE (private, mode 0600, never overwritten)
           and FILE.pub (one line, for [feeds] trusted_keys or sign-keys)
sign-keys  with the offline root key, sign DIR/keys.json naming the online keys
           whose .pub files are given; its version is one above the keys.json
           already in DIR. Copy both files to the Mothership's [feeds] keys_file.
export     write every feed the running daemon (or --from URL) publishes to
           DIR/sugar-server-feeds/, laid out as over HTTP, checked file by file
import     apply the feeds on a disk (DIR or DIR/sugar-server-feeds) with the
           same checks as over the network; nothing is applied unless every
           feed on the disk that this server mirrors holds`;

const DAY_MS = 86_400_000;

export async function feedsCommand(paths: Paths, args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      comment: { type: 'string' },
      'root-key': { type: 'string' },
      out: { type: 'string' },
      lifetime: { type: 'string' },
      'key-lifetime': { type: 'string' },
      feeds: { type: 'string' },
      from: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...rest] = positionals;
  if (values.help || !action) {
    out(FEEDS_HELP);
    return action || values.help ? 0 : 2;
  }
  const one = (what: string) => {
    if (rest.length !== 1) throw ServerErrors.USAGE(`feeds ${action} needs ${what}`);
    return rest[0]!;
  };
  switch (action) {
    case 'keygen': {
      const file = one('the file to write the private key to');
      const line = await generateSigningKey(file, values.comment ?? '');
      out(`wrote ${file} (private, keep it safe) and ${file}.pub:`);
      out(line);
      return 0;
    }
    case 'sign-keys':
      return signKeys(values, rest, out);
    case 'export': {
      const dir = one('the folder to write to (a disk\'s mount point)');
      const from = values.from ?? (await readRunningUrl(paths));
      if (!from) throw ServerErrors.NOT_RUNNING(paths.run, 'no running daemon to export from; give --from URL');
      const only = values.feeds ? values.feeds.split(',').map((n) => n.trim()).filter(Boolean) : null;
      const report = await exportFeeds(from, dir, only, AbortSignal.timeout(3_600_000));
      for (const feed of report.feeds) {
        out(`${feed.name}: version ${feed.version ?? '-'}, ${feed.files} files, ${feed.bytes} bytes, ${feed.signed ? 'signed' : 'UNSIGNED'}`);
      }
      out(`wrote ${report.folder}${report.keys ? ' (with keys.json)' : ''}`);
      return 0;
    }
    case 'import': {
      // The daemon reads the folder, from its own working directory: hand it an absolute path.
      const dir = resolve(one('the folder of the disk'));
      const report = await adminJsonOf(adminFetcher(paths), [422])<ImportReport>('/core/v1/feeds/import', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ dir }),
        signal: AbortSignal.timeout(3_600_000),
      });
      for (const feed of report.feeds) {
        const versions = feed.toVersion !== undefined ? ` (version ${feed.fromVersion ?? '-'} -> ${feed.toVersion ?? '-'}; ${feed.added} added, ${feed.changed} changed, ${feed.removed} removed)` : '';
        out(`${feed.name}: ${feed.outcome}${versions}${feed.error ? `: ${feed.error.code ?? 'error'}: ${feed.error.message}` : ''}`);
      }
      out(report.ok ? `imported from ${report.dir}` : `nothing applied from ${report.dir}`);
      return report.ok ? 0 : 1;
    }
    default:
      throw ServerErrors.USAGE(`unknown feeds action "${action}"; use keygen, sign-keys, export or import`);
  }
}

async function signKeys(values: Record<string, string | boolean | undefined>, publicFiles: string[], out: (line: string) => void): Promise<number> {
  const rootFile = values['root-key'] as string | undefined;
  const dir = values.out as string | undefined;
  if (!rootFile || !dir || !publicFiles.length) throw ServerErrors.USAGE('feeds sign-keys needs --root-key ROOT_KEY, --out DIR and at least one public key file');
  const lifetime = duration('--lifetime', values.lifetime as string | undefined, 365 * DAY_MS);
  const keyLifetime = duration('--key-lifetime', values['key-lifetime'] as string | undefined, lifetime);
  const root = await readSigningKey(rootFile);
  const keys = (await Promise.all(publicFiles.map((file) => readPublicKeys(file)))).flat();
  await mkdir(dir, { recursive: true });
  const target = join(dir, KEYS_FILE);
  const previous = await readFile(target, 'utf8').then((text) => (JSON.parse(text) as { version?: unknown }).version, () => 0);
  const version = (typeof previous === 'number' && Number.isSafeInteger(previous) ? previous : 0) + 1;
  const now = Date.now();
  const body = makeKeysDocument(version, new Date(now + lifetime), keys.map((key) => ({ key, expires: new Date(now + keyLifetime) })));
  // The signature first: a keys.json never sits beside a signature of another one for longer than a rename.
  await writeFileAtomically(target + SIGNATURE_SUFFIX, [signatureFile(Buffer.from(body), root)], 0o644);
  await writeFileAtomically(target, [body], 0o644);
  out(`wrote ${target} version ${version}, signed by root key ${root.id.slice(0, 16)}…, naming ${keys.map((k) => k.id.slice(0, 16)).join(', ')}`);
  return 0;
}

function duration(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const parsed = option.duration(undefined, { max: 10 * 366 * DAY_MS }).safeParse(raw);
  if (!parsed.success) throw ServerErrors.USAGE(`${flag}: ${parsed.error.issues[0]?.message ?? 'not a duration'}`);
  return parsed.data;
}
