/**
 * Reads a list file line by line in 1 MiB chunks, handing out byte ranges of
 * one reused buffer (no string per line). Runs synchronously: it is only used
 * inside the compile worker, where blocking is the point.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;

/** What the reader calls back with. */
export interface LineVisitor {
  /** One line, `bytes[start, end)` without its newline; `bytes` is reused after the call returns. */
  line(bytes: Buffer, start: number, end: number, number: number): void;
  /** A line longer than the buffer: it is skipped. */
  tooLong(number: number): void;
  /** Bytes read so far from this file (for progress). */
  progress?(bytesRead: number, fileSize: number): void;
}

/** Longest line read; anything longer is reported as garbage. */
export const MAX_LINE_BYTES = 2 * CHUNK;

/** Visit every line of `file`. */
export function forEachLine(file: string, visitor: LineVisitor): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(MAX_LINE_BYTES);
    let filled = 0;
    let lineNumber = 1;
    let skipping = false;
    let total = 0;
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      total += read;
      const end = filled + read;
      const view = buffer.subarray(0, end);
      let start = 0;
      for (let newline = view.indexOf(10, start); newline >= 0; newline = view.indexOf(10, start)) {
        if (skipping) skipping = false;
        else visitor.line(view, start, newline, lineNumber);
        lineNumber++;
        start = newline + 1;
      }
      visitor.progress?.(total, size);
      if (read === 0) {
        if (start < end && !skipping) visitor.line(view, start, end, lineNumber);
        return;
      }
      if (start === 0 && end === buffer.length) {
        if (!skipping) visitor.tooLong(lineNumber);
        skipping = true;
        filled = 0;
      } else {
        buffer.copyWithin(0, start, end);
        filled = end - start;
      }
    }
  } finally {
    closeSync(fd);
  }
}
