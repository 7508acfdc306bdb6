import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperAnswerer } from './helper-answerer.js';
import { runHelperLoop } from './helper-loop.js';
import { MAX_REQUEST_LINE } from './squid-protocol.js';
import { compileFixture, type Compiled } from '../compile/lists.test-support.js';

let compiled: Compiled;
beforeAll(async () => {
  compiled = await compileFixture({ categories: { adult: { domains: ['adult.example'] } } });
});
afterAll(() => compiled.cleanup());

describe('the helper loop', () => {
  it('answers every line in order, lines split across reads included, and the last line without a newline', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const done = runHelperLoop({ input, output, answerer: new HelperAnswerer({ mode: 'acl', pageUrl: 'http://s/b', whenUnavailable: 'block' }), index: () => compiled.index });
    input.write('0 http://adult.exa');
    input.write('mple/ -\n1 http://clean.example/ -\n2 http://adult.example/x');
    input.end();
    await done;
    expect(text).toBe('0 OK message="adult"\n1 ERR\n2 OK message="adult"\n');
  });

  it('keeps up with many lines at once', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let answers = 0;
    output.on('data', (chunk: Buffer) => (answers += chunk.toString('latin1').split('\n').length - 1));
    const done = runHelperLoop({ input, output, answerer: new HelperAnswerer({ mode: 'rewrite', pageUrl: 'http://s/b', whenUnavailable: 'block' }), index: () => compiled.index });
    input.end(Array.from({ length: 10_000 }, (_, i) => `${i % 50} http://site${i}.example/ 10.0.0.1/- - GET\n`).join(''));
    await done;
    expect(answers).toBe(10_000);
  });
});

describe('an over-long line', () => {
  it('is answered BH (its channel ID echoed) without being held or handed on whole, and the next lines are answered', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const answerer = new HelperAnswerer({ mode: 'rewrite', pageUrl: 'http://s/b', whenUnavailable: 'block' });
    let longest = 0;
    const counting = Object.create(answerer) as HelperAnswerer;
    counting.answerLine = (line, index, active) => {
      longest = Math.max(longest, line.length);
      return answerer.answerLine(line, index, active);
    };
    const done = runHelperLoop({ input, output, answerer: counting, index: () => compiled.index });
    // 8 MiB of one line, written as squid's pipe delivers it, then ordinary lines.
    input.write('7 http://adult.example/');
    const block = 'a'.repeat(64 * 1024);
    for (let i = 0; i < 128; i++) input.write(block);
    input.write(' 10.0.0.5/- - GET\n8 http://adult.example/ -\nhttp://x.example/');
    for (let i = 0; i < 2; i++) input.write(block);
    input.end('\n9 http://clean.example/ -\n');
    await done;
    const answers = text.split('\n');
    expect(answers[0]).toBe(`7 BH message="the line is longer than ${MAX_REQUEST_LINE} bytes"`);
    expect(answers[1]).toMatch(/^8 OK status=302 /);
    expect(answers[2]).toBe(`BH message="the line is longer than ${MAX_REQUEST_LINE} bytes"`);
    expect(answers[3]).toBe('9 OK');
    expect(answers).toHaveLength(5);
    expect(longest).toBeLessThanOrEqual(MAX_REQUEST_LINE);
  });

  it('is measured across reads: the limit is read, one byte more is not', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const done = runHelperLoop({ input, output, answerer: new HelperAnswerer({ mode: 'acl', pageUrl: 'http://s/b', whenUnavailable: 'block' }), index: () => compiled.index });
    const head = '4 http://adult.example/';
    const fill = MAX_REQUEST_LINE - head.length;
    input.write(head);
    input.write('c'.repeat(fill - 1));
    input.write('c\n5 http://adult.example/');
    input.write('d'.repeat(fill));
    input.end('d\n');
    await done;
    expect(text).toBe(`4 OK message="adult"\n5 BH message="the line is longer than ${MAX_REQUEST_LINE} bytes"\n`);
  });

  it('of exactly the limit is still read', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const done = runHelperLoop({ input, output, answerer: new HelperAnswerer({ mode: 'acl', pageUrl: 'http://s/b', whenUnavailable: 'block' }), index: () => compiled.index });
    const head = '3 http://adult.example/';
    input.end(`${head}${'b'.repeat(MAX_REQUEST_LINE - head.length)}\n`);
    await done;
    expect(text).toBe('3 OK message="adult"\n');
  });
});
