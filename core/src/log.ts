import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The root logger: JSON lines on stdout (journald keeps them), errors as `{ err }`.
 * Written asynchronously, so a burst (a boot storm logs every laptop) costs few
 * syscalls; with no minimum buffer a quiet line still goes out at once. `flush`
 * before exiting.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      serializers: { err: pino.stdSerializers.err },
      ...options,
    },
    pino.destination({ dest: 1, sync: false }),
  );
}

/** Write out what is buffered; for the last lines before the process exits. */
export function flushLog(log: Logger): void {
  try {
    log.flush();
  } catch {
    // stdout is gone (the reader went away): nothing left to write to.
  }
}
