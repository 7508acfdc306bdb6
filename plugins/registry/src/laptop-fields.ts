/**
 * Checks for what a laptop sends at registration (PROTOCOLS.md section 1). Each
 * takes any value, since it comes straight off the wire, and returns the value to
 * store or throws the matching `REGISTRY_ERR_*`.
 */
import { RegistryErrors } from './errors.js';

/**
 * XO serials are 3 capitals and 8 hex digits; non-XO Sugar sends 3 capitals and
 * the last 8 digits of the clock, which this also matches.
 */
const SERIAL = /^[A-Z]{3}[0-9A-F]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Control characters, and lone surrogates that no text encoding can carry. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;
export const MAX_NICK_LENGTH = 100;
export const MAX_CLASS_GROUP_LENGTH = 64;

/** True when `value` is a laptop serial as the registry accepts it. */
export function isSerial(value: unknown): value is string {
  return typeof value === 'string' && SERIAL.test(value);
}

export function checkSerial(value: unknown): string {
  if (!isSerial(value)) throw RegistryErrors.BAD_SERIAL(value);
  return value;
}

/**
 * Kept as sent: an XO's uuid (`mfg-data/U#`) is upper case and its activation
 * lease is signed over it exactly, so only comparisons ignore case.
 */
export function checkUuid(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw RegistryErrors.BAD_UUID(value);
  return value;
}

export function sameUuid(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function checkNick(value: unknown): string {
  if (typeof value !== 'string') throw RegistryErrors.BAD_NICK('must be a string');
  if (value.trim() === '') throw RegistryErrors.BAD_NICK('is empty');
  if ([...value].length > MAX_NICK_LENGTH) throw RegistryErrors.BAD_NICK(`is longer than ${MAX_NICK_LENGTH} characters`);
  if (UNPRINTABLE.test(value)) throw RegistryErrors.BAD_NICK('contains control characters');
  return value;
}

/** A class name such as `5B`, or null to put the laptop in none; white space around it is dropped, and empty is none. */
export function checkClassGroup(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw RegistryErrors.BAD_CLASS_GROUP('must be a string or null');
  const name = value.trim();
  if (name === '') return null;
  if ([...name].length > MAX_CLASS_GROUP_LENGTH) throw RegistryErrors.BAD_CLASS_GROUP(`is longer than ${MAX_CLASS_GROUP_LENGTH} characters`);
  if (UNPRINTABLE.test(name)) throw RegistryErrors.BAD_CLASS_GROUP('contains control characters');
  return name;
}
