/**
 * `npm run package [-- --offline] [--version V] [--out DIR] [--sign-key FILE]`
 * writes sugar-server_<version>_amd64.deb into DIR (default dist/), and with
 * --offline also sugar-server-<version>-offline-amd64.tar.gz: the .deb, a Node
 * runtime, the Debian packages it needs, install.sh and SHA256SUMS (signed with
 * the feed key given by --sign-key). Run after `npm ci && npm run build`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServerDeb } from '../packaging/build/server-deb.js';
import { buildOfflineBundle } from '../packaging/build/bundle.js';
import { run } from '../packaging/build/run.js';

const repo = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    offline: { type: 'boolean' },
    version: { type: 'string' },
    out: { type: 'string' },
    'sign-key': { type: 'string' },
  },
  strict: true,
});

const version = values.version ?? (JSON.parse(readFileSync(join(repo, 'core/package.json'), 'utf8')) as { version: string }).version;
const outDir = resolve(values.out ?? join(repo, 'dist'));
// The release's time is its commit's, so two builds of one commit say the same.
const date = new Date(Number(run('git', ['log', '-1', '--format=%ct'], { cwd: repo }).trim()) * 1000);
const work = await mkdtemp(join(tmpdir(), 'sugar-server-package-'));
try {
  const deb = await buildServerDeb({ repo, version, work, outDir, date });
  console.log(deb);
  if (values.offline) {
    console.log(await buildOfflineBundle({ repo, version, deb, work, outDir, signKey: values['sign-key'] }));
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
