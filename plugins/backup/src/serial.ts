/**
 * Laptop serials as the registry accepts them: 3 capital letters and 8 hex
 * digits (XOs), which non-XO Sugar's 3 capitals and 8 digits also fit. A serial
 * names an SSH user and a folder, so nothing else may pass.
 */
const SERIAL = /^[A-Z]{3}[0-9A-F]{8}$/;

/** True when `value` is a laptop serial. */
export function isSerial(value: unknown): value is string {
  return typeof value === 'string' && SERIAL.test(value);
}
