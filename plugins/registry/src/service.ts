/**
 * What the registry offers other plugins while it runs: leases lists registered
 * serials, backup reads the keys laptops authenticate with. Consumers declare
 * `"dependsOn": ["registry"]` and resolve {@link RegistryToken} from their container.
 */
import type { InjectionToken } from 'tsyringe';
import type { SshKeyType } from './ssh-key.js';

/** One laptop as the registry keeps it. */
export interface RegisteredLaptop {
  /** XO serial, e.g. `SHC0123456A`. */
  readonly serial: string;
  /** Machine uuid, as the laptop sent it (XOs send upper case; compare ignoring case). */
  readonly uuid: string;
  readonly nick: string;
  /** Base64 of the SSH public key blob, without type prefix or comment. */
  readonly pubkey: string;
  /** The algorithm named inside the blob, e.g. `ssh-dss` for old XOs. */
  readonly keyType: SshKeyType;
  /** The class the admin put this laptop in; null until set. */
  readonly classGroup: string | null;
  /** ISO 8601 time of the first registration. */
  readonly firstRegistered: string;
  /** ISO 8601 time of the latest registration. */
  readonly lastRegistered: string;
}

/** Read-only view of the registered laptops. */
export interface LaptopRegistry {
  get(serial: string): RegisteredLaptop | undefined;
  /** Every registered laptop, ordered by serial. */
  list(): readonly RegisteredLaptop[];
  count(): number;
}

/** `Symbol.for`, so a consumer bundling its own copy of this package resolves the same service. */
export const RegistryToken = Symbol.for('sugar-server.registry') as InjectionToken<LaptopRegistry>;
