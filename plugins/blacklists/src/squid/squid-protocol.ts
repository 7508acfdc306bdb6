/**
 * Squid's helper line protocols (squid.conf.documented, `url_rewrite_program`
 * and `external_acl_type`; PROTOCOLS.md section 5).
 *
 * A request is one line: `[channel-ID SP] URL [SP extras]`. The channel ID is
 * there exactly when squid runs the helper with `concurrency=N` (a number
 * from 0 to N-1), and is echoed in front of the answer; it is recognised per
 * line (a URL is never all digits), so one helper binary serves both setups.
 * For `url_rewrite_program` the extras are whatever `url_rewrite_extras` says
 * (by default `client-ip/fqdn user method myip=… myport=…`) and are ignored.
 * For `external_acl_type` squid URL-escapes each value; the format line to use
 * is `%URI`, and the value is unescaped once here.
 */

/** `rewrite`: url_rewrite_program (redirect or leave alone); `acl`: external_acl_type (match or not). */
export type HelperMode = 'rewrite' | 'acl';

/** One request line, read. */
export interface HelperRequest {
  /** The channel ID to echo, or null without concurrency. */
  readonly channel: string | null;
  /** The URL as squid sent it (already unescaped in ACL mode). */
  readonly url: string;
}

/**
 * Longest request line read, in bytes. Squid sends at most about 8 KiB (its
 * URL limit); a longer line is skipped to its end and answered BH, so no line
 * is ever held whole.
 */
export const MAX_REQUEST_LINE = 65_536;

/** A channel ID: 1 to 10 digits. */
function isChannel(text: string): boolean {
  if (text.length === 0 || text.length > 10) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Read one line (without its newline). Null when it holds no URL: the answer is BH. */
export function readRequest(line: string, mode: HelperMode): HelperRequest | { readonly channel: string | null; readonly url: null } {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const first = text.indexOf(' ');
  const head = first < 0 ? text : text.slice(0, first);
  let channel: string | null = null;
  let url: string = head;
  const numeric = isChannel(head);
  if (numeric && first >= 0) {
    channel = head;
    const second = text.indexOf(' ', first + 1);
    url = second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
  } else if (numeric) {
    return { channel: head, url: null };
  }
  if (!url || url === '-') return { channel, url: null };
  return { channel, url: mode === 'acl' ? unescapeValue(url) : url };
}

/** Undo squid's URL-escaping of an external ACL value (`%XX` → byte); malformed escapes stay. */
export function unescapeValue(value: string): string {
  if (!value.includes('%')) return value;
  return value.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A kv-pair value as squid reads it: in double quotes, with `"` and `\` escaped. */
export function quoteValue(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
}

/** The answer line (without newline), with the channel ID in front when the request had one. */
export function answer(channel: string | null, result: string): string {
  return channel === null ? result : `${channel} ${result}`;
}

/** `url_rewrite_program`: send the client to `location` with a 302. */
export function redirectAnswer(location: string): string {
  return `OK status=302 url=${quoteValue(location)}`;
}

/** `BH`: the helper could not decide (logged by squid at level 1). */
export function brokenAnswer(message: string): string {
  return `BH message=${quoteValue(message)}`;
}
