/**
 * Every error the leases plugin raises, each with a stable `LEASES_ERR_*` code,
 * so the admin API, the CLI and import reports tell failures apart by code.
 */
import { errorType } from 'sugar-server';

/** Every `LEASES_ERR_*` code, by name; the plugin's README lists the same codes. */
export const LeasesErrors = {
  /** A bundle that is neither lease lines nor the `[1,{...}]` JSON form. */
  BAD_BUNDLE: errorType('LEASES_ERR_BAD_BUNDLE', 400, (why: string) => `not a lease bundle: ${why}`),
  /** One line that is not an `act01:` lease. */
  BAD_LEASE: errorType('LEASES_ERR_BAD_LEASE', 400, (where: string, why: string) => `${where}: not a lease: ${why}`),
  /** The signature does not verify with the deployment's public key. */
  BAD_SIGNATURE: errorType('LEASES_ERR_BAD_SIGNATURE', 400, (serial: string, why: string) => `lease for ${serial}: bad signature: ${why}`),
  /** The lease names a key other than the deployment's public key. */
  WRONG_KEY: errorType('LEASES_ERR_WRONG_KEY', 400, (serial: string, keyid: string, expected: string) =>
    `lease for ${serial} is signed with key ${keyid}, not the deployment key ${expected}`),
  /** Nothing is stored for this serial. */
  NO_LEASE: errorType('LEASES_ERR_NO_LEASE', 404, (serial: string) => `no lease for ${serial}`),
  /** Taking a serial off the stolen list that is not on it. */
  NOT_STOLEN: errorType('LEASES_ERR_NOT_STOLEN', 404, (serial: string) => `${serial} is not on the stolen list`),
  /** Removing the local mark of a serial that only the upstream server lists as stolen. */
  STOLEN_UPSTREAM: errorType('LEASES_ERR_STOLEN_UPSTREAM', 409, (serial: string) =>
    `${serial} is on the upstream server's stolen list, not marked here: only the upstream can take it off`),
  /** A line of a mirrored `stolen.txt` that is not a serial; the feed version is refused as a whole. */
  BAD_STOLEN_LIST: errorType('LEASES_ERR_BAD_STOLEN_LIST', 400, (file: string, line: number, why: string) =>
    `${file} line ${line}: ${why}; nothing from this feed version was applied`),
  /** A serial that no XO could have. */
  BAD_SERIAL: errorType('LEASES_ERR_BAD_SERIAL', 400, (serial: string) =>
    `"${serial}" is not a serial number (letters and digits, at most 32)`),
  /** A signing request with a uuid that cannot be signed into a lease. */
  BAD_UUID: errorType('LEASES_ERR_BAD_UUID', 400, (uuid: string) => `"${uuid}" is not a machine UUID`),
  /** An expiry date that cannot be read, or lies in the past. */
  BAD_EXPIRY: errorType('LEASES_ERR_BAD_EXPIRY', 400, (value: string, why: string) => `expiry "${value}": ${why}`),
  /** A file of an `xs-activation` folder does not match `manifest.sha1`. */
  MANIFEST: errorType('LEASES_ERR_MANIFEST', 400, (file: string, why: string) => `${file}: ${why}; nothing was imported`),
  /** A configured key file cannot be read or is not an RSA key. */
  KEY_FILE: errorType('LEASES_ERR_KEY_FILE', 500, (file: string, why: string) => `key ${file}: ${why}`),
  /** Signing was asked for, but no private key is configured. */
  NO_SIGNING_KEY: errorType('LEASES_ERR_NO_SIGNING_KEY', 409, () =>
    'this server holds no signing key ([leases] signing_key is not set)'),
} as const;
