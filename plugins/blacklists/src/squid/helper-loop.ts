/**
 * The helper's I/O: read request lines from squid on stdin, write one answer
 * per line to stdout, in order. Everything that arrived in one read is
 * answered with one write, which is what makes `concurrency=N` pay: squid
 * sends many lines at once and gets them back together. Squid's pipe is
 * respected (reading pauses while stdout is full). A line longer than
 * {@link MAX_REQUEST_LINE} is skipped to its end and answered BH. When
 * squid closes stdout, the loop ends quietly.
 */
import type { Readable, Writable } from 'node:stream';
import type { BlacklistIndex } from '../index/blacklist-index.js';
import type { HelperAnswerer } from './helper-answerer.js';
import { answer, brokenAnswer, MAX_REQUEST_LINE, readRequest } from './squid-protocol.js';

export interface HelperLoopOptions {
  readonly input: Readable;
  readonly output: Writable;
  readonly answerer: HelperAnswerer;
  /** The index to answer with, asked for each batch (it may change between batches). */
  readonly index: () => BlacklistIndex | null;
}

/** Answer until the input ends; resolves once every answer is written. */
export function runHelperLoop({ input, output, answerer, index }: HelperLoopOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = new LineSplitter();
    const answerText = (text: string, atEnd: boolean): string => {
      const current = index();
      const active = answerer.activeFor(current);
      const answerOf = (line: string | null) => `${line === null ? overlongAnswer(lines.overlongHead) : answerer.answerLine(line, current, active)}\n`;
      let out = '';
      let start = 0;
      let newline = text.indexOf('\n');
      if (newline >= 0 && lines.carrying) {
        out += answerOf(lines.complete(text, 0, newline));
        start = newline + 1;
        newline = text.indexOf('\n', start);
      }
      // Each chunk is searched once: the time is linear in what squid sends.
      for (; newline >= 0; newline = text.indexOf('\n', start)) {
        out += newline - start > MAX_REQUEST_LINE ? answerOf(lines.overlong(text, start)) : `${answerer.answerLine(text.slice(start, newline), current, active)}\n`;
        start = newline + 1;
      }
      if (!atEnd) lines.carry(text, start);
      else if (lines.carrying || start < text.length) out += answerOf(lines.complete(text, start, text.length));
      return out;
    };
    let readerGone = false;
    input.on('data', (chunk: Buffer) => {
      if (readerGone) return;
      const out = answerText(chunk.toString('latin1'), false);
      if (out && !output.write(out, 'latin1')) {
        input.pause();
        output.once('drain', () => input.resume());
      }
    });
    input.once('end', () => {
      if (readerGone) return;
      output.write(answerText('', true), 'latin1', (err) => (err ? failed(err) : resolve()));
    });
    // Squid closing its end of the pipe (it stops or restarts its helpers) ends
    // the loop quietly: nothing read can be answered any more.
    const failed = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') return reject(err);
      readerGone = true;
      input.destroy();
      resolve();
    };
    input.once('error', reject);
    output.on('error', failed);
  });
}

/** BH for a line over the limit, with its channel ID when it had one. */
function overlongAnswer(head: string): string {
  const { channel } = readRequest(head, 'rewrite');
  return answer(channel, brokenAnswer(`the line is longer than ${MAX_REQUEST_LINE} bytes`));
}

/**
 * The line a chunk leaves unfinished, kept for the next chunk only up to
 * {@link MAX_REQUEST_LINE}; beyond it, the rest of the line is skipped.
 */
class LineSplitter {
  /** The start of the unfinished line (at most the limit). */
  private pending = '';
  /** The unfinished line went over the limit: skip to its newline. */
  private skipping = false;
  /** The first bytes of the last over-long line (where its channel ID is). */
  overlongHead = '';

  /** A line is carried over from an earlier chunk. */
  get carrying(): boolean {
    return this.skipping || this.pending !== '';
  }

  /** The carried line ended with `text[start, end)`: the whole line, or null when it is over the limit. */
  complete(text: string, start: number, end: number): string | null {
    if (this.skipping) {
      this.skipping = false;
      return null;
    }
    const pending = this.pending;
    this.pending = '';
    if (pending.length + end - start > MAX_REQUEST_LINE) {
      this.overlongHead = (pending + text.slice(start, start + OVERLONG_HEAD)).slice(0, OVERLONG_HEAD);
      return null;
    }
    return pending + text.slice(start, end);
  }

  /** A complete line from `start` is over the limit: null, its head kept for the answer. */
  overlong(text: string, start: number): null {
    this.overlongHead = text.slice(start, start + OVERLONG_HEAD);
    return null;
  }

  /** Keep `text` from `start` (no newline in it) for the next chunk, or skip it once the line is over the limit. */
  carry(text: string, start: number): void {
    if (this.skipping || start === text.length) return;
    if (this.pending.length + text.length - start <= MAX_REQUEST_LINE) {
      this.pending += text.slice(start);
      return;
    }
    this.overlongHead = (this.pending + text.slice(start, start + OVERLONG_HEAD)).slice(0, OVERLONG_HEAD);
    this.pending = '';
    this.skipping = true;
  }
}

/** Enough of an over-long line to find its channel ID. */
const OVERLONG_HEAD = 16;
