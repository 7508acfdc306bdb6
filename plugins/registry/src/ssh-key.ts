/**
 * The SSH public key a laptop registers. Old XOs send the base64 blob with the
 * `ssh-dss ` prefix stripped (and whatever comment followed it); newer clients may
 * send the whole `type base64 [comment]` line. The key type recorded is always the
 * one inside the blob (RFC 4253 section 6.6: length-prefixed fields, the first
 * naming the algorithm), checked field by field so garbage never reaches backup.
 */
import { createPublicKey } from 'node:crypto';
import { quote, RegistryErrors } from './errors.js';

export const SSH_KEY_TYPES = [
  'ssh-dss',
  'ssh-rsa',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
] as const;

/** An SSH key algorithm the registry accepts. */
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

export interface SshPublicKey {
  readonly type: SshKeyType;
  /** Base64 of the wire-format blob, without any prefix or comment. */
  readonly blob: string;
}

/** Far above a 16384-bit RSA key's line; anything longer is not a key. */
export const MAX_KEY_TEXT = 8192;
const MIN_RSA_BITS = 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes of one coordinate, and the JWK curve name, per ECDSA curve. */
const CURVES: Readonly<Record<string, { bytes: number; jwk: string }>> = {
  nistp256: { bytes: 32, jwk: 'P-256' },
  nistp384: { bytes: 48, jwk: 'P-384' },
  nistp521: { bytes: 66, jwk: 'P-521' },
};

export function isSshKeyType(value: unknown): value is SshKeyType {
  return typeof value === 'string' && (SSH_KEY_TYPES as readonly string[]).includes(value);
}

/** Read the key a laptop sent; throws REGISTRY_ERR_BAD_KEY saying what is wrong. */
export function parsePublicKey(value: unknown): SshPublicKey {
  if (typeof value !== 'string') throw RegistryErrors.BAD_KEY('must be a string');
  if (value.length > MAX_KEY_TEXT) throw RegistryErrors.BAD_KEY(`is longer than ${MAX_KEY_TEXT} characters`);
  const words = value.trim().split(/\s+/);
  // A first word that is not base64 (it has a dash) is the `type` of a full line.
  const prefix = words.length > 1 && !BASE64.test(words[0]!) ? words.shift() : undefined;
  const base64 = words[0] ?? '';
  if (base64 === '') throw RegistryErrors.BAD_KEY('is empty');
  if (!BASE64.test(base64)) throw RegistryErrors.BAD_KEY('is not base64 (send the key blob: the second word of a .pub file)');

  const bytes = Buffer.from(base64, 'base64');
  const fields = readFields(bytes);
  const type = fields[0]!.toString('latin1');
  if (!isSshKeyType(type)) {
    throw RegistryErrors.BAD_KEY(`has type ${quote(type)}, which is not accepted (accepted: ${SSH_KEY_TYPES.join(', ')})`);
  }
  if (prefix !== undefined && prefix !== type) throw RegistryErrors.BAD_KEY(`is labelled ${quote(prefix)} but its blob holds an ${type} key`);
  checkFields(type, fields.slice(1));
  return { type, blob: bytes.toString('base64') };
}

/** Split a blob into its length-prefixed fields; every byte must belong to one. */
function readFields(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  for (let at = 0; at < blob.length; ) {
    if (at + 4 > blob.length) throw RegistryErrors.BAD_KEY('is not an SSH key blob (a field length is cut short)');
    const length = blob.readUInt32BE(at);
    if (length > blob.length - at - 4) throw RegistryErrors.BAD_KEY('is not an SSH key blob (a field runs past the end)');
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (fields.length === 0) throw RegistryErrors.BAD_KEY('is empty');
  return fields;
}

function checkFields(type: SshKeyType, fields: Buffer[]): void {
  const fieldCount = (count: number) => {
    if (fields.length !== count) throw RegistryErrors.BAD_KEY(`has ${fields.length} fields after its type, where an ${type} key has ${count}`);
  };
  switch (type) {
    case 'ssh-dss':
      fieldCount(4); // p, q, g, y
      fields.forEach((field) => checkMpint(type, field));
      return;
    case 'ssh-rsa': {
      fieldCount(2); // e, n
      fields.forEach((field) => checkMpint(type, field));
      const bits = bitLength(fields[1]!);
      if (bits < MIN_RSA_BITS) throw RegistryErrors.BAD_KEY(`is an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are needed`);
      return;
    }
    case 'ssh-ed25519':
      fieldCount(1);
      if (fields[0]!.length !== 32) throw RegistryErrors.BAD_KEY(`holds ${fields[0]!.length} bytes where an ed25519 key has 32`);
      return;
    default:
      fieldCount(2); // curve name, point
      checkEcdsa(type, fields[0]!.toString('latin1'), fields[1]!);
  }
}

/** An mpint here is a positive number: not empty, high bit clear (RFC 4251 section 5). */
function checkMpint(type: SshKeyType, field: Buffer): void {
  if (field.length === 0 || (field[0]! & 0x80) !== 0) throw RegistryErrors.BAD_KEY(`is not a valid ${type} key (a number is empty or negative)`);
}

function bitLength(mpint: Buffer): number {
  const first = mpint.findIndex((byte) => byte !== 0);
  return first < 0 ? 0 : (mpint.length - first - 1) * 8 + mpint[first]!.toString(2).length;
}

/** The curve named inside must match the type, and the point must lie on it. */
function checkEcdsa(type: SshKeyType, curveName: string, point: Buffer): void {
  const curve = CURVES[curveName];
  if (!curve || type !== `ecdsa-sha2-${curveName}`) throw RegistryErrors.BAD_KEY(`is an ${type} key naming curve ${quote(curveName)}`);
  if (point.length !== 1 + 2 * curve.bytes || point[0] !== 0x04) throw RegistryErrors.BAD_KEY(`is not a valid ${type} key (bad point encoding)`);
  const x = point.subarray(1, 1 + curve.bytes).toString('base64url');
  const y = point.subarray(1 + curve.bytes).toString('base64url');
  try {
    createPublicKey({ key: { kty: 'EC', crv: curve.jwk, x, y }, format: 'jwk' });
  } catch {
    throw RegistryErrors.BAD_KEY(`is not a valid ${type} key (the point is not on the curve)`);
  }
}
