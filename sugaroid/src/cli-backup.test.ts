import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sugaroid-cli-backup-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sugaroid backup and restore, called wrongly', () => {
  it.each([
    [['backup'], /needs --server HOST/],
    [['backup', '--server', 'h'], /--identity FILE or --register URL/],
    [['backup', '--server', 'h', '--register', 'http://h:8080/', '--identity', 'x.json'], /--identity FILE or --register URL/],
    [['backup', '--server', 'h', '--register', 'http://h:8080/', '--key-type', 'rsa1'], /--key-type must be one of/],
    [['backup', '--server', 'h', '--register', 'http://h:8080/', '--size', 'big'], /--size takes bytes/],
    [['restore', '--server', 'h'], /needs --identity FILE/],
    [['restore', '--identity', 'x.json'], /needs --server HOST/],
  ])('%j is a usage error', async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses an identity file without private keys, and a --count larger than the file', async () => {
    const file = join(dir, 'laptops.json');
    await writeFile(file, JSON.stringify([{ serial: 'SHC0123456A', sshKey: { publicBlob: 'x' } }]));
    expect((await run('restore', '--server', 'h', '--identity', file)).stderr).toMatch(/privateKey/);
    await writeFile(file, JSON.stringify({ serial: 'SHC0123456A', sshKey: { privateKey: 'k' } }));
    expect((await run('restore', '--server', 'h', '--identity', file, '--count', '2')).stderr).toMatch(/holds 1 laptop/);
  });

  it('explains itself', async () => {
    const help = await run('backup', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/60·2ⁿ s on 503/);
  });
});
