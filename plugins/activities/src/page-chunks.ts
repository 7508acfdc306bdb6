/**
 * The activity page on the wire, cut so that Sugar's updater reads every entry
 * whole.
 *
 * Sugar feeds each network read to its parser as it comes (jarabe
 * `model/update/microformat.py`: the Downloader's 'got-chunk' signal into
 * `_UpdateHTMLParser.feed`). Python's HTMLParser hands on the text read so far
 * at the end of every feed, and `handle_data` keeps only the last piece of a
 * version, so a read that ends inside `12.1` leaves the laptop with `1` or
 * `2.1`. The reads are libsoup 2.4's:
 *
 *  - the first socket read takes up to 8 KiB: the headers and the start of the body;
 *  - a body read takes at most 8 KiB and never runs past the end of an HTTP chunk;
 *  - a chunk's size line is read with a 128-byte buffer, and whatever of the
 *    chunk's data came along is handed on as a read of its own.
 *
 * So the page is sent in chunks: first the head, padded with line breaks to
 * 8 KiB so the first read ends before any entry; then whole entries, at most
 * 8 KiB a chunk, each chunk opening with 128 line breaks for the short read
 * after its size line to end in. Where the data has all arrived, every read then
 * ends between entries. A laptop that reads faster than the data arrives can
 * still be handed a read that ends anywhere; the activities benchmark measures
 * how often.
 */

/** RESPONSE_BLOCK_SIZE in libsoup's soup-message-io.c: the most one read takes. */
export const SOUP_READ = 8192;
/** The buffer libsoup's soup-body-input-stream.c reads a chunk-size line with. */
export const SOUP_LINE_READ = 128;

const LEAD = Buffer.from('\n'.repeat(SOUP_LINE_READ));

/** The page as HTTP chunks: the head, then runs of whole entries, the tail with the last run. */
export function pageChunks(head: string, entries: readonly string[], tail: string): Buffer[] {
  const headBytes = Buffer.from(head);
  const chunks = [Buffer.concat([headBytes, Buffer.from('\n'.repeat(Math.max(0, SOUP_READ - headBytes.length)))])];
  let run: Buffer[] = [LEAD];
  let size = LEAD.length;
  for (const entry of [...entries.map((text) => Buffer.from(text)), Buffer.from(tail)]) {
    // An entry longer than a read on its own goes in a chunk of its own.
    if (size + entry.length > SOUP_READ && run.length > 1) {
      chunks.push(Buffer.concat(run, size));
      run = [LEAD];
      size = LEAD.length;
    }
    run.push(entry);
    size += entry.length;
  }
  chunks.push(Buffer.concat(run, size));
  return chunks;
}
