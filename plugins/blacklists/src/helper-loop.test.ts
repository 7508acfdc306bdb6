import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperAnswerer } from './helper-answerer.js';
import { runHelperLoop } from './helper-loop.js';
import { compileFixture, type Compiled } from './lists.test-support.js';

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
    const done = runHelperLoop({ input, output, answerer: new HelperAnswerer({ mode: 'acl', pageUrl: 'http://s/b' }), index: () => compiled.index });
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
    const done = runHelperLoop({ input, output, answerer: new HelperAnswerer({ mode: 'rewrite', pageUrl: 'http://s/b' }), index: () => compiled.index });
    input.end(Array.from({ length: 10_000 }, (_, i) => `${i % 50} http://site${i}.example/ 10.0.0.1/- - GET\n`).join(''));
    await done;
    expect(answers).toBe(10_000);
  });
});
