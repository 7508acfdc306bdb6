/**
 * `replicate_rate`: one budget of bytes per second shared by every upload at
 * once, so replication leaves the rest of a school's thin uplink to the school.
 */
import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

const SLICE = 64 * 1024;

export class Throttle {
  /** When the bytes granted so far will have been sent at the rate (ms, monotonic). */
  private sentUntil = 0;

  constructor(private readonly bytesPerSecond: number) {}

  get limited(): boolean {
    return this.bytesPerSecond > 0;
  }

  /** Wait until `bytes` more fit in the rate. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!this.limited) return;
    const now = performance.now();
    // No saving up: an idle minute does not buy a burst beyond a quarter of a second.
    this.sentUntil = Math.max(this.sentUntil, now - 250) + (bytes * 1000) / this.bytesPerSecond;
    const wait = this.sentUntil - now;
    if (wait > 0) await sleep(wait, undefined, { signal });
  }

  /** `body` paced at the rate (unchanged when there is no cap). */
  pace(body: Readable, signal?: AbortSignal): Readable {
    if (!this.limited) return body;
    const throttle = this;
    const paced = new Transform({
      async transform(chunk: Buffer, _encoding, done) {
        try {
          for (let at = 0; at < chunk.length; at += SLICE) {
            const slice = chunk.subarray(at, at + SLICE);
            await throttle.take(slice.length, signal);
            this.push(slice);
          }
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    });
    body.on('error', (err) => paced.destroy(err));
    return body.pipe(paced);
  }
}
