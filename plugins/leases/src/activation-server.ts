/**
 * The XO's activation exchange on TCP port 191.
 *
 * Verified in dracut-modules-olpc (repository lkundrak/dracut-modules-olpc),
 * `30olpc-activation/activate.py` and `30olpc-boot/activate.py`:
 * `try_to_get_lease` connects with a 3 s timeout, `sendall(serial_num)` (no
 * newline), `shutdown(SHUT_WR)`, then reads to EOF; `check_stolen` compares the
 * whole answer with `'STOLEN'`; an empty answer makes it try the next address
 * (`fe80::abcd:ef02`/`ef01`, then `172.18.0.1`, port 191, four rounds). The
 * `rtcreset <SN> <ts> <count>` request is as PROTOCOLS.md gives it: the versions
 * of activate.py found do not send it, and `30olpc-boot/olpc-boot-prepivot.sh`
 * only shows that an answer starting with `rtc` is kept as `rtcreset.sig`.
 *
 * Each connection gets a fixed budget: at most 256 bytes, and `timeoutMs` to send
 * them and half-close. Past the size the connection is cut at once; at the
 * deadline a complete request is still answered (a hand-run `nc` may not
 * half-close), anything else is cut. Nothing is buffered beyond the limit, and
 * one slow or rude client never holds up another.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'sugar-server';
import { isSerial } from './lease-line.js';
import { STOLEN, type Answer } from './lease-store.js';

/** Longer than any serial or `rtcreset` line an XO sends. */
export const MAX_REQUEST_BYTES = 256;

/** A request a laptop may send. */
export interface ActivationRequest {
  readonly kind: 'serial' | 'rtcreset';
  readonly serial: string;
}

/** What the port 191 handler needs. */
export interface ActivationOptions {
  /** What to answer for a serial (looked up per request, so a new import applies at once). */
  answer(serial: string): Answer;
  readonly log: Logger;
  /** How long a client has to send its request and half-close. */
  readonly timeoutMs: number;
}

/** Read a request: a bare serial, or `rtcreset <SN> <ts> <count>`; one trailing newline is forgiven. */
export function parseActivationRequest(raw: Buffer): ActivationRequest | null {
  const text = raw.toString('latin1').replace(/\r?\n$/, '');
  if (isSerial(text)) return { kind: 'serial', serial: text };
  const rtc = /^rtcreset (\S+) (\S+) (\S+)$/.exec(text);
  if (rtc && isSerial(rtc[1])) return { kind: 'rtcreset', serial: rtc[1] };
  return null;
}

/** The connection handler for `ctx.listenTcp`. */
export function activationHandler(options: ActivationOptions): (socket: Socket) => void {
  const { log, timeoutMs } = options;
  return (socket) => {
    const remote = socket.remoteAddress;
    const chunks: Buffer[] = [];
    let size = 0;
    let answered = false;

    const cut = (reason: string) => {
      answered = true;
      log.debug({ remote, outcome: 'cut', reason }, 'activation request cut off');
      socket.destroy();
    };
    const respond = () => {
      if (answered) return;
      answered = true;
      const request = parseActivationRequest(Buffer.concat(chunks, size));
      if (!request) {
        log.debug({ remote, outcome: 'refused', bytes: size }, 'activation request is not a serial');
        socket.end();
        return;
      }
      let answer: Answer;
      try {
        answer = options.answer(request.serial);
      } catch (err) {
        // Event handlers run outside the core's guard: a throw here would end the process.
        log.error({ err, serial: request.serial }, 'activation lookup failed; connection closed');
        socket.destroy();
        return;
      }
      log.info({ serial: request.serial, request: request.kind, outcome: answer.outcome, remote }, 'activation answered');
      // Written synchronously: with allowHalfOpen off, our side is ended right after 'end' is handled.
      if (answer.outcome === 'lease') socket.end(answer.text);
      else if (answer.outcome === 'stolen') socket.end(STOLEN);
      else socket.end();
    };

    const onDeadline = () => {
      if (!answered && !parseActivationRequest(Buffer.concat(chunks, size))) return cut(`no request within ${timeoutMs} ms`);
      respond();
      // The same budget again for the client to read the answer; then it is cut.
      timer = setTimeout(() => socket.destroy(), timeoutMs);
    };
    // Judged after the poll phase has read what already arrived: a daemon whose loop ran
    // late (a burst of work) must not cut a laptop whose request has been waiting in the socket.
    let deferred: NodeJS.Immediate | undefined;
    let timer = setTimeout(() => (deferred = setImmediate(onDeadline)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      clearImmediate(deferred);
    });

    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) return cut(`request over ${MAX_REQUEST_BYTES} bytes`);
      chunks.push(chunk);
    });
    socket.once('end', respond);
  };
}
