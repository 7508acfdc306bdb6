/**
 * Holds the index a process answers with, and picks up the new one when the
 * daemon moves a freshly compiled file into place (a new inode, since the
 * file is replaced by rename). A file that fails to load is reported and the
 * one held keeps answering.
 */
import { stat } from 'node:fs/promises';
import { BlacklistIndex } from './blacklist-index.js';

export class IndexWatcher {
  private index: BlacklistIndex | null = null;
  private seen = '';
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly onError: (err: Error) => void,
  ) {}

  /** The index held now (null until one loaded). */
  get current(): BlacklistIndex | null {
    return this.index;
  }

  /** Load what is there now, then look again every `intervalMs` (the timer does not keep the process alive). */
  async start(intervalMs: number): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Load the file if it changed since the last look. */
  check(): Promise<void> {
    this.checking ??= this.reload().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async reload(): Promise<void> {
    const info = await stat(this.file).catch(() => null);
    if (!info) return;
    const identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (identity === this.seen) return;
    try {
      this.index = await BlacklistIndex.load(this.file);
      this.seen = identity;
    } catch (err) {
      this.seen = identity;
      this.onError(err as Error);
    }
  }
}
