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
import type { BlacklistIndex } from './blacklist-index.js';
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
      let out = '';
      lines.feed(text, atEnd, (line) => {
        out += `${line === null ? overlongAnswer(lines.overlongHead) : answerer.answerLine(line, current, active)}\n`;
      });
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
 * Cuts the input into lines of at most {@link MAX_REQUEST_LINE} bytes, in
 * time linear in the input: each chunk is searched once, and an unfinished
 * line is kept only up to the limit; beyond it the rest of the line is skipped.
 */
class LineSplitter {
  /** The start of the unfinished line (at most the limit). */
  private pending = '';
  /** The unfinished line went over the limit: skip to its newline. */
  private skipping = false;
  /** The first bytes of the last over-long line (where its channel ID is). */
  overlongHead = '';

  /** Hand each complete line of `text` to `visit`, or null for one over the limit; `atEnd` ends the last line too. */
  feed(text: string, atEnd: boolean, visit: (line: string | null) => void): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      this.finish(text, start, newline, visit);
      start = newline + 1;
    }
    if (atEnd) {
      if (this.pending || this.skipping || start < text.length) this.finish(text, start, text.length, visit);
      return;
    }
    if (this.skipping) return;
    if (this.pending.length + text.length - start > MAX_REQUEST_LINE) this.skip(this.pending + text.slice(start, start + OVERLONG_HEAD));
    else this.pending += text.slice(start);
  }

  private finish(text: string, start: number, end: number, visit: (line: string | null) => void): void {
    if (this.skipping) {
      this.skipping = false;
      visit(null);
    } else if (this.pending.length + end - start > MAX_REQUEST_LINE) {
      this.overlongHead = (this.pending + text.slice(start, start + OVERLONG_HEAD)).slice(0, OVERLONG_HEAD);
      this.pending = '';
      visit(null);
    } else {
      const line = this.pending ? this.pending + text.slice(start, end) : text.slice(start, end);
      this.pending = '';
      visit(line);
    }
  }

  private skip(head: string): void {
    this.overlongHead = head.slice(0, OVERLONG_HEAD);
    this.pending = '';
    this.skipping = true;
  }
}

/** Enough of an over-long line to find its channel ID. */
const OVERLONG_HEAD = 16;
