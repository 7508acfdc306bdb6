import { describe, expect, it } from 'vitest';
import { pageChunks, SOUP_LINE_READ, SOUP_READ } from './page-chunks.js';

const entry = (i: number) => `<li class="activity"><div class="olpc-activity-info"><span class="olpc-activity-version">${i}.1</span></div></li>\n`;

describe('pageChunks', () => {
  const entries = Array.from({ length: 500 }, (_, i) => entry(i));
  const chunks = pageChunks('<html><body><ul>\n', entries, '</ul></body></html>\n');
  const text = chunks.map((chunk) => chunk.toString());

  it('sends the head alone, padded to the size of libsoup\'s first read', () => {
    expect(chunks[0]).toHaveLength(SOUP_READ);
    expect(text[0]).toMatch(/^<html><body><ul>\n\n+$/);
  });

  it('sends whole entries, at most one read a chunk, each chunk opening with line breaks for the short read after its size line', () => {
    for (const chunk of chunks.slice(1)) expect(chunk.length).toBeLessThanOrEqual(SOUP_READ);
    for (const piece of text.slice(1)) {
      expect(piece.slice(0, SOUP_LINE_READ)).toBe('\n'.repeat(SOUP_LINE_READ));
      expect(piece.slice(SOUP_LINE_READ)).toMatch(/^(<li [^\n]*<\/li>\n)*(<\/ul><\/body><\/html>\n)?$/);
    }
    expect(text.join('').replace(/^\n+/gm, '')).toBe(`<html><body><ul>\n${entries.join('')}</ul></body></html>\n`);
  });

  it('gives an entry longer than a read a chunk of its own', () => {
    const long = `<li>${'x'.repeat(SOUP_READ)}</li>\n`;
    const pieces = pageChunks('<ul>\n', [entry(1), long, entry(2)], '</ul>\n').slice(1).map((chunk) => chunk.toString().replace(/^\n+/, ''));
    expect(pieces).toEqual([entry(1), long, `${entry(2)}</ul>\n`]);
  });
});
