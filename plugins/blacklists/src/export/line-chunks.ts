/**
 * Reads a list file in 1 MiB chunks without blocking: each step hands out
 * the complete lines of one chunk, and the event loop runs between steps.
 * (The compile worker, which may block, uses compile/line-reader.ts instead.)
 */
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/** The complete lines of one read: `bytes[starts[i], ends[i])`. */
export interface LineBatch {
  readonly bytes: Buffer;
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

/** Every line of `file`, a chunk at a time; lines longer than 2 MiB are skipped. */
export async function* lineBatches(file: string): AsyncGenerator<LineBatch> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(2 * CHUNK);
    let filled = 0;
    let skipping = false;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      const end = filled + bytesRead;
      const starts: number[] = [];
      const ends: number[] = [];
      let start = 0;
      for (let newline = buffer.indexOf(10, 0); newline >= 0 && newline < end; newline = buffer.indexOf(10, start)) {
        if (skipping) skipping = false;
        else {
          starts.push(start);
          ends.push(newline);
        }
        start = newline + 1;
      }
      if (bytesRead === 0 && start < end && !skipping) {
        starts.push(start);
        ends.push(end);
      }
      if (starts.length) yield { bytes: buffer, starts, ends };
      if (bytesRead === 0) return;
      if (start === 0 && end === buffer.length) {
        skipping = true;
        filled = 0;
      } else {
        buffer.copyWithin(0, start, end);
        filled = end - start;
      }
    }
  } finally {
    await handle.close();
  }
}
