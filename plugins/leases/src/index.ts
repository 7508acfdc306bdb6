/**
 * sugar-server-leases: XO activation leases. Laptops ask on TCP port 191 at boot
 * (PROTOCOLS.md section 3); admins import bundles, sign leases, mark laptops
 * stolen and watch expiry; the upstream's bundle and stolen list are mirrored
 * when configured, and everything held is published as a feed.
 */
import { definePlugin } from 'sugar-server';
import { activationHandler } from './activation-server.js';
import { leasesPage } from './admin-page.js';
import { importCommand } from './commands/import.js';
import { reportCommand } from './commands/report.js';
import { signCommand } from './commands/sign.js';
import { stolenCommand } from './commands/stolen.js';
import { leasesOptions, type LeasesConfig } from './config.js';
import { mirrorUpstream, publishLeases } from './feed.js';
import { mountHttpApi } from './http-api.js';
import { readPublicKey, readSigningKey } from './keys.js';
import { LeasesService } from './leases-service.js';
import { LEASES_DOCUMENT, LeaseStore } from './lease-store.js';

const DAY_MS = 86_400_000;

export default definePlugin({
  config: leasesOptions,

  async start(ctx) {
    const { config, log } = ctx;
    const publicKey = config.public_key ? await readPublicKey(config.public_key) : null;
    const signingKey = config.signing_key ? await readSigningKey(config.signing_key) : null;
    if (publicKey) log.info({ keyid: publicKey.keyid }, 'lease signatures are checked on import');
    else log.warn('[leases] public_key is not set: leases are imported and served without signature checks');

    const store = await LeaseStore.open((defaults) => ctx.openStore(defaults, LEASES_DOCUMENT));
    const service = new LeasesService({
      store,
      publicKey,
      signingKey,
      container: ctx.container,
      now: () => ctx.clock.now(),
      warningDays: Math.round(config.expiry_warning / DAY_MS),
    });

    mountHttpApi({ router: ctx.router, requireAdmin: ctx.requireAdmin, service, uploadLimit: config.upload_limit });
    ctx.admin.page(leasesPage(service, { warningDays: Math.round(config.expiry_warning / DAY_MS), uploadLimit: config.upload_limit, now: () => ctx.clock.now() }));
    await ctx.listenTcp(
      { name: 'activation', port: config.port, address: config.address },
      activationHandler({ answer: (serial) => service.answer(serial), log, timeoutMs: config.read_timeout }),
    );
    // Counts only: /status is public, serials are not.
    ctx.reportStatus(() => ({ ...service.summary() }));
    publishLeases(ctx, store);
    if (config.upstream) mirrorUpstream(ctx, config.upstream, config.upstream_interval, { service, store, log });
  },

  commands: {
    import: importCommand,
    sign: signCommand,
    stolen: stolenCommand,
    report: reportCommand,
  },
});

export { LeasesErrors } from './errors.js';
export { LEASES_DOCUMENT } from './lease-store.js';
export type { LeasesConfig };
export type { ImportReport } from './import-bundle.js';
export type { LeaseReport, ExpiringSerial, ExpiredSerial } from './report.js';
export type { RegistryView, RegisteredLaptop } from './registry.js';
export type { StolenEntry, StolenSource } from './stolen-sets.js';

