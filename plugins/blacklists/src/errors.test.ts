import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BlacklistsErrors } from './errors.js';

describe('blacklists error codes', () => {
  it('are the ones the README documents, with their HTTP status, no more and no fewer', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Error codes'));
    const documented = [...table.matchAll(/^\| `(BLACKLISTS_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const make = (type: unknown) => (type as (...args: unknown[]) => { status: number })('x', 1, 'z');
    const raised = Object.values(BlacklistsErrors).map((type) => `${type.code} ${make(type).status}`);
    expect(documented.sort()).toEqual(raised.sort());
  });

  it('reach clients with their own code and message, 5xx ones too (the core hides those not marked to be shown)', () => {
    const make = (type: unknown) => (type as (...args: unknown[]) => { expose: boolean })('x', 1, 'z');
    const hidden = Object.values(BlacklistsErrors).filter((type) => !make(type).expose).map((type) => type.code);
    expect(hidden).toEqual([]);
  });

  it('are named after their entries, one code each', () => {
    for (const [name, type] of Object.entries(BlacklistsErrors)) expect(type.code).toBe(`BLACKLISTS_ERR_${name}`);
  });
});
