/**
 * A zip read over HTTP Range requests, as Sugar reads a bundle it does not
 * have yet (jarabe `util/httprange.py`: a file object whose reads are Range
 * requests, under Python's ZipFile). yauzl reads the end of the file for the
 * central directory, then each entry's header and data; each read becomes
 * range requests for whole blocks, and blocks are kept, so reading the
 * directory and a few small entries takes a handful of requests.
 */
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { isSugaroidError, SugaroidErrors } from '../errors.js';
import { DEFAULT_TIMEOUT_MS, type RequestOptions } from './http.js';
import { deadline } from './deadline.js';

/** Bytes per block; the central directory of a bundle usually fits in one or two. */
const BLOCK = 64 * 1024;
/** Blocks fetched in one request at most. */
const MAX_RUN = 16;
/** Blocks kept; more than a run, so a run's blocks are still there when read. */
const MAX_BLOCKS = 64;

/** yauzl's random-access reader over Range requests to one URL of known size. */
export class HttpRangeReader extends yauzl.RandomAccessReader {
  /** Range requests made so far. */
  requests = 0;
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    readonly url: URL,
    readonly size: number,
    private readonly options: RequestOptions = {},
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.bytes(start, end), { objectMode: false });
  }

  /** Bytes `start` to `end` (exclusive), block by block. */
  private async *bytes(start: number, end: number): AsyncGenerator<Buffer> {
    const last = Math.floor((end - 1) / BLOCK);
    for (let block = Math.floor(start / BLOCK); block <= last; block++) {
      if (!this.blocks.has(block)) await this.fetchRun(block, last);
      const data = this.blocks.get(block)!;
      yield data.subarray(Math.max(start - block * BLOCK, 0), Math.min(end - block * BLOCK, data.length));
    }
  }

  /** Fetch `first` and the missing blocks right after it (up to `last`) in one request. */
  private async fetchRun(first: number, last: number): Promise<void> {
    let end = first;
    while (end < last && end - first + 1 < MAX_RUN && !this.blocks.has(end + 1)) end++;
    await this.fetchBlocks(first, end);
  }

  private async fetchBlocks(first: number, last: number): Promise<void> {
    const start = first * BLOCK;
    const end = Math.min((last + 1) * BLOCK, this.size) - 1;
    const data = await this.fetchRange(start, end);
    for (let block = first; block <= last; block++) {
      if (this.blocks.size >= MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
      this.blocks.set(block, data.subarray((block - first) * BLOCK, (block - first + 1) * BLOCK));
    }
  }

  private async fetchRange(start: number, end: number): Promise<Buffer> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const { signal, clear } = deadline(timeoutMs);
    this.requests++;
    let response: Response;
    try {
      response = await fetch(this.url, { headers: { Range: `bytes=${start}-${end}` }, signal });
    } catch (err) {
      clear();
      if (signal.aborted) throw SugaroidErrors.TIMEOUT(this.url.href, timeoutMs);
      throw SugaroidErrors.UNREACHABLE(this.url.href, (err as Error).message);
    }
    const body = Buffer.from(await response.arrayBuffer().finally(clear));
    if (response.status !== 206) throw SugaroidErrors.BAD_ANSWER(this.url.href, `asked for bytes ${start}-${end}, got HTTP ${response.status} instead of 206`);
    const range = response.headers.get('content-range');
    if (range !== `bytes ${start}-${end}/${this.size}` || body.length !== end - start + 1) {
      throw SugaroidErrors.BAD_ANSWER(this.url.href, `asked for bytes ${start}-${end}/${this.size}, got ${range ?? 'no Content-Range'} with ${body.length} bytes`);
    }
    return body;
  }
}

/** The size Sugar learns first, with a HEAD request (jarabe `util/downloader.py`, `get_size`). */
export async function remoteSize(url: URL, options: RequestOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { signal, clear } = deadline(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', signal });
  } catch (err) {
    if (signal.aborted) throw SugaroidErrors.TIMEOUT(url.href, timeoutMs);
    throw SugaroidErrors.UNREACHABLE(url.href, (err as Error).message);
  } finally {
    clear();
  }
  if (response.status !== 200) throw SugaroidErrors.HTTP('HEAD', url.href, response.status);
  const length = response.headers.get('content-length');
  if (length === null || !/^\d+$/.test(length)) throw SugaroidErrors.BAD_ANSWER(url.href, 'no Content-Length in the answer to HEAD');
  return Number(length);
}

/** Open the zip at `url` for reading by range. */
export async function openRemoteZip(url: URL, options: RequestOptions = {}): Promise<{ zip: yauzl.ZipFile; reader: HttpRangeReader; size: number }> {
  const size = await remoteSize(url, options);
  const reader = new HttpRangeReader(url, size, options);
  try {
    const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { autoClose: false });
    return { zip, reader, size };
  } catch (err) {
    if (isSugaroidError(err)) throw err;
    throw SugaroidErrors.BAD_ANSWER(url.href, `not a zip archive: ${(err as Error).message}`);
  }
}
