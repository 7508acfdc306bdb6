/**
 * The launcher thread's side: starts each requested child with Node's
 * `spawn`, forwards its output and exit, and feeds it what arrives for its
 * stdin. `spawn` forks the whole process and waits for the child to exec; on
 * a busy machine that is tens of milliseconds, which here hold up only this
 * thread and not the daemon's event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ErrorInfo, FromRunner, Port, SpawnRequest, StreamName, ToRunner } from './protocol.js';

export function serveLaunches(port: Port): void {
  const children = new Map<number, ChildProcess>();
  const post = (message: FromRunner, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

  const start = (request: SpawnRequest) => {
    const { id } = request;
    let child: ChildProcess;
    try {
      child = spawn(request.program, [...request.args], {
        cwd: request.cwd,
        env: request.env,
        stdio: [request.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      post({ type: 'error', id, error: errorInfo(err) });
      post({ type: 'close', id, code: null, signal: null });
      return;
    }
    children.set(id, child);
    if (child.pid !== undefined) post({ type: 'spawned', id, pid: child.pid });
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.on('data', (chunk: Buffer) => {
        // A copy of its own, so it can move to the other thread without a second copy.
        const copy = new Uint8Array(chunk);
        post({ type: 'data', id, stream, chunk: copy }, [copy.buffer as ArrayBuffer]);
      });
    }
    // A child that exits without reading all its input closes the pipe: not an error of ours.
    child.stdin?.on('error', () => {});
    child.on('error', (err) => post({ type: 'error', id, error: errorInfo(err) }));
    child.on('close', (code, signal) => {
      children.delete(id);
      post({ type: 'close', id, code, signal });
    });
  };

  port.on('message', (message: ToRunner) => {
    if (message.type === 'spawn') return start(message);
    const child = children.get(message.id);
    if (!child) return;
    switch (message.type) {
      case 'write': {
        const bytes = message.chunk.byteLength;
        if (!child.stdin || child.stdin.destroyed) return post({ type: 'written', id: message.id, bytes });
        child.stdin.write(message.chunk, () => post({ type: 'written', id: message.id, bytes }));
        return;
      }
      case 'end-stdin':
        child.stdin?.end();
        return;
      case 'pause':
      case 'resume':
        streamOf(child, message.stream)?.[message.type]();
        return;
      case 'kill':
        child.kill(message.signal);
        return;
    }
  });
}

function streamOf(child: ChildProcess, stream: StreamName) {
  return stream === 'stdout' ? child.stdout : child.stderr;
}

function errorInfo(err: unknown): ErrorInfo {
  const e = err as NodeJS.ErrnoException;
  return {
    message: e?.message ?? String(err),
    ...(e?.code ? { code: e.code } : {}),
    ...(e?.errno !== undefined ? { errno: e.errno } : {}),
    ...(e?.syscall ? { syscall: e.syscall } : {}),
    ...(e?.path ? { path: e.path } : {}),
  };
}
