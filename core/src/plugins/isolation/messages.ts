/**
 * What the core and an isolated plugin's process say to each other over the
 * IPC channel of `child_process.fork` (advanced serialization, so Buffers and
 * plain objects pass as they are). Calls either side makes of the other carry
 * an id and are answered by a `reply`; errors cross as their code, status and
 * message, so a SugarError thrown on one side is the same SugarError on the other.
 */
import { isSugarError, SugarError } from '../../errors.js';
import type { FeedState, PublishedFile } from '../../feeds/index.js';
import type { ListenSpec, StatusDetails } from '../definition.js';
import type { BoundListener } from '../../listeners.js';
import type { Candidate } from '../manifest.js';

/** Everything the child needs to run the plugin as the core would. */
export interface ChildInit {
  readonly candidate: Candidate;
  /** The validated `[service]` section. */
  readonly config: unknown;
  readonly dataDir: string;
  readonly etcDir: string;
  readonly storeFile: string;
  /** Where the child serves the plugin's main-server routes to the core. */
  readonly socketPath: string;
  readonly bodyLimit: number;
  /** How long requests in flight may finish when the plugin stops. */
  readonly drainMs: number;
  readonly logLevel: string;
  readonly adminToken: string;
  /** How long importing the plugin's module may take. */
  readonly loadTimeoutMs: number;
  /** What `Tokens.Config` and `Tokens.Paths` resolve to in the child's container. */
  readonly coreConfig: unknown;
  readonly paths: unknown;
}

/** A route of the plugin's main-server router, as @koa/router registers it. */
export interface RouteSpec {
  readonly path: string | RegExp;
  readonly methods: readonly string[];
}

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly expose: boolean;
}

/** What the child asks of the core. */
export type ChildCall =
  | { readonly what: 'listen'; readonly listener: number; readonly spec: ListenSpec; readonly http: boolean }
  | { readonly what: 'publish'; readonly name: string };

/** What the core asks of the child. */
export type ParentCall = { readonly what: 'feedFiles'; readonly name: string };

export type CallResult = BoundListener | readonly PublishedFile[] | undefined;

export type Reply = { readonly kind: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: WireError };

export type ToChild =
  | { readonly kind: 'init'; readonly init: ChildInit }
  | { readonly kind: 'ping'; readonly id: number }
  | { readonly kind: 'stop' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'level'; readonly level: string }
  /** Sent with the accepted socket as the handle. */
  | { readonly kind: 'connection'; readonly listener: number }
  | { readonly kind: 'call'; readonly id: number; readonly call: ParentCall }
  | Reply;

export type ToParent =
  /** The process is up and has the plugin's module: from here on its start is timed. */
  | { readonly kind: 'loaded' }
  | { readonly kind: 'started'; readonly routes: readonly RouteSpec[] }
  | { readonly kind: 'failed'; readonly error: WireError }
  /** The plugin's store is being opened (true) or is open (false): that wait is not held against its start. */
  | { readonly kind: 'store'; readonly opening: boolean }
  | { readonly kind: 'pong'; readonly id: number; readonly details: StatusDetails | null; readonly feeds: readonly FeedState[] }
  /** An error escaped from the plugin's work; the child exits right after. */
  | { readonly kind: 'crash'; readonly message: string }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'call'; readonly id: number; readonly call: ChildCall }
  | Reply;

export function toWire(err: unknown): WireError {
  if (isSugarError(err)) return { code: err.code, message: err.message, status: err.status, expose: err.expose };
  return { code: 'SERVER_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err), status: 500, expose: false };
}

export function fromWire(wire: WireError): SugarError {
  return new SugarError(wire.code, wire.message, { status: wire.status, expose: wire.expose });
}

/**
 * Calls made over the channel and waiting for their reply. `send` is the
 * side's own send; a reply settles its call, and every call still waiting
 * fails when the other side is gone.
 */
export class PendingCalls<C> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();

  constructor(private readonly send: (message: { kind: 'call'; id: number; call: C }) => void) {}

  call<T>(call: C): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.send({ kind: 'call', id, call });
      } catch (err) {
        this.waiting.delete(id);
        reject(err as Error);
      }
    });
  }

  settle(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (reply.error) waiter.reject(fromWire(reply.error));
    else waiter.resolve(reply.value);
  }

  failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/** Run `handler` for a call from the other side and send its reply, the error included. */
export async function answer<C>(message: { id: number; call: C }, handler: (call: C) => Promise<unknown>, send: (reply: Reply) => void): Promise<void> {
  try {
    send({ kind: 'reply', id: message.id, value: await handler(message.call) });
  } catch (err) {
    send({ kind: 'reply', id: message.id, error: toWire(err) });
  }
}
