import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeUpdates } from './cli-activities.js';
import { main } from './cli.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sugaroid-cli-activities-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('sugaroid updates and download', () => {
  it.each(['updates', 'download'])('prints help for %s', async (command) => {
    const { code, stdout } = await run(command, '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: sugaroid ${command}`));
  });

  it('lists both in the command list', async () => {
    const { stdout } = await run('--help');
    expect(stdout).toMatch(/^ {2}updates +check a server for activity updates/m);
    expect(stdout).toMatch(/^ {2}download +download a bundle/m);
  });

  it('exits 2 with a message for wrong usage', async () => {
    const notJson = join(dir, 'installed.txt');
    await writeFile(notJson, 'Paint 33');
    const notList = join(dir, 'installed.json');
    await writeFile(notList, '{"id": "a"}');
    const cases: [string[], RegExp][] = [
      [['updates'], /updates needs --server URL/],
      [['updates', '--server', 'http://127.0.0.1:9', '--installed', notJson], /--installed .*installed\.txt: /],
      [['updates', '--server', 'http://127.0.0.1:9', '--installed', notList], /expected a JSON list/],
      [['updates', '--server', 'http://127.0.0.1:9', '--timeout', 'soon'], /--timeout takes whole milliseconds/],
      [['download'], /download needs one bundle URL/],
      [['download', 'http://h/a.xo', '--id', 'a'], /--id and --version go together/],
      [['download', 'http://h/a.xo', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr } = await run(...argv);
      expect([code, stderr], argv.join(' ')).toEqual([2, expect.stringMatching(message)]);
    }
  });

  it('exits 1 for a server URL it cannot use or reach', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await run('updates', '--server', `http://127.0.0.1:${port}`, '--timeout', '2000');
    expect([unreachable.code, unreachable.stderr]).toEqual([1, `sugaroid: cannot reach http://127.0.0.1:${port}/activities/: ECONNREFUSED`]);
    const bad = await run('updates', '--server', 'schoolserver');
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('bad server URL "schoolserver"')]);
  });

  it('describes updates for people', () => {
    const text = describeUpdates({
      protocol: 'microformat', url: 'http://h/activities/', groupName: 'School', groupDescription: null, offered: 2, rangeRequests: 2,
      updates: [
        { id: 'org.a', version: '2', url: 'http://h/a.xo', size: 2048, optional: false, installedVersion: '1', name: 'A', iconSvg: null },
        { id: 'org.b', version: '5', url: 'http://h/b.xo', size: 3 * 1024 * 1024, optional: true, installedVersion: null, name: 'B', iconSvg: null },
      ],
      failed: [{ id: 'org.c', reason: 'boom' }],
    });
    expect(text).toBe([
      'School (http://h/activities/): 2 offered, 2 updates',
      '  org.a  1 -> 2  A  2 KB  http://h/a.xo',
      '  org.b  new 5  B  3.0 MB  (optional)  http://h/b.xo',
      'failed (1):',
      '  org.c: boom',
    ].join('\n'));
  });
});
