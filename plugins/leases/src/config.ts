/** The `[leases]` section. */
import { option, type ConfigOf } from 'sugar-server';

const DAY_MS = 86_400_000;

/** The options of `[leases]`, with their defaults. */
export const leasesOptions = {
  /** TCP port the XOs ask on; 191 is what their initramfs dials. */
  port: option.port(191),
  /** Address for port 191; the main HTTP address unless set. */
  address: option.address().optional(),
  /** How long a laptop has to send its serial and half-close (the XO itself waits 3 s). */
  read_timeout: option.duration(3000),
  /** The deployment's public key (PEM or DER); without it leases are stored unchecked. */
  public_key: option.path().optional(),
  /** A private key for signing new leases (PEM or DER), for deployments that hold their own. */
  signing_key: option.path().optional(),
  /** How far ahead the report warns of expiring leases. */
  expiry_warning: option.duration(30 * DAY_MS, { max: 365 * DAY_MS }),
  /** The Mothership's leases feed, e.g. `http://mothership/feeds/v1/leases/`. */
  upstream: option.feedUpstream().optional(),
  /** How often to look for a new bundle upstream. */
  upstream_interval: option.duration(3_600_000, { max: 365 * DAY_MS }),
  /** Largest bundle the admin API accepts. */
  upload_limit: option.size(64 * 1024 * 1024),
};

/** The checked `[leases]` section. */
export type LeasesConfig = ConfigOf<typeof leasesOptions>;
