/**
 * sugar-server-registry: the identity of the school's laptops (serial, uuid,
 * nick, SSH key). Answers the XML-RPC `register` call Sugar and XO laptops make
 * on port 8080, offers a JSON API, and shares the registered laptops with other
 * plugins through {@link RegistryToken}.
 */
import { definePlugin, Tokens } from 'sugar-server';
import { exportCommand, importCommand } from './commands/laptops.js';
import { registryPage } from './admin-page.js';
import { registryConfig } from './config.js';
import { serveJsonApi } from './json-api.js';
import { EMPTY_REGISTRY, Registry, REGISTRY_DOCUMENT, type RegistryDocument } from './registry.js';
import { RegistryToken } from './service.js';
import { serveXmlRpc } from './xmlrpc-endpoint.js';

export { RegistryToken } from './service.js';
export type { LaptopRegistry, RegisteredLaptop } from './service.js';
export { RegistryErrors } from './errors.js';
export { REGISTRY_DOCUMENT } from './registry.js';
export { isSerial } from './laptop-fields.js';
export type { SshKeyType } from './ssh-key.js';
export type { ImportProblem, ImportReport } from './laptop-import.js';

export default definePlugin({
  config: registryConfig,
  async start(ctx) {
    const { config } = ctx;
    const store = await ctx.openStore<RegistryDocument>(EMPTY_REGISTRY, REGISTRY_DOCUMENT);
    const registry = new Registry(
      store,
      { backupHost: config.backup_host, jabberHost: config.jabber_host, allowRebind: config.allow_rebind },
      ctx.log,
      ctx.container.resolve(Tokens.Clock),
    );
    serveJsonApi(ctx, registry, { bodyLimit: config.body_limit, importLimit: config.import_limit, log: ctx.log });
    const listener = await ctx.listenHttp({ name: 'registration', port: config.port, address: config.address });
    serveXmlRpc(listener.router, registry, { bodyLimit: config.body_limit, log: ctx.log });
    ctx.provide(RegistryToken, registry);
    ctx.admin.page(registryPage(registry));
    // A figure only (for /status and the fleet's check-ins): /status is public, serials are not.
    ctx.reportStatus(() => ({ laptops: registry.count() }));
  },

  commands: {
    export: exportCommand,
    import: importCommand,
  },
});
