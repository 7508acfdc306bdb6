/**
 * The helper's I/O: read request lines from squid on stdin, write one answer
 * per line to stdout, in order. Everything that arrived in one read is
 * answered with one write, which is what makes `concurrency=N` pay: squid
 * sends many lines at once and gets them back together. Squid's pipe is
 * respected (reading pauses while stdout is full).
 */
import type { Readable, Writable } from 'node:stream';
import type { BlacklistIndex } from './blacklist-index.js';
import type { HelperAnswerer } from './helper-answerer.js';

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
    let pending = '';
    const answerText = (text: string): string => {
      const current = index();
      const active = answerer.activeFor(current);
      let out = '';
      let start = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
        out += `${answerer.answerLine(text.slice(start, newline), current, active)}\n`;
        start = newline + 1;
      }
      pending = text.slice(start);
      return out;
    };
    input.on('data', (chunk: Buffer) => {
      const out = answerText(pending + chunk.toString('latin1'));
      if (out && !output.write(out, 'latin1')) {
        input.pause();
        output.once('drain', () => input.resume());
      }
    });
    input.once('end', () => {
      const last = pending ? answerText(`${pending}\n`) : '';
      output.write(last, 'latin1', (err) => (err ? reject(err) : resolve()));
    });
    input.once('error', reject);
    output.once('error', reject);
  });
}
