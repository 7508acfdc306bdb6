/**
 * A laptop on the wire: an identity plus the protocol actions it performs. Each
 * action is a thin method over one client in `clients/`, so scenarios and the
 * swarm speak in laptops while the protocols stay testable on their own.
 */
import { activate, ACTIVATION_PORT, type ActivationOptions, type ActivationResult } from './clients/activation.js';
import { checkUpdates, type UpdateCheck, type UpdateOptions } from './clients/activity-updates.js';
import { downloadBundle, type DownloadOptions, type DownloadResult } from './clients/bundle-download.js';
import { backup, type BackupOptions, type BackupResult } from './clients/backup.js';
import type { RequestOptions } from './clients/http.js';
import { restore, type RestoreOptions, type RestoreResult } from './clients/restore.js';
import { registerJson, registerXmlRpc, type RegisterOptions, type RegistrationResult } from './clients/registry.js';
import { fetchStatus, type ServerStatus } from './clients/status.js';
import { discover, type DiscoveredServer, type DiscoverOptions } from './discover.js';
import { createIdentity, type Identity, type IdentityOptions } from './identity.js';

/** One emulated Sugar/XO laptop. */
export class Laptop {
  /**
   * Wrap an existing identity as is. It is not checked, so a scenario can send
   * a malformed serial on purpose; {@link Laptop.create} makes valid ones.
   */
  constructor(readonly identity: Identity) {}

  /** A laptop with a fresh identity; fix any part of it through `options`. */
  static create(options: IdentityOptions = {}): Laptop {
    return new Laptop(createIdentity(options));
  }

  /** Browse the LAN for sugar-servers over mDNS. */
  static discover(options: DiscoverOptions = {}): Promise<DiscoveredServer[]> {
    return discover(options);
  }

  /** This laptop's XO serial. */
  get serial(): string {
    return this.identity.serial;
  }

  /** Ask the server which services are running (`GET /status`). */
  status(serverUrl: string, options: RequestOptions = {}): Promise<ServerStatus> {
    return fetchStatus(serverUrl, options);
  }

  /**
   * Register with the school server. For `xmlrpc` (the default, as deployed
   * laptops do) `server` is the registration port, e.g. `http://schoolserver:8080`;
   * for `json` it is the main server. A refusal resolves with `success` other than `OK`.
   */
  register(server: string, options: RegisterOptions = {}): Promise<RegistrationResult> {
    const { protocol = 'xmlrpc', ...request } = options;
    return protocol === 'json' ? registerJson(server, this.identity, request) : registerXmlRpc(server, this.identity, request);
  }

  /**
   * Ask for an activation lease as the XO does at boot (TCP port 191): `lease`
   * (checked against this laptop's serial and expiry, and signature when
   * `publicKey` is given), `stolen`, or `none`. A lease that would not activate
   * this laptop rejects with SUGAROID_ERR_BAD_LEASE.
   */
  activate(host: string, port = ACTIVATION_PORT, options: ActivationOptions = {}): Promise<ActivationResult> {
    return activate(host, port, this.identity, options);
  }

  /**
   * Check for activity updates as Sugar's updater does. `url` is the
   * microformat page (e.g. `http://schoolserver/activities/`), or with
   * `protocol: 'aslo'` the `update-aslo.php` endpoint; `installed` lists the
   * bundles this laptop has.
   */
  checkUpdates(url: string, options: UpdateOptions = {}): Promise<UpdateCheck> {
    return checkUpdates(url, options);
  }

  /**
   * Download a bundle and check it opens as a `.xo` Sugar would install, with
   * the bundle_id and version the activity page lists for it (or `expect`).
   */
  download(url: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    return downloadBundle(url, options);
  }

  /** The Journal of this laptop's last backup, which a restore is checked against by default. */
  private backedUpJournal: string | undefined;

  /**
   * Back up the Journal as ds-backup does: the availability check on
   * `httpPort` (backing off on 503), rsync over ssh on `sshPort` for the
   * Journal, power logs and Documents, then the completion file. Uses the
   * system rsync and ssh with this laptop's key.
   */
  async backup(host: string, options: BackupOptions): Promise<BackupResult> {
    const result = await backup(host, this.identity, options);
    this.backedUpJournal = options.journal;
    return result;
  }

  /**
   * Pull a snapshot (`datastore-latest` unless named) back over ssh and check
   * it byte for byte against `expect`, or the Journal of the last backup.
   */
  restore(host: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    return restore(host, this.identity, { ...options, expect: options.expect ?? this.backedUpJournal });
  }
}
