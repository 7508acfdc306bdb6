/**
 * Activation as the XO's initramfs does it (PROTOCOLS.md section 3), checked
 * against dracut-modules-olpc `30olpc-activation/activate.py`: connect to port
 * 191 with a 3 s timeout, send the bare serial with no newline, half-close, read
 * to EOF. `STOLEN` (the whole answer) locks the laptop; an empty answer means
 * "try the next server"; anything else is lease text, and the laptop takes the
 * first lease in it that is for its serial, unexpired and signed for it.
 *
 * A lease line is `act01: <SN> K <EXP> sig01: sha256 <keyid> <sighex>`; the
 * signature is RSASSA-PSS (SHA-256, MGF1-SHA-256, 8-byte salt) over
 * `SN:UUID:K:EXP`, and keyid is the last 32 bytes of the DER public key
 * (bios-crypto `sig01.c`, `verify.c`, `build/make-lease.sh`).
 */
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { SugaroidErrors } from '../errors.js';
import { deadline } from './deadline.js';

/** The port the XO dials. */
export const ACTIVATION_PORT = 191;
/** The XO's own socket timeout. */
export const ACTIVATION_TIMEOUT_MS = 3000;
/** The exact answer that locks a stolen laptop. */
export const STOLEN = 'STOLEN';
/** More than any serial's leases; a server sending more is misbehaving. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const PSS_SALT_LENGTH = 8;
const LEASE_LINE = /^act01: (\S+) K (\d{8}T\d{6}Z) sig01: (\S+) ([0-9a-f]{64}) ([0-9a-f]+)$/;

/** What a server's answer means to the laptop. */
export type ActivationOutcome = 'lease' | 'stolen' | 'none';

export interface ActivationResult {
  readonly outcome: ActivationOutcome;
  /** The lease line the laptop would keep (with its newline), for `lease`. */
  readonly lease?: string;
  /** When that lease runs out (ISO 8601), for `lease`. */
  readonly expires?: string;
}

export interface ActivationOptions {
  /** The deployment's public key: with it each lease's signature is checked, as the XO does. */
  readonly publicKey?: KeyObject;
  /** For the whole exchange; the XO's 3 s unless given. */
  readonly timeoutMs?: number;
  /** Send this instead of the bare serial (`rtcreset ...`, or garbage on purpose). */
  readonly request?: string;
  /** "Now" for the expiry check, in ms. */
  readonly now?: number;
}

/** Who is asking: the lease must name this serial and be signed for this UUID. */
export interface ActivationIdentity {
  readonly serial: string;
  readonly uuid: string;
}

/** Ask `host:port` for this laptop's lease and judge the answer as the XO would. */
export async function activate(host: string, port: number, identity: ActivationIdentity, options: ActivationOptions = {}): Promise<ActivationResult> {
  const answer = await exchange(host, port, options.request ?? identity.serial, options.timeoutMs ?? ACTIVATION_TIMEOUT_MS);
  const text = answer.toString('latin1');
  if (text === '') return { outcome: 'none' };
  if (text === STOLEN) return { outcome: 'stolen' };
  return { outcome: 'lease', ...acceptLease(text, identity, options) };
}

/** The first lease in `text` that activates this laptop; SUGAROID_ERR_BAD_LEASE saying why when none does. */
export function acceptLease(text: string, identity: ActivationIdentity, options: Pick<ActivationOptions, 'publicKey' | 'now'> = {}): { lease: string; expires: string } {
  const now = options.now ?? Date.now();
  const reasons: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = LEASE_LINE.exec(line);
    if (!match) {
      reasons.push('a line is not an act01/sig01 lease');
      continue;
    }
    const [, serial, exp, hash, keyid, signature] = match as unknown as [string, string, string, string, string, string];
    const expires = expToMs(exp);
    if (serial !== identity.serial) reasons.push(`a lease is for ${serial}`);
    else if (expires === undefined) reasons.push(`a lease has a malformed expiry ${exp}`);
    else if (expires <= now) reasons.push(`a lease expired at ${new Date(expires).toISOString()}`);
    else if (options.publicKey && !signedFor(identity, exp, hash, keyid, signature, options.publicKey)) {
      reasons.push(`a lease is not signed for ${identity.serial}:${identity.uuid} by the deployment key`);
    } else return { lease: `${line}\n`, expires: new Date(expires).toISOString() };
  }
  throw SugaroidErrors.BAD_LEASE(identity.serial, reasons.length ? [...new Set(reasons)].join('; ') : 'the answer holds no lease');
}

/** Read a deployment public key: PEM (SPKI or PKCS#1), or DER as OLPC ships it (`.public`, PKCS#1) or SPKI. */
export async function readPublicKeyFile(file: string): Promise<KeyObject> {
  const data = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw SugaroidErrors.USAGE(`cannot read public key ${file}: ${err.code ?? err.message}`);
  });
  const forms = [
    () => createPublicKey(data),
    () => createPublicKey({ key: data, format: 'der', type: 'pkcs1' }),
    () => createPublicKey({ key: data, format: 'der', type: 'spki' }),
  ];
  for (const form of forms) {
    try {
      return form();
    } catch {
      // Not this form: try the next one.
    }
  }
  throw SugaroidErrors.USAGE(`${file} is not a public key in PEM or DER`);
}

/** The key id a lease carries: the last 32 bytes of the DER public key, hex. */
export function keyIdOf(key: KeyObject): string {
  return key.export({ type: 'pkcs1', format: 'der' }).subarray(-32).toString('hex');
}

function signedFor(identity: ActivationIdentity, exp: string, hash: string, keyid: string, signature: string, key: KeyObject): boolean {
  if (hash !== 'sha256' || keyid !== keyIdOf(key)) return false;
  return verify('sha256', Buffer.from(`${identity.serial}:${identity.uuid}:K:${exp}`), {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: PSS_SALT_LENGTH,
  }, Buffer.from(signature, 'hex'));
}

function expToMs(exp: string): number | undefined {
  const ms = Date.parse(`${exp.slice(0, 4)}-${exp.slice(4, 6)}-${exp.slice(6, 8)}T${exp.slice(9, 11)}:${exp.slice(11, 13)}:${exp.slice(13, 15)}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** One TCP exchange: send `request`, half-close, read to EOF, all within `timeoutMs`. */
function exchange(host: string, port: number, request: string, timeoutMs: number): Promise<Buffer> {
  const where = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = connect({ host, port });
    const fail = (error: Error) => {
      clock.clear();
      socket.destroy();
      reject(error);
    };
    // Judged after the socket's waiting data is read (see deadline.ts); an answer begun in time may finish.
    let clock = deadline(timeoutMs);
    const onDeadline = () => {
      if (size === 0) return fail(SugaroidErrors.TIMEOUT(where, timeoutMs));
      clock = deadline(timeoutMs);
      clock.signal.addEventListener('abort', () => fail(SugaroidErrors.TIMEOUT(where, timeoutMs)), { once: true });
    };
    clock.signal.addEventListener('abort', onDeadline, { once: true });
    socket.once('connect', () => socket.end(request, 'latin1'));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) return fail(SugaroidErrors.BAD_ANSWER(where, `more than ${MAX_ANSWER_BYTES} bytes`));
      chunks.push(chunk);
    });
    socket.once('end', () => {
      clock.clear();
      resolve(Buffer.concat(chunks, size));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => fail(Object.assign(SugaroidErrors.UNREACHABLE(where, err.code ?? err.message), { cause: err })));
  });
}
