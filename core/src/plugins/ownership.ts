/**
 * Which plugin a piece of work belongs to, so that an error thrown from it can
 * be charged to that plugin instead of ending the daemon.
 *
 * Two ways, because the thorough one has a price on Node 20:
 * - the async context: the core runs each plugin's start, stop, route and
 *   connection handlers inside it, so the timers, promises, sockets and event
 *   emitters the plugin makes carry it too, even an error a socket emits from
 *   Node's own code. On Node 20 an AsyncLocalStorage hooks every promise of the
 *   process, which costs every request a little; {@link attributeAsyncWork}
 *   switches it on only while plugins need it.
 * - the stack: the first frame of the error inside a plugin's package folder.
 *   Free, and enough for anything the plugin's own code throws.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';

const owner = new AsyncLocalStorage<string>();
let asyncAttribution = true;

/** Carry the plugin's context through async work from now on (or stop, freeing every promise of the hook). */
export function attributeAsyncWork(on: boolean): void {
  if (asyncAttribution && !on) owner.disable();
  asyncAttribution = on;
}

export function attributingAsyncWork(): boolean {
  return asyncAttribution;
}

/** Run `fn` (and, while async attribution is on, everything it schedules) as work of `service`. */
export function runAs<T>(service: string, fn: () => T): T {
  return asyncAttribution ? owner.run(service, fn) : fn();
}

/** The plugin whose work is running now, if any (always undefined while async attribution is off). */
export function currentPlugin(): string | undefined {
  return owner.getStore();
}

/** A frame's file: `at f (file:///a/b.js:1:2)`, `at /a/b.js:1:2`, `at async f (/a/b.js:1:2)`. */
const FRAME_FILE = /\(?((?:file:\/\/)?\/[^\s()]*?)(?::\d+){1,2}\)?\s*$/;

/**
 * The plugin whose code threw `err`: the first stack frame inside one of
 * `folders` (real package folder -> service).
 */
export function pluginInStack(err: unknown, folders: ReadonlyMap<string, string>): string | undefined {
  const stack = (err as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string' || folders.size === 0) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME_FILE.exec(line.trim());
    if (!match) continue;
    let file = match[1]!;
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    for (const [folder, service] of folders) if (file.startsWith(`${folder}/`)) return service;
  }
  return undefined;
}
