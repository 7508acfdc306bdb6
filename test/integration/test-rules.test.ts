/**
 * The rules of test/README.md that a script can check: a missing real part
 * never passes as a skip under CI, nothing is skipped for good, and the run's
 * temporary files live in one folder that is removed at the end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, skipWithout } from '../harness/index.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return /\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('the suites', () => {
  const files = ['core', 'sugaroid', 'plugins', 'test'].flatMap((top) => testFiles(join(REPO, top)));

  it('skip a test only where a real part is missing, and never under CI', () => {
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        const at = `${relative(REPO, file)}:${i + 1}`;
        if (/\b(it|test|describe)\.(skip|todo)\(|\.only\(/.test(line)) offenders.push(`${at}: ${line.trim()}`);
        if (/\.skipIf\(/.test(line) && !/skipWithout\(|process\.env\.CI !== 'true'/.test(line)) offenders.push(`${at}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('make their temporary files in the run\'s own folder', () => {
    expect(tmpdir()).toMatch(/\/sugar-server-tests-[^/]+$/);
  });
});

describe('skipWithout', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('skips a suite whose part is missing on a developer\'s machine', () => {
    delete process.env.CI;
    expect(skipWithout(false)).toBe(true);
    expect(skipWithout(true)).toBe(false);
  });

  it('runs it under CI, where the missing part fails it', () => {
    process.env.CI = 'true';
    expect(skipWithout(false)).toBe(false);
  });
});
