/**
 * Programs run from a worker thread. `spawn` holds its thread until the child
 * has called exec: in a process that drives thousands of laptops, on a machine
 * busy with their backups, that took up to 1.2 s a call, and every laptop's
 * timers (port 191's 3 s among them) stood still meanwhile. The worker spawns
 * and waits; the laptops' thread only hears how the program ended.
 */
import { Worker } from 'node:worker_threads';

/** How a program ended: its exit code (null when killed) and the last `tail` characters of its output. */
export interface ProgramResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Job {
  readonly id: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly tail: number;
  readonly nice: number;
}

/** How a program is run besides its arguments. */
export interface ProgramOptions {
  /** Keep the last this many characters of each output (20,000 unless given). */
  readonly tail?: number;
  /**
   * Run it (and what it starts, such as rsync's ssh) at this niceness through
   * coreutils' `nice`: laptops simulated on the machine of the server under
   * test leave the CPU to the server. A missing program then exits 127 instead of failing to start.
   */
  readonly nice?: number;
}

type Answer = { readonly id: number } & ({ readonly result: ProgramResult } | { readonly error: string });

// Plain JavaScript, so the worker starts the same from sources (tsx) and from dist.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
parentPort.on('message', ({ id, command, args, env, tail, nice }) => {
  let stdout = '';
  let stderr = '';
  let child;
  try {
    child = nice > 0
      ? spawn('nice', ['-n', String(nice), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
      : spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
    return;
  }
  child.stdout.on('data', (chunk) => (stdout = (stdout + chunk.toString()).slice(-tail)));
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-tail)));
  child.on('error', (err) => parentPort.postMessage({ id, error: err.message }));
  child.on('close', (code) => parentPort.postMessage({ id, result: { code, stdout, stderr } }));
});
`;

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve(result: ProgramResult): void; reject(err: Error): void }>();

function theWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(WORKER, { eval: true });
  started.on('message', (answer: Answer) => {
    const job = pending.get(answer.id);
    if (!job) return;
    pending.delete(answer.id);
    if ('error' in answer) job.reject(new Error(answer.error));
    else job.resolve(answer.result);
    // Idle, the thread keeps nothing alive.
    if (pending.size === 0) started.unref();
  });
  started.on('error', (err) => {
    for (const job of pending.values()) job.reject(err);
    pending.clear();
    worker = undefined;
  });
  worker = started;
  return started;
}

/** Run `command` with `args` (no shell) from the spawning thread; never rejects for a non-zero exit, only when it cannot start. */
export function runProgram(command: string, args: readonly string[], env: NodeJS.ProcessEnv, options: ProgramOptions = {}): Promise<ProgramResult> {
  const { tail = 20_000, nice = 0 } = options;
  const thread = theWorker();
  const id = nextId++;
  thread.ref();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    thread.postMessage({ id, command, args: [...args], env, tail, nice } satisfies Job);
  });
}
