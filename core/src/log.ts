import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The last lines the daemon logged, kept in memory for `sugar-server
 * diagnostics` on machines where nothing else keeps stdout (no journald).
 * Bounded by line count and bytes; the oldest lines go first.
 */
export class RecentLog {
  private lines: string[] = [];
  private bytes = 0;

  constructor(private readonly maxLines = 2000, private readonly maxBytes = 1024 * 1024) {}

  /** pino's stream interface: one JSON line per call. */
  write(line: string): void {
    this.lines.push(line);
    this.bytes += line.length;
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
      this.bytes -= this.lines.shift()!.length;
    }
  }

  /** The kept lines, oldest first, each ending in a newline. */
  text(): string {
    return this.lines.join('');
  }
}

/**
 * The root logger: JSON lines on stdout (journald keeps them), errors as `{ err }`.
 * Written asynchronously, so a burst (a boot storm logs every laptop) costs few
 * syscalls; with no minimum buffer a quiet line still goes out at once. `flush`
 * before exiting. With `recent`, every line is also kept there.
 */
export function createLogger(level: string, options: LoggerOptions = {}, recent?: RecentLog): Logger {
  const stdout = pino.destination({ dest: 1, sync: false });
  const settings: LoggerOptions = {
    level,
    base: { pid: process.pid },
    serializers: { err: pino.stdSerializers.err },
    ...options,
  };
  if (!recent) return pino(settings, stdout);
  // A tee rather than pino.multistream, which has no async flush for flushLog.
  const tee = {
    write(line: string): boolean {
      recent.write(line);
      return stdout.write(line);
    },
    flush: (cb?: (err?: Error) => void) => stdout.flush(cb),
    flushSync: () => stdout.flushSync(),
  };
  return pino(settings, tee);
}

/** Write out what is buffered; for the last lines before the process exits. */
export function flushLog(log: Logger): void {
  try {
    log.flush();
  } catch {
    // stdout is gone (the reader went away): nothing left to write to.
  }
}

/**
 * Write one JSON line another process logged (an isolated plugin's) into
 * `log`'s output as it is, so it reaches stdout and the recent lines like the
 * daemon's own.
 */
export function lineWriter(log: Logger): (line: string) => void {
  const stream = (log as unknown as Record<symbol, { write(line: string): unknown }>)[pino.symbols.streamSym]!;
  return (line) => {
    stream.write(`${line}\n`);
  };
}
