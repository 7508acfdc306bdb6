/**
 * Lease expiry times. A lease carries `EXP` as UTC `YYYYMMDDTHHMMSSZ`, the form
 * bios-crypto's `build/make-lease.sh` checks for (16 characters, `T` at 8, `Z` at
 * 15) and writes into both the lease line and the signed string.
 */
import { LeasesErrors } from './errors.js';

const EXP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const DAY_MS = 86_400_000;

/** True when `value` is a well-formed `YYYYMMDDTHHMMSSZ` naming a real instant. */
export function isExp(value: string): boolean {
  return expToMs(value) !== undefined;
}

/** Milliseconds since the epoch of an `EXP`, or undefined when it is malformed. */
export function expToMs(value: string): number | undefined {
  const m = EXP.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  // Date.UTC rolls 20250230 over into March; a lease with such a date is malformed.
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return ms;
}

/** The `EXP` form of an instant (seconds kept, milliseconds dropped). */
export function msToExp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** ISO 8601 of an `EXP`, for reports and JSON answers. */
export function expToIso(value: string): string {
  const ms = expToMs(value);
  return ms === undefined ? value : new Date(ms).toISOString();
}

/**
 * Read an expiry an admin typed: `YYYY-MM-DD` (end of that day, UTC), a full ISO
 * 8601 time, `+30d` (days from `now`), or the lease form itself. It must lie in
 * the future: a lease that is already expired would lock the laptop.
 */
export function parseExpiry(value: string, now: number): string {
  const text = value.trim();
  let ms: number | undefined;
  const days = /^\+(\d{1,5})d$/.exec(text);
  if (days) ms = now + Number(days[1]) * DAY_MS;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(text)) ms = dayEnd(text);
  else if (EXP.test(text)) ms = expToMs(text);
  else if (/^\d{4}-\d{2}-\d{2}T/.test(text)) ms = Date.parse(text);
  if (ms === undefined || Number.isNaN(ms)) {
    throw LeasesErrors.BAD_EXPIRY(value, 'expected YYYY-MM-DD, an ISO 8601 time, +Nd or YYYYMMDDTHHMMSSZ');
  }
  if (ms <= now) throw LeasesErrors.BAD_EXPIRY(value, 'lies in the past; the laptop would lock at once');
  return msToExp(ms);
}

/** 23:59:59 UTC of a calendar day, so a lease "until 2026-06-30" covers that whole day. */
function dayEnd(date: string): number | undefined {
  const ms = Date.parse(`${date}T23:59:59Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date ? undefined : ms;
}
