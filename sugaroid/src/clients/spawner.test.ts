import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runProgram } from './spawner.js';

describe('programs run from the spawning thread', () => {
  it('hand back the exit code and the output, the last characters only past the tail', async () => {
    expect(await runProgram('sh', ['-c', 'echo out; echo err >&2; exit 3'], process.env)).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(await runProgram('sh', ['-c', 'printf 0123456789'], process.env, { tail: 4 })).toMatchObject({ code: 0, stdout: '6789' });
    // Many at once, each answered with its own output.
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => runProgram('sh', ['-c', `echo ${i}`], process.env)));
    expect(runs.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });

  it('pass the environment given, and reject only a program that cannot start', async () => {
    expect((await runProgram('sh', ['-c', 'echo "$SUGAROID_PROBE"'], { PATH: process.env.PATH, SUGAROID_PROBE: 'seen' })).stdout).toBe('seen\n');
    await expect(runProgram('sugaroid-no-such-program', [], process.env)).rejects.toThrow('ENOENT');
  });

  it('run at the niceness asked, and so does what the program starts', async () => {
    // Field 19 of /proc/<pid>/stat is the niceness; read by a grandchild, as rsync's ssh is one.
    const niceness = async (nice?: number) => {
      const { stdout } = await runProgram('sh', ['-c', 'cat /proc/self/stat'], process.env, nice === undefined ? {} : { nice });
      return Number(stdout.slice(stdout.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const own = getPriority();
    expect(await niceness()).toBe(own);
    expect(await niceness(7)).toBe(Math.min(19, own + 7));
    expect((await runProgram('sugaroid-no-such-program', [], process.env, { nice: 5 })).code).toBe(127);
  });
});
