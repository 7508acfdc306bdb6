import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quote, RegistryErrors } from './errors.js';

describe('registry error codes', () => {
  it('are the ones the README documents, no more and no fewer', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Error codes'));
    const documented = [...table.matchAll(/^\| `(REGISTRY_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(RegistryErrors).map((type) => type.code).sort());
  });

  it('are named after their entries, one code each', () => {
    for (const [name, type] of Object.entries(RegistryErrors)) expect(type.code).toBe(`REGISTRY_ERR_${name}`);
  });

  it('show what a client sent quoted, escaped and cut short', () => {
    expect(quote('a"b\n')).toBe('"a\\"b\\n"');
    expect(quote('x'.repeat(50))).toBe(`"${'x'.repeat(40)}…"`);
    expect(quote(null)).toBe('null');
    expect(quote(12)).toBe('number');
  });
});
