/**
 * Who a laptop is: the serial, machine UUID, nick and SSH key it registers with
 * (PROTOCOLS.md section 1). Fresh identities are random so a swarm of laptops does
 * not collide; any part can be fixed for a repeatable scenario.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { SugaroidErrors } from './errors.js';
import { generateSshKey, isSshKeyType, SSH_KEY_TYPES, type SshKey, type SshKeyType } from './ssh-keys.js';

/** An XO serial: 3 capital letters then 8 uppercase hex digits, e.g. `SHC0A1B2C3D`. */
const XO_SERIAL = /^[A-Z]{3}[0-9A-F]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a laptop sends when it registers. */
export interface Identity {
  /** XO serial, matching `^[A-Z]{3}[0-9A-F]{8}$`. */
  readonly serial: string;
  /** Machine UUID, standard lowercase form. */
  readonly uuid: string;
  /** The learner's name as Sugar shows it. */
  readonly nick: string;
  readonly sshKey: SshKey;
}

/** Parts of an identity to fix instead of drawing at random. */
export interface IdentityOptions {
  serial?: string;
  uuid?: string;
  nick?: string;
  /** Key type; `ed25519` unless asked. Old XOs use `dsa`. */
  keyType?: SshKeyType;
  /** Comment at the end of the one-line public key; `<serial>@sugaroid` unless given. */
  keyComment?: string;
}

/** True when `value` is an XO serial (3 capital letters + 8 uppercase hex digits). */
export function isXoSerial(value: unknown): value is string {
  return typeof value === 'string' && XO_SERIAL.test(value);
}

/**
 * Make a laptop identity. Given `serial` and `uuid` are checked, since a bad one
 * would only surface later as a confusing server refusal.
 */
export function createIdentity(options: IdentityOptions = {}): Identity {
  const serial = options.serial ?? randomSerial();
  if (!isXoSerial(serial)) throw SugaroidErrors.BAD_IDENTITY('serial', serial, 'is not an XO serial (3 capital letters + 8 uppercase hex digits)');
  const uuid = options.uuid ?? randomUUID();
  if (!UUID.test(uuid)) throw SugaroidErrors.BAD_IDENTITY('uuid', uuid, 'is not a UUID');
  const keyType = options.keyType ?? 'ed25519';
  if (!isSshKeyType(keyType)) throw SugaroidErrors.BAD_IDENTITY('key type', String(keyType), `is not one of ${SSH_KEY_TYPES.join(', ')}`);
  return {
    serial,
    uuid,
    nick: options.nick ?? `xo-${serial.toLowerCase()}`,
    sshKey: generateSshKey(keyType, options.keyComment ?? `${serial}@sugaroid`),
  };
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const HEX = '0123456789ABCDEF';

function randomSerial(): string {
  let serial = '';
  for (let i = 0; i < 3; i++) serial += LETTERS[randomInt(LETTERS.length)];
  for (let i = 0; i < 8; i++) serial += HEX[randomInt(HEX.length)];
  return serial;
}
