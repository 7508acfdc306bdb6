/**
 * Running the system's file tools (coreutils, findutils) from an argument
 * vector, never a shell: they walk and link tens of thousands of files several
 * times faster than the same work done file by file through Node's thread pool.
 */
import { launch } from 'sugar-server';

/** Run `program` with `args`; resolves with its stdout, rejects with its stderr when it fails. */
export function runTool(program: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Off the event loop: forking the daemon for each tool is what a wave of backups is made of.
    const child = launch(program, args, { stdin: false, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${program} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${err.trim() || 'no message'}`));
    });
  });
}
