/**
 * Lines that are not entries: counted per file, the first ones kept with
 * their line number, code and reason, so an admin can fix the list. Never
 * fatal: one bad line in five million must not cost a school its filter.
 */
import { MAX_GARBAGE_SAMPLES, type GarbageLine, type GarbageReport } from '../index/index-meta.js';

const MAX_TEXT = 120;

export class GarbageCollector {
  private total = 0;
  private readonly byFile: Record<string, number> = {};
  private readonly lines: GarbageLine[] = [];

  /** Record one refused line of `file` (named relative to the source). */
  add(file: string, line: number, code: string, reason: string, text: string): void {
    this.total++;
    this.byFile[file] = (this.byFile[file] ?? 0) + 1;
    if (this.lines.length < MAX_GARBAGE_SAMPLES) {
      this.lines.push({ file, line, code, reason, text: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text });
    }
  }

  /** Lines refused in `file` so far. */
  countFor(file: string): number {
    return this.byFile[file] ?? 0;
  }

  report(): GarbageReport {
    return { total: this.total, byFile: { ...this.byFile }, lines: [...this.lines] };
  }
}
