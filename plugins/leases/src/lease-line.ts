/**
 * One activation lease line, as OLPC's tools write it and the XO reads it:
 *
 *   act01: <SN> K <EXP> sig01: sha256 <keyid> <sighex>\n
 *
 * Verified in bios-crypto (repository WWWWWWWWWWWWWWWWW/Bios-crypto):
 * `build/make-lease.sh` prints `act01: $sn K $expire ` and pipes
 * `$sn:$uu:K:$expire` (no newline) into `sig01 sha256 <key>`; `sig01.c` prints
 * `sig01: <hash> <keyid> <sighex>\n`. Delegated leases (`sig02:`, chains) keep the
 * `act01: <SN> K <EXP>` head; they are carried as-is but cannot be checked here.
 */
import { isExp } from './expiry.js';
import { LeasesErrors } from './errors.js';

/** Letters and digits: XO serials are `SHC0A1B2C3D`-like; deployments vary, so only the shape is checked. */
const SERIAL = /^[A-Za-z0-9]{1,32}$/;
const HEAD = /^act01: (\S+) K (\S+) (\S.*)$/;
const SIG01 = /^sig01: (\S+) ([0-9a-f]{64}) ([0-9a-f]+)$/;

/** The `sig01:` part of a lease: hash name, key id (last 32 bytes of the DER public key, hex) and signature. */
export interface Sig01 {
  readonly hash: string;
  readonly keyid: string;
  readonly signature: string;
}

/** One parsed lease. */
export interface Lease {
  readonly serial: string;
  /** `YYYYMMDDTHHMMSSZ`, UTC. */
  readonly expires: string;
  /** Null for signature forms other than `sig01:` (delegated `sig02:` leases). */
  readonly sig01: Sig01 | null;
  /** The line exactly as it travels, newline included. */
  readonly text: string;
}

/** True when `value` has the shape of a serial number. */
export function isSerial(value: unknown): value is string {
  return typeof value === 'string' && SERIAL.test(value);
}

/** Byte order of serials, the order every list of serials is kept and published in. */
export function compareSerials(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parse one line (with or without its newline); `where` names it in errors (`line 3`, `entry SHC…`). */
export function parseLease(line: string, where: string): Lease {
  const bare = line.replace(/\r?\n$/, '');
  const head = HEAD.exec(bare);
  if (!head) throw LeasesErrors.BAD_LEASE(where, 'expected "act01: <serial> K <expiry> sig01: ..."');
  const [, serial, expires, rest] = head as unknown as [string, string, string, string];
  if (!isSerial(serial)) throw LeasesErrors.BAD_LEASE(where, `"${serial}" is not a serial number`);
  if (!isExp(expires)) throw LeasesErrors.BAD_LEASE(where, `expiry "${expires}" is not YYYYMMDDTHHMMSSZ`);
  const sig = SIG01.exec(rest);
  const sig01 = sig ? { hash: sig[1]!, keyid: sig[2]!, signature: sig[3]! } : null;
  if (!sig && !/^sig0\d: /.test(rest)) throw LeasesErrors.BAD_LEASE(where, 'no "sig01:" signature after the expiry');
  return { serial, expires, sig01, text: `${bare}\n` };
}

/** The string a lease signature covers: `SN:UUID:K:EXP` (make-lease.sh, no newline). */
export function signedText(serial: string, uuid: string, expires: string): string {
  return `${serial}:${uuid}:K:${expires}`;
}

/** A lease line from its parts, newline included. */
export function formatLease(serial: string, expires: string, sig01: Sig01): string {
  return `act01: ${serial} K ${expires} sig01: ${sig01.hash} ${sig01.keyid} ${sig01.signature}\n`;
}
