/**
 * A whole snapshot as a tar stream, made by the system tar from an argument
 * vector (no shell). Symlinks go in as symlinks (their text is munged, see
 * rsync-request.ts); nothing outside the snapshot is read.
 */
import { PassThrough, type Readable } from 'node:stream';
import { launch, type Logger } from 'sugar-server';

export const TAR_PATH = '/usr/bin/tar';

/**
 * Stream `<snapshot>/` as a tar archive whose members start with `./`. The
 * stream ends only when tar succeeded; if tar fails it is destroyed, so the
 * client sees a cut download rather than a short archive that looks whole.
 * `stop()` ends tar early (the client went away).
 */
export function snapshotArchive(snapshot: string, log: Logger): { stream: Readable; stop(): void } {
  const tar = launch(TAR_PATH, ['--create', '--file=-', '--one-file-system', '--numeric-owner', `--directory=${snapshot}`, '.'], {
    stdin: false,
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
  });
  const out = new PassThrough();
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  tar.stdout.pipe(out, { end: false });
  tar.on('error', (err) => out.destroy(err));
  tar.on('close', (code, signal) => {
    if (code === 0) {
      out.end();
      return;
    }
    if (signal === null) log.error({ snapshot, code, stderr: stderr.trim() }, 'tar of a snapshot failed');
    out.destroy(new Error(`tar ended with ${signal ?? code}`));
  });
  return { stream: out, stop: () => tar.kill('SIGTERM') };
}
