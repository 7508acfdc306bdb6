/**
 * Which plugin a piece of work belongs to. The core runs each plugin's start,
 * stop, route and connection handlers inside the plugin's async context, so
 * timers, promises and sockets the plugin makes carry it too; an error thrown
 * from any of them can be charged to that plugin instead of ending the daemon.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const owner = new AsyncLocalStorage<string>();

/** Run `fn` (and everything it schedules) as work of `service`. */
export function runAs<T>(service: string, fn: () => T): T {
  return owner.run(service, fn);
}

/** The plugin whose work is running now, if any. */
export function currentPlugin(): string | undefined {
  return owner.getStore();
}
