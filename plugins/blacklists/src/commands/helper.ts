/** `sugar-server blacklists helper`: the squid helper, for url_rewrite_program or external_acl_type. */
import { parseArgs } from 'node:util';
import { ServerErrors, type PluginCommand } from 'sugar-server';
import type { BlacklistsConfig } from '../config.js';
import { enableLinearFallback } from '../compile/expressions.js';
import { HelperAnswerer } from '../squid/helper-answerer.js';
import { runHelperLoop } from '../squid/helper-loop.js';
import { IndexWatcher } from '../index/index-watcher.js';
import { indexFile } from '../paths.js';

const DEFAULT_RELOAD_SECONDS = 5;

/** `sugar-server blacklists helper`. */
export const helperCommand: PluginCommand<BlacklistsConfig> = {
  summary: 'answer squid as url_rewrite_program (default) or external_acl_type, from the compiled index',
  usage: `sugar-server blacklists helper [--mode rewrite|acl] [--only page|deny] [--reload SECONDS] [--index FILE]

Reads squid's request lines on stdin and answers each on stdout, with or
without concurrency channel IDs (recognised per line). It loads the index file
the daemon compiles (one read, no daemon needed) and picks up a new one when
it appears. Without a usable index it blocks everything, or lets everything
through with [blacklists] when_unavailable = allow.
  --mode rewrite   url_rewrite_program: OK status=302 url="<block page>" or OK
  --mode acl       external_acl_type with the format %URI: OK (blocked) or ERR
  --only ACTION    acl mode: answer OK only for categories with this action
  --reload N       look for a new index every N seconds (default ${DEFAULT_RELOAD_SECONDS})
  --index FILE     read this index instead of the daemon's`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { mode: { type: 'string' }, only: { type: 'string' }, reload: { type: 'string' }, index: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length) throw ServerErrors.USAGE(`unexpected argument "${positionals[0]}"`);
    const mode = values.mode ?? 'rewrite';
    if (mode !== 'rewrite' && mode !== 'acl') throw ServerErrors.USAGE(`--mode takes rewrite or acl, not "${mode}"`);
    const only = values.only;
    if (only !== undefined && (mode !== 'acl' || (only !== 'page' && only !== 'deny'))) throw ServerErrors.USAGE('--only takes page or deny, with --mode acl');
    const reload = values.reload === undefined ? DEFAULT_RELOAD_SECONDS : Number(values.reload);
    if (!(reload > 0)) throw ServerErrors.USAGE(`--reload takes a number of seconds, not "${values.reload}"`);

    enableLinearFallback();
    // Squid shows a helper's stderr in cache.log; stdout carries answers only.
    const watcher = new IndexWatcher(values.index ?? indexFile(ctx.dataDir), (err) => ctx.err(`blacklists helper: ${err.message}`));
    await watcher.start(reload * 1000);
    // The configuration on disk says how to answer without an index: the daemon need not run.
    const whenUnavailable = ctx.config.when_unavailable;
    if (!watcher.current) {
      const how = whenUnavailable === 'block' ? 'blocking every request' : 'letting every request through';
      ctx.err(`blacklists helper: no usable index yet; ${how} until one appears ([blacklists] when_unavailable = ${whenUnavailable})`);
    }
    const answerer = new HelperAnswerer({ mode, only, pageUrl: ctx.config.page_url, whenUnavailable });
    try {
      await runHelperLoop({ input: process.stdin, output: process.stdout, answerer, index: () => watcher.current });
    } finally {
      watcher.stop();
    }
    return 0;
  },
};
