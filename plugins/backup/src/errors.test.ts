import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackupErrors, quote } from './errors.js';

describe('backup error codes', () => {
  it('are the ones the README documents, with the same statuses, no more and no fewer', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Error codes'));
    const documented = [...table.matchAll(/^\| `(BACKUP_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    const make = (type: unknown) => (type as (...args: string[]) => { status: number })('x', 'y', 'z');
    const raised = Object.values(BackupErrors).map((type) => `${type.code} ${make(type).status}`);
    expect(documented.sort()).toEqual(raised.sort());
  });

  it('are named after their entries, one code each', () => {
    for (const [name, type] of Object.entries(BackupErrors)) expect(type.code).toBe(`BACKUP_ERR_${name}`);
  });

  it('show what a client sent quoted, escaped and cut short', () => {
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('x'.repeat(80))).toBe(`"${'x'.repeat(60)}…"`);
  });
});
