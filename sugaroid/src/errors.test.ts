import { describe, expect, it } from 'vitest';
import { isSugaroidError, SugaroidError, SugaroidErrors } from './errors.js';

describe('SugaroidErrors', () => {
  it('has one distinct SUGAROID_ERR_* code per entry, named after it', () => {
    const entries = Object.entries(SugaroidErrors);
    for (const [name, type] of entries) expect(type.code).toBe(`SUGAROID_ERR_${name}`);
    expect(new Set(entries.map(([, type]) => type.code)).size).toBe(entries.length);
  });

  it('makes branded errors that its types recognise by code', () => {
    const err = SugaroidErrors.HTTP('GET', 'http://h/status', 503);
    expect(err).toBeInstanceOf(SugaroidError);
    expect(err).toMatchObject({ code: 'SUGAROID_ERR_HTTP', status: 503, message: 'server answered 503 to GET http://h/status' });
    expect(SugaroidErrors.HTTP.is(err)).toBe(true);
    expect(SugaroidErrors.BAD_ANSWER.is(err)).toBe(false);
  });

  it('recognises errors from another copy of the package by the brand, not the class', () => {
    const foreign = Object.assign(new Error('x'), { code: 'SUGAROID_ERR_NO_SERVER', [Symbol.for('sugaroid.error')]: true });
    expect(isSugaroidError(foreign)).toBe(true);
    expect(SugaroidErrors.NO_SERVER.is(foreign)).toBe(true);
    expect(isSugaroidError(Object.assign(new Error('x'), { code: 'SUGAROID_ERR_NO_SERVER' }))).toBe(false);
    expect(isSugaroidError(null)).toBe(false);
  });
});
