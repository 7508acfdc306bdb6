/**
 * What the daemon and the backup plugin's SSH process say to each other over
 * the IPC channel of `child_process.fork` (advanced serialization, so Buffers
 * pass as they are). The SSH process asks by `call` (answered by a `reply`,
 * errors as their code and message, as the core's isolated plugins do); the
 * daemon hands it each accepted connection as the handle of a `connection`.
 */
import type { Algorithms } from 'ssh2';
import type { Reply } from 'sugar-server';
import type { RsyncOutcome, RsyncRun } from '../rsync-session.js';
import type { KeyVerdict } from '../ssh-signature.js';

/** Everything the SSH process needs to serve. */
export interface SshInit {
  /** Private host keys (OpenSSH text). */
  readonly hostKeys: readonly string[];
  readonly algorithms: Algorithms;
  readonly loginTimeoutMs: number;
  readonly maxConnections: number;
}

/** A transfer the daemon let through: what to run, and the id its end is told under. */
export interface TransferPlan {
  readonly transfer: number;
  readonly run: RsyncRun;
}

/** What the SSH process asks of the daemon, and what each call answers. */
export type SshCall =
  /** Is this the key the registry holds for this serial? Answers a KeyVerdict. */
  | { readonly what: 'key'; readonly username: string; readonly algo: string; readonly data: Buffer }
  /** May laptop `serial` run `command`, and how? Answers a TransferPlan or `{ refusal }` (told to the laptop). */
  | { readonly what: 'plan'; readonly serial: string; readonly command: string }
  /** Transfer `transfer` ended so; answered once the daemon has done what follows it (a snapshot is queued). */
  | { readonly what: 'ended'; readonly transfer: number; readonly outcome: RsyncOutcome };

export type PlanAnswer = TransferPlan | { readonly refusal: string };
export type KeyAnswer = KeyVerdict;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** An error in a log line's fields, as it crosses (pino's `err` serializer reads these). */
export interface LoggedError {
  readonly message: string;
  readonly name: string;
  readonly stack?: string;
  readonly code?: string;
}

export type ToSsh =
  | { readonly kind: 'init'; readonly init: SshInit }
  /** Sent with the accepted socket as the handle, unread. */
  | { readonly kind: 'connection' }
  /** The plugin is stopping: close every connection and end rsync, then exit. */
  | { readonly kind: 'stop' }
  | Reply;

export type FromSsh =
  /** Serving: connections may come. */
  | { readonly kind: 'ready' }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly fields: Record<string, unknown>; readonly message: string }
  | { readonly kind: 'call'; readonly id: number; readonly call: SshCall };

/** Log fields made fit to cross: an Error becomes its message, name, stack and code. */
export function fieldsToSend(fields: Record<string, unknown>): Record<string, unknown> {
  const err = fields.err;
  if (!(err instanceof Error)) return fields;
  const code = (err as NodeJS.ErrnoException).code;
  const sent: LoggedError = { message: err.message, name: err.name, ...(err.stack ? { stack: err.stack } : {}), ...(code ? { code } : {}) };
  return { ...fields, err: sent };
}

/** Log fields as they arrived, the error an Error again. */
export function fieldsReceived(fields: Record<string, unknown>): Record<string, unknown> {
  const err = fields.err as LoggedError | undefined;
  if (!err || typeof err !== 'object') return fields;
  const rebuilt = Object.assign(new Error(err.message), { name: err.name, ...(err.code ? { code: err.code } : {}) });
  if (err.stack) rebuilt.stack = err.stack;
  return { ...fields, err: rebuilt };
}
