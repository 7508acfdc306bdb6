import { describe, expect, it } from 'vitest';
import { ALLOW_ID, LOCAL_ID, policyOf } from './policy.js';

describe('the compiled policy', () => {
  it('puts the school list first, then categories that always block, then those with time windows', () => {
    const policy = policyOf({
      categories: ['games', 'adult', 'malware', 'adult'],
      deny: ['malware'],
      times: new Map([['games', [{ days: 0x7f, from: 0, to: 60 }]]]),
    });
    expect(policy.map((c) => [c.id, c.name, c.action])).toEqual([
      [LOCAL_ID, 'local', 'page'],
      [2, 'adult', 'page'],
      [3, 'malware', 'deny'],
      [4, 'games', 'page'],
    ]);
    expect(policy.some((c) => c.id === ALLOW_ID)).toBe(false);
  });
});
