/**
 * Messages between the launcher (the daemon's main thread) and the thread
 * that starts and feeds the child processes. One port carries them all, in
 * order, so a child's last output always arrives before its `close`.
 */

export type StreamName = 'stdout' | 'stderr';

export interface SpawnRequest {
  readonly type: 'spawn';
  readonly id: number;
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Give the child a stdin pipe; without it stdin is /dev/null. */
  readonly stdin: boolean;
}

/** From the main thread to the launcher thread. */
export type ToRunner =
  | SpawnRequest
  | { readonly type: 'write'; readonly id: number; readonly chunk: Uint8Array }
  | { readonly type: 'end-stdin'; readonly id: number }
  | { readonly type: 'pause' | 'resume'; readonly id: number; readonly stream: StreamName }
  | { readonly type: 'kill'; readonly id: number; readonly signal: NodeJS.Signals };

/** What a spawn error carries across: enough to rebuild a Node error with its code. */
export interface ErrorInfo {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;
}

/** From the launcher thread to the main thread. */
export type FromRunner =
  | { readonly type: 'spawned'; readonly id: number; readonly pid: number }
  | { readonly type: 'data'; readonly id: number; readonly stream: StreamName; readonly chunk: Uint8Array }
  /** `bytes` of stdin the child's pipe has taken. */
  | { readonly type: 'written'; readonly id: number; readonly bytes: number }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorInfo }
  | { readonly type: 'close'; readonly id: number; readonly code: number | null; readonly signal: NodeJS.Signals | null };

/** The port either side talks over (a worker's parentPort, a Worker, or a MessageChannel end). */
export interface Port {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: never) => void): unknown;
}
