/**
 * The `[admin]` section: where the admin console listens and how it guards
 * itself. Checked with the core's other sections, so a bad value stops start-up
 * with `file:line`.
 */
import { where, type IniSection } from '../config/ini.js';
import { option } from '../config/options.js';

export const DEFAULT_ADMIN_PORT = 8443;

export const adminSection = {
  /** Serve the console at all. */
  enabled: option.flag(true),
  /** Default: the `[http]` address. */
  address: option.address().optional(),
  port: option.port(DEFAULT_ADMIN_PORT),
  /** HTTPS (on by default: passwords must not cross the school LAN in the clear). */
  tls: option.flag(true),
  /** An admin-provided certificate (PEM); without it one is made on first start. */
  certificate: option.path().optional(),
  /** The key of `certificate` (PEM). */
  key: option.path().optional(),
  /** A session unused for this long is closed. */
  session_idle: option.duration(30 * 60_000),
  /** Failed logins allowed per address within `login_window`. */
  login_attempts: option.integer({ min: 1, max: 1000 }, 5),
  login_window: option.duration(15 * 60_000),
};

/** What the option types alone cannot say: a certificate needs its key. */
export function adminSectionProblems(section: IniSection | undefined): string[] {
  const certificate = section?.entries.get('certificate');
  const key = section?.entries.get('key');
  if (certificate && !key) return [`${where(certificate)}: [admin] certificate: needs key = <its private key file> too`];
  if (key && !certificate) return [`${where(key)}: [admin] key: needs certificate = <its certificate file> too`];
  return [];
}
