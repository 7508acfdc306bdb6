import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { container as rootContainer } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { FeedPublisher, MirrorRegistry } from '../feeds/index.js';
import { MainHttpServer } from '../http/server.js';
import { createLogger } from '../log.js';
import { Metrics } from '../metrics.js';
import { Tokens, type Clock } from '../tokens.js';
import { PluginRuntime, type RuntimeDeps } from './context.js';
import type { ServiceToken } from './definition.js';
import type { Candidate } from './manifest.js';
import { ServiceDirectory } from './services.js';
import { Watchdog } from './watchdog.js';

/** What the daemon hands every plugin runtime, built from the real parts in a temporary data folder. */
function runtimeDeps(clock?: Clock): RuntimeDeps {
  const log = createLogger('silent');
  const metrics = new Metrics(() => []);
  const container = rootContainer.createChildContainer();
  if (clock) container.register(Tokens.Clock, { useValue: clock });
  const root = mkdtempSync(join(tmpdir(), 'context-'));
  return {
    log,
    metrics,
    container,
    services: new ServiceDirectory(container),
    feeds: new FeedPublisher(join(root, 'feeds-published.json')),
    mirrors: new MirrorRegistry(),
    feedTrust: () => null,
    http: new MainHttpServer({ log, metrics, owner: 'core', bodyLimit: 1024 }, new Map()),
    requireAdmin: (_ctx, next) => next(),
    dataDir: join(root, 'data'),
    etcDir: join(root, 'etc'),
    defaultAddress: '127.0.0.1',
    bodyLimit: 1024,
    drainMs: 0,
    watchdog: new Watchdog(log, metrics, 100),
  };
}

function candidate(service: string): Candidate {
  return {
    packageName: `fixture-${service}`,
    version: '1.0.0',
    dir: '/nonexistent',
    entry: '/nonexistent/index.js',
    service,
    api: '^1.0.0',
    dependsOn: [],
    routes: [`/${service}/`],
  } as Candidate;
}

describe('the plugin context', () => {
  it('hands the plugin the core clock, so a test that sets the time sets it for the plugin too', () => {
    const ctx = new PluginRuntime(runtimeDeps({ now: () => 1_700_000_000_000 }), candidate('clocked'), {}).ctx;
    expect(ctx.clock.now()).toBe(1_700_000_000_000);
  });

  it('falls back to the system clock when the core registered none', () => {
    const ctx = new PluginRuntime(runtimeDeps(), candidate('clocked'), {}).ctx;
    const before = Date.now();
    const now = ctx.clock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('finds a service another plugin offers while that plugin runs, and undefined before and after', async () => {
    const deps = runtimeDeps();
    const Counter = Symbol.for('fixture.context.counter') as ServiceToken<{ next(): number }>;
    const provider = new PluginRuntime(deps, candidate('counter'), {});
    const user = new PluginRuntime(deps, candidate('user'), {}).ctx;

    expect(user.services.get(Counter)).toBeUndefined();
    let n = 0;
    provider.ctx.provide(Counter, { next: () => ++n });
    expect(user.services.get(Counter)?.next()).toBe(1);
    // A string names a service as well as a symbol does.
    provider.ctx.provide('counter.name', 'offered by name');
    expect(user.services.get<string>('counter.name')).toBe('offered by name');

    await provider.release();
    expect(user.services.get(Counter)).toBeUndefined();
    expect(user.services.get('counter.name')).toBeUndefined();
  });
});
