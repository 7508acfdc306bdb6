/**
 * `GET|HEAD /activities/bundles/<file>.xo`: a bundle, streamed. Only files the
 * index knows are served: the name is looked up in the index and nothing from
 * the URL reaches the file system. The file is opened and checked against what
 * was inspected (size and time), so a file replaced behind the index's back is
 * never served unchecked.
 *
 * Validators are the sha256 (ETag) and the file's time (Last-Modified);
 * conditional requests, `If-Range`, single ranges and multipart/byteranges for
 * several are answered as RFC 9110 says.
 */
import { randomBytes } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { parseRange, type ByteRange } from './byte-ranges.js';
import type { BundleRecord } from './bundle-record.js';
import { httpDate, isNotModified, rangeStillValid, type Validators } from './conditional-get.js';
import { ActivitiesErrors, quote } from './errors.js';
import type { Library } from './library.js';

/** The MIME type of `.xo` bundles (activitybundle.py `MIME_TYPE`). */
export const BUNDLE_TYPE = 'application/vnd.olpc-sugar';

/** The validators of a bundle. */
export function bundleValidators(record: BundleRecord): Validators {
  return { etag: `"${record.sha256.slice(0, 32)}"`, lastModified: httpDate(record.mtimeMs) };
}

/** Answer a request for the library file named `file`. */
export async function serveBundle(c: Context, library: Library, file: string): Promise<void> {
  const record = library.index().byFile(file);
  if (!record) throw ActivitiesErrors.NOT_FOUND(`bundle file ${quote(file)}`);
  const handle = await openRecord(library, record);
  let streaming = false;
  try {
    const info = await handle.stat();
    if (info.size !== record.size || info.mtimeMs !== record.mtimeMs) {
      library.requestScan();
      throw ActivitiesErrors.CHANGED(record.file);
    }
    const validators = bundleValidators(record);
    c.set('ETag', validators.etag);
    c.set('Last-Modified', validators.lastModified);
    c.set('Accept-Ranges', 'bytes');
    c.set('Cache-Control', 'no-cache');
    if (isNotModified({ ifNoneMatch: c.get('If-None-Match'), ifModifiedSince: c.get('If-Modified-Since') }, validators)) {
      c.status = 304;
      return;
    }
    c.set('Content-Disposition', `attachment; filename="${record.file}"`);
    const range = c.get('Range') && rangeStillValid(c.get('If-Range'), validators) ? parseRange(c.get('Range'), record.size) : { kind: 'whole' as const };
    if (range.kind === 'unsatisfiable') {
      c.set('Content-Range', `bytes */${record.size}`);
      throw ActivitiesErrors.RANGE(String(record.size));
    }
    const head = c.method === 'HEAD';
    if (range.kind === 'whole') {
      c.status = 200;
      c.type = BUNDLE_TYPE;
      if (!head) c.body = handle.createReadStream();
      c.length = record.size;
    } else if (range.ranges.length === 1) {
      const { start, end } = range.ranges[0]!;
      c.status = 206;
      c.type = BUNDLE_TYPE;
      c.set('Content-Range', `bytes ${start}-${end}/${record.size}`);
      if (!head) c.body = handle.createReadStream({ start, end });
      c.length = end - start + 1;
    } else {
      const boundary = randomBytes(12).toString('hex');
      const parts = multipart(handle, range.ranges, record.size, boundary);
      c.status = 206;
      c.type = `multipart/byteranges; boundary=${boundary}`;
      if (!head) c.body = parts.stream();
      c.length = parts.length;
    }
    streaming = !head;
  } finally {
    // A stream given to koa closes the file when it ends or the client leaves.
    if (!streaming) await handle.close();
  }
}

async function openRecord(library: Library, record: BundleRecord): Promise<FileHandle> {
  try {
    return await open(join(library.dir, record.file), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    library.requestScan();
    throw ActivitiesErrors.NOT_FOUND(`bundle file ${quote(record.file)}`);
  }
}

/** A multipart/byteranges body (RFC 9110 §14.6) and its exact length. */
function multipart(handle: FileHandle, ranges: readonly ByteRange[], size: number, boundary: string) {
  const heads = ranges.map((range, i) =>
    Buffer.from(`${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${BUNDLE_TYPE}\r\nContent-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = heads.reduce((sum, head) => sum + head.length, 0) + ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0) + tail.length;
  async function* parts(): AsyncGenerator<Buffer> {
    for (const [i, range] of ranges.entries()) {
      yield heads[i]!;
      yield* handle.createReadStream({ start: range.start, end: range.end, autoClose: false }) as AsyncIterable<Buffer>;
    }
    yield tail;
  }
  const stream = () => {
    const body = Readable.from(parts(), { objectMode: false });
    // On 'close', not in the generator: a body destroyed before it started never runs the generator's finally.
    body.once('close', () => void handle.close().catch(() => {}));
    return body;
  };
  return { length, stream };
}
