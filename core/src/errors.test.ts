import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSugarError, ServerErrors, SugarError } from './errors.js';
import { FeedErrors } from './feeds/index.js';
import { FleetErrors } from './fleet/index.js';
import { CODES_BY_STATUS } from './http/errors.js';

describe('error codes', () => {
  it('are the ones the README documents, no more and no fewer', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Error codes'));
    const documented = new Set([...table.matchAll(/^\| `(SERVER_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    const raised = new Set([...[...Object.values(ServerErrors), ...Object.values(FeedErrors), ...Object.values(FleetErrors)].map((type) => type.code), ...Object.values(CODES_BY_STATUS), 'SERVER_ERR_HTTP']);
    expect([...documented].sort()).toEqual([...raised].sort());
  });

  it('follow <OWNER>_ERR_<WHAT>', () => {
    for (const type of Object.values(ServerErrors)) expect(type.code).toMatch(/^SERVER_ERR_[A-Z_]+$/);
  });

  it('are recognised across copies of the package by their brand, not their class', () => {
    const foreign = Object.defineProperty(new Error('from another copy'), Symbol.for('sugar-server.error'), { value: true });
    expect(isSugarError(foreign)).toBe(true);
    expect(isSugarError(new Error('plain'))).toBe(false);
    const error = ServerErrors.BODY_TOO_LARGE(64);
    expect(error).toBeInstanceOf(SugarError);
    expect(ServerErrors.BODY_TOO_LARGE.is(error)).toBe(true);
    expect(ServerErrors.NOT_FOUND.is(error)).toBe(false);
    expect({ status: error.status, expose: error.expose }).toEqual({ status: 413, expose: true });
    expect(ServerErrors.INTERNAL().expose).toBe(false);
  });
});
