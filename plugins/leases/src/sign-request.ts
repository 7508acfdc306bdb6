/**
 * An admin's request for a new lease (CLI `leases sign`, `POST /leases/v1/sign`):
 * checked, then signed with the deployment's own key.
 */
import { LeasesErrors } from './errors.js';
import { parseExpiry } from './expiry.js';
import type { SigningKey } from './keys.js';
import { isSerial, parseLease, type Lease } from './lease-line.js';
import { signLease } from './signature.js';

/** As XO manufacturing data holds it (`U#`, e.g. `1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D`); case is kept, it is signed as given. */
const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** What an admin asks to have signed; fields are checked, so they arrive untyped. */
export interface SignRequest {
  readonly serial: unknown;
  readonly uuid: unknown;
  /** `YYYY-MM-DD`, ISO 8601, `+30d` or `YYYYMMDDTHHMMSSZ`. */
  readonly expires: unknown;
}

/** The new lease, and the UUID it was signed for. */
export interface SignedLease {
  readonly lease: Lease;
  readonly uuid: string;
}

/** Check the request and sign it; `now` anchors `+Nd` and refuses past dates. */
export function signRequest(request: SignRequest, key: SigningKey, now: number): SignedLease {
  const { serial, uuid, expires } = request;
  if (!isSerial(serial)) throw LeasesErrors.BAD_SERIAL(String(serial));
  if (typeof uuid !== 'string' || !UUID.test(uuid)) throw LeasesErrors.BAD_UUID(String(uuid));
  if (typeof expires !== 'string') throw LeasesErrors.BAD_EXPIRY(String(expires), 'must be a string');
  const line = signLease(serial, uuid, parseExpiry(expires, now), key);
  return { lease: parseLease(line, 'signed lease'), uuid };
}
