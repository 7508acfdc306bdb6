import { describe, expect, it } from 'vitest';
import { HASH_LO_MASK, hashHost, hashHostBytes, KEY_FLIP, suffixKeys } from './domain-hash.js';

const his = new Int32Array(128);
const los = new Int32Array(128);
const starts = new Int32Array(128);

describe('host hashes', () => {
  it('are the same from a string and from bytes, upper case folded on the bytes', () => {
    for (const host of ['example.com', 'www.example.co.uk', 'a', 'xn--bcher-kva.example', '10.0.0.1']) {
      const bytes = Buffer.from(`  ${host.toUpperCase()}  `, 'latin1');
      expect(hashHostBytes(bytes, 2, 2 + host.length, { hi: 0, lo: 0 })).toEqual(hashHost(host));
    }
  });

  it('leave the low byte of lo free for the category', () => {
    for (let i = 0; i < 1000; i++) expect(hashHost(`host${i}.example`).lo & ~HASH_LO_MASK).toBe(0);
  });

  it('give every parent suffix its key in one pass, shortest first and the whole name last', () => {
    const count = suffixKeys('a.b.example.com', his, los, starts);
    expect(count).toBe(4);
    const names = ['com', 'example.com', 'b.example.com', 'a.b.example.com'];
    names.forEach((name, k) => {
      const hash = hashHost(name);
      expect({ hi: his[k], lo: los[k] }).toEqual({ hi: hash.hi ^ KEY_FLIP, lo: hash.lo ^ KEY_FLIP });
      expect('a.b.example.com'.slice(starts[k])).toBe(name);
    });
  });

  it('spread names over the 56 bits: no collision among 200,000 similar names', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      const h = hashHost(`site${i}.example${i % 7}.com`);
      seen.add(`${h.hi}:${h.lo}`);
    }
    expect(seen.size).toBe(200_000);
  });

  it('differ between a name and the same letters with the dots moved', () => {
    expect(hashHost('ab.c')).not.toEqual(hashHost('a.bc'));
    expect(hashHost('example.com')).not.toEqual(hashHost('examplecom'));
  });
});
