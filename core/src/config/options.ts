/**
 * Typed config options. Every value in an INI file is text; an option turns it
 * into a typed value or says, in words an admin understands, what is wrong.
 * Plugins describe their `[section]` with these, e.g. `{ port: option.port(191) }`.
 */
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { z } from 'zod';

/** One option: reads the raw text (absent when the key is not set). */
export type Option<T> = z.ZodType<T, string | undefined>;
/** A section's options by key. */
export type ConfigShape = Record<string, Option<unknown>>;
/** The typed values a shape produces. */
export type ConfigOf<S extends ConfigShape> = { readonly [K in keyof S]: z.output<S[K]> };

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (message: string): Parsed<never> => ({ ok: false, message });

/** Build an option from a parser; `fallback` is used when the key is absent. */
export function makeOption<T>(parse: (raw: string) => Parsed<T>, fallback?: T): Option<T> {
  const parsed = z.string().transform((raw, ctx) => {
    const result = parse(raw.trim());
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.message });
    return z.NEVER;
  });
  const required = parsed as unknown as z.ZodType<T, string | undefined>;
  if (fallback === undefined) return required;
  return parsed.optional().transform((value) => (value === undefined ? fallback : value)) as unknown as Option<T>;
}

const TRUE = new Set(['on', 'true', 'yes', '1']);
const FALSE = new Set(['off', 'false', 'no', '0']);

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/**
 * The longest duration an option takes unless it says otherwise: 24 days, just
 * under the 2^31-1 ms a Node timer can hold (a longer one fires at once).
 */
export const DEFAULT_MAX_DURATION_MS = 24 * UNITS_MS.d!;

/** `2073600000` -> `24d`: the largest unit that divides it exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms % UNITS_MS[unit]! === 0) return `${ms / UNITS_MS[unit]!}${unit}`;
  return `${ms}ms`;
}
const UNITS_BYTES: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export const option = {
  /** Free text. */
  text: (fallback?: string) => makeOption((raw) => ok(raw), fallback),

  /** on/off, true/false, yes/no, 1/0 (any case). */
  flag: (fallback?: boolean) =>
    makeOption((raw) => {
      const word = raw.toLowerCase();
      if (TRUE.has(word)) return ok(true);
      if (FALSE.has(word)) return ok(false);
      return bad(`expected on or off (also true/false, yes/no, 1/0), got "${raw}"`);
    }, fallback),

  /** A whole number within bounds. */
  integer: (bounds: { min?: number; max?: number } = {}, fallback?: number) =>
    makeOption((raw) => {
      if (!/^-?\d+$/.test(raw)) return bad(`expected a whole number, got "${raw}"`);
      const value = Number(raw);
      if (bounds.min !== undefined && value < bounds.min) return bad(`must be at least ${bounds.min}, got ${value}`);
      if (bounds.max !== undefined && value > bounds.max) return bad(`must be at most ${bounds.max}, got ${value}`);
      return ok(value);
    }, fallback),

  /** A TCP port; 0 means "any free port" (the one chosen is logged and shown in /status). */
  port: (fallback?: number) =>
    makeOption((raw) => {
      const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
      return value >= 0 && value <= 65535 ? ok(value) : bad(`expected a port number from 0 to 65535, got "${raw}"`);
    }, fallback),

  /** An IP address to bind to: `::` (all), `0.0.0.0`, `127.0.0.1`, `::1`, ... */
  address: (fallback?: string) =>
    makeOption((raw) => (isIP(raw) ? ok(raw) : bad(`expected an IP address such as 0.0.0.0, ::, 127.0.0.1 or ::1, got "${raw}"`)), fallback),

  /**
   * A duration in milliseconds: `500ms`, `10s`, `5m`, `2h`, `7d`; a bare number is seconds.
   * At most `max` (default {@link DEFAULT_MAX_DURATION_MS}, which any timer can hold);
   * an option whose value is compared with dates, or waited for in chained steps,
   * may raise it.
   */
  duration: (fallback?: number, bounds: { max?: number } = {}) =>
    makeOption((raw) => {
      const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw);
      if (!match) return bad(`expected a duration such as 500ms, 10s, 5m, 2h or 7d, got "${raw}"`);
      const value = Math.round(Number(match[1]) * UNITS_MS[(match[2] ?? 's').toLowerCase()]!);
      const max = bounds.max ?? DEFAULT_MAX_DURATION_MS;
      if (!(value <= max)) return bad(`must be at most ${formatDuration(max)}, got "${raw}"`);
      return ok(value);
    }, fallback),

  /** A size in bytes: `512`, `64k`, `1M`, `2G` (powers of 1024). */
  size: (fallback?: number) =>
    makeOption((raw) => {
      const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(raw);
      if (!match) return bad(`expected a size such as 512, 64k, 1M or 2G, got "${raw}"`);
      return ok(Math.round(Number(match[1]) * UNITS_BYTES[match[2]!.toLowerCase()]!));
    }, fallback),

  /** A list separated by commas and/or spaces; empty text is an empty list. */
  list: (fallback?: readonly string[]) =>
    makeOption<readonly string[]>((raw) => ok(raw.split(/[\s,]+/).filter(Boolean)), fallback),

  /** An absolute path (config may be read from anywhere, so relative paths would be ambiguous). */
  path: (fallback?: string) =>
    makeOption((raw) => (isAbsolute(raw) ? ok(raw) : bad(`expected an absolute path, got "${raw}"`)), fallback),

  /** An http(s) URL. */
  url: (fallback?: string) =>
    makeOption((raw) => {
      try {
        const url = new URL(raw);
        return url.protocol === 'http:' || url.protocol === 'https:' ? ok(url.href) : bad(`expected an http or https URL, got "${raw}"`);
      } catch {
        return bad(`expected a URL such as https://example.org/feed, got "${raw}"`);
      }
    }, fallback),

  /** Where a feed comes from: the publisher's http(s) URL, or `usb` for a school whose feeds only arrive on disks. */
  feedUpstream: (fallback?: string) =>
    makeOption((raw) => {
      if (raw === 'usb') return ok(raw);
      try {
        const url = new URL(raw);
        if (url.protocol === 'http:' || url.protocol === 'https:') return ok(url.href);
      } catch {
        // fall through to the one message
      }
      return bad(`expected an http(s) URL of the upstream server, or usb when feeds only arrive on disks, got "${raw}"`);
    }, fallback),

  /** One of a fixed set of words. */
  oneOf: <W extends string>(words: readonly W[], fallback?: W) =>
    makeOption((raw) =>
      (words as readonly string[]).includes(raw) ? ok(raw as W) : bad(`expected one of ${words.join(', ')}, got "${raw}"`), fallback),
};
