/** Copying one feed file from a source, checking its size and sha256 on the way. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { syncDir } from '../storage/durable.js';
import { asFeedError, FeedErrors } from './errors.js';
import type { FeedSource } from './source.js';
import type { FeedFileEntry } from './types.js';

/** Write `file` from `source` to `target`, durably; throws SERVER_ERR_FEED_DIGEST when it is not what the manifest says. */
export async function copyChecked(source: FeedSource, file: FeedFileEntry, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const where = source.locate(file);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > file.size) return done(FeedErrors.DIGEST(where, `larger than the ${file.size} bytes announced`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(await source.open(file), meter, createWriteStream(target, { mode: 0o644 }));
    await syncDir(target);
  } catch (err) {
    throw asFeedError(err, where);
  }
  if (size !== file.size) throw FeedErrors.DIGEST(where, `${size} bytes, the manifest says ${file.size}`);
  const digest = hash.digest('hex');
  if (digest !== file.sha256) throw FeedErrors.DIGEST(where, `sha256 ${digest}, the manifest says ${file.sha256}`);
}
