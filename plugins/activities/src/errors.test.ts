import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ActivitiesErrors } from './errors.js';

describe('activities error codes', () => {
  it('are the ones the README documents, with their HTTP status, no more and no fewer', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Error codes'));
    const documented = [...table.matchAll(/^\| `(ACTIVITIES_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const make = (type: unknown) => (type as (...args: string[]) => { status: number })('x', 'y', 'z');
    const raised = Object.values(ActivitiesErrors).map((type) => `${type.code} ${make(type).status}`);
    expect(documented.sort()).toEqual(raised.sort());
  });

  it('are named after their entries, one code each', () => {
    for (const [name, type] of Object.entries(ActivitiesErrors)) expect(type.code).toBe(`ACTIVITIES_ERR_${name}`);
  });
});
