/**
 * Receiving an upload: the request body streamed to a temp file in the library
 * folder, never held in memory, and cut off at the limit. A body that says in
 * `Content-Length` that it is too large is refused before a byte is read.
 */
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'koa';
import { ServerErrors } from 'sugar-server';
import { ActivitiesErrors } from './errors.js';

/** Write the body of `c` to `temp` (which must not exist); throws SERVER_ERR_BODY_TOO_LARGE past `limit` bytes. */
export async function receiveUpload(c: Context, temp: string, limit: number): Promise<number> {
  const tooLarge = () => {
    // The rest of the body is not wanted: close the connection after answering.
    c.set('Connection', 'close');
    return ServerErrors.BODY_TOO_LARGE(limit);
  };
  if (Number(c.get('Content-Length')) > limit) throw tooLarge();
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > limit ? tooLarge() : null, chunk);
    },
  });
  try {
    await pipeline(c.req, meter, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
  } catch (err) {
    if (ServerErrors.BODY_TOO_LARGE.is(err)) throw err;
    throw ServerErrors.BAD_REQUEST(`the upload did not arrive whole: ${(err as Error).message}`);
  }
  if (size === 0) throw ActivitiesErrors.NOT_ZIP('the request has no body; send the .xo file as the body');
  return size;
}
