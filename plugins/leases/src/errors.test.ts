import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LeasesErrors } from './errors.js';

describe('leases error codes', () => {
  it('are the ones the README documents, no more and no fewer', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Error codes'));
    const documented = [...table.matchAll(/^\| `(LEASES_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const make = (type: unknown) => (type as (...args: string[]) => { status: number })('x', 'y', 'z');
    const raised = Object.values(LeasesErrors).map((type) => `${type.code} ${make(type).status}`);
    expect(documented.sort()).toEqual(raised.sort());
  });

  it('are named after their entries, one code each', () => {
    for (const [name, type] of Object.entries(LeasesErrors)) expect(type.code).toBe(`LEASES_ERR_${name}`);
  });
});
