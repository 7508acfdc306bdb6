import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** The root logger: JSON lines on stdout (journald keeps them), errors as `{ err }`. */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    serializers: { err: pino.stdSerializers.err },
    ...options,
  });
}
