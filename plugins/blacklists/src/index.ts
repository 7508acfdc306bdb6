/**
 * sugar-server-blacklists: content filtering for schools. Category lists in
 * the squidGuard/UT1 layout (a folder, an uploaded or configured archive, or
 * the Mothership's feed) plus the school's own allow and block lists are
 * compiled off the event loop into one compact index file, which squid's
 * helper (`sugar-server blacklists helper`), the HTTP check, the block page
 * and the DNS exports all answer from.
 */
import { definePlugin } from 'sugar-server';
import { blacklistsPage } from './admin-page.js';
import { BlacklistsService } from './blacklists-service.js';
import { categoriesCommand } from './commands/categories.js';
import { checkCommand } from './commands/check.js';
import { exportCommand } from './commands/export.js';
import { helperCommand } from './commands/helper.js';
import { recompileCommand } from './commands/recompile.js';
import { uploadCommand } from './commands/upload.js';
import { compileInWorker } from './compile/compiler.js';
import { blacklistsOptions, type BlacklistsConfig } from './config.js';
import { enableLinearFallback } from './compile/expressions.js';
import { mirrorUpstream, publishBlacklists } from './feed.js';
import { mountHttpApi } from './http/http-api.js';
import { registerMetrics } from './metrics.js';
import { NO_SOURCES, SourceKeeper, SOURCES_DOCUMENT, type SourcesDoc } from './compile/source-keeper.js';

export default definePlugin({
  config: blacklistsOptions,

  async start(ctx) {
    const { config, log } = ctx;
    enableLinearFallback();
    for (const name of config.deny) {
      if (!config.categories.includes(name) && name !== 'local') log.warn({ category: name }, '[blacklists] deny names a category that is not in categories');
    }
    const store = await ctx.openStore<SourcesDoc>(structuredClone(NO_SOURCES), SOURCES_DOCUMENT);
    const sources = new SourceKeeper(store, config, ctx.dataDir);
    const service = new BlacklistsService({
      config,
      dataDir: ctx.dataDir,
      etcDir: ctx.etcDir,
      log,
      sources,
      compile: (job, onProgress) => compileInWorker(job, onProgress, ctx.signal),
    });
    await service.start();

    mountHttpApi({
      router: ctx.router,
      requireAdmin: ctx.requireAdmin,
      service,
      sources,
      dataDir: ctx.dataDir,
      etcDir: ctx.etcDir,
      uploadLimit: config.upload_limit,
      upstream: config.upstream,
    });
    ctx.admin.page(blacklistsPage({ service, sources, etcDir: ctx.etcDir, uploadLimit: config.upload_limit, upstream: config.upstream }));
    // /status is public: state and counts only.
    ctx.reportStatus(() => service.summary());
    registerMetrics(ctx, () => ({ indexLoaded: service.index !== null, whenUnavailable: config.when_unavailable }));
    publishBlacklists(ctx, service);
    if (config.upstream) mirrorUpstream(ctx, config.upstream, config.upstream_interval, service, sources);
  },

  commands: {
    helper: helperCommand,
    check: checkCommand,
    export: exportCommand,
    recompile: recompileCommand,
    upload: uploadCommand,
    categories: categoriesCommand,
  },
});

export { BlacklistsErrors } from './errors.js';
export { SOURCES_DOCUMENT } from './compile/source-keeper.js';
export { BlacklistIndex, Match } from './index/blacklist-index.js';
export { compileInWorker } from './compile/compiler.js';
export { normaliseUrl } from './squid/normalise.js';
export { policyOf } from './policy/policy.js';
export type { BlacklistsConfig };
export type { CompileJob, CompileOutcome, CompileProgress } from './compile/compile.js';
export type { CheckResult, CompileStatus } from './blacklists-service.js';
export type { CategoriesReport, CategoryRow } from './export/categories-report.js';
export type { Decision, DecisionRule } from './squid/decision.js';
export type { IndexMeta, CategoryMeta, GarbageReport, GarbageLine } from './index/index-meta.js';
export type { NormalisedUrl } from './squid/normalise.js';
