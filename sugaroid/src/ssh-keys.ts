/**
 * SSH key pairs as a laptop holds them: the public key blob it sends at
 * registration, the one-line public key, and a private key that the real
 * `ssh -i` (and ssh2) accept, so backup scenarios can run the real rsync.
 */
import { generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';

/** Key types a laptop may hold; `dsa` is what old XOs made. */
export type SshKeyType = 'ed25519' | 'rsa' | 'ecdsa' | 'dsa';

/** Every {@link SshKeyType}, for option checking and help text. */
export const SSH_KEY_TYPES: readonly SshKeyType[] = ['ed25519', 'rsa', 'ecdsa', 'dsa'];

/** The key algorithm name that starts each type's public blob. */
export const SSH_KEY_NAMES: Readonly<Record<SshKeyType, string>> = {
  ed25519: 'ssh-ed25519',
  rsa: 'ssh-rsa',
  ecdsa: 'ecdsa-sha2-nistp256',
  dsa: 'ssh-dss',
};

/** One SSH key pair in the forms the protocols use. */
export interface SshKey {
  readonly type: SshKeyType;
  /** Base64 of the SSH wire-format public key blob, without the `ssh-dss ` prefix (what XOs register). */
  readonly publicBlob: string;
  /** OpenSSH one-line public key: `<name> <base64 blob> <comment>`. */
  readonly publicKey: string;
  /** Private key text for `ssh -i`: OpenSSH format, or traditional PEM for DSA. */
  readonly privateKey: string;
}

/** True when `value` names a supported {@link SshKeyType}. */
export function isSshKeyType(value: unknown): value is SshKeyType {
  return typeof value === 'string' && (SSH_KEY_TYPES as readonly string[]).includes(value);
}

/** Make a fresh key pair of `type`; `comment` ends the one-line public key. */
export function generateSshKey(type: SshKeyType = 'ed25519', comment = ''): SshKey {
  let pair: { public: string; private: string };
  switch (type) {
    case 'dsa':
      return generateDsaKey(comment);
    case 'rsa':
      pair = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048, comment });
      break;
    case 'ecdsa':
      pair = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256, comment });
      break;
    case 'ed25519':
      // ssh2 strips leading zero bytes from the 32-byte public key (1 key in 256), which
      // leaves a key that OpenSSH and the registry refuse; draw again until it has none.
      do pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
      while (readSshStrings(Buffer.from(pair.public.split(' ')[1] ?? '', 'base64'))[1]?.length !== 32);
      break;
    default:
      throw new TypeError(`unsupported SSH key type "${String(type)}"; use one of ${SSH_KEY_TYPES.join(', ')}`);
  }
  const [, publicBlob = ''] = pair.public.split(' ');
  return { type, publicBlob, publicKey: oneLine(type, publicBlob, comment), privateKey: pair.private };
}

/** Split an SSH wire blob into its length-prefixed strings (`string` and `mpint` fields). */
export function readSshStrings(blob: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw new Error('truncated SSH string length');
    const length = blob.readUInt32BE(at);
    if (at + 4 + length > blob.length) throw new Error('truncated SSH string');
    fields.push(blob.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

function oneLine(type: SshKeyType, blob: string, comment: string): string {
  return comment ? `${SSH_KEY_NAMES[type]} ${blob} ${comment}` : `${SSH_KEY_NAMES[type]} ${blob}`;
}

/*
 * ssh2 cannot make DSA keys, so node:crypto makes one and the SSH forms are
 * built from its DER. The private key is written as traditional PEM
 * (`BEGIN DSA PRIVATE KEY`): what XOs' ssh-keygen wrote, read by OpenSSH and by
 * ssh2, which does not read PKCS#8.
 */
function generateDsaKey(comment: string): SshKey {
  const pair = generateKeyPairSync('dsa', {
    modulusLength: 1024,
    divisorLength: 160,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  // PrivateKeyInfo: SEQUENCE { version, SEQUENCE { oid, SEQUENCE { p, q, g } }, OCTET STRING { INTEGER x } }
  const [, algorithm, wrapped] = children(readDer(pair.privateKey, 0, SEQUENCE), 3);
  const [p, q, g] = children(children(algorithm!, 2)[1]!, 3).map(integer);
  const x = integer(readDer(wrapped!.body, 0, INTEGER));
  // SubjectPublicKeyInfo: SEQUENCE { algorithm, BIT STRING { INTEGER y } }; the bit string starts with an unused-bits byte.
  const [, bits] = children(readDer(pair.publicKey, 0, SEQUENCE), 2);
  const y = integer(readDer(bits!.body.subarray(1), 0, INTEGER));

  // A positive DER INTEGER's content is already a minimal two's complement number, as an SSH mpint is.
  const blob = Buffer.concat([sshString(Buffer.from('ssh-dss')), ...[p!, q!, g!, y].map(sshString)]);
  const der = derSequence([Buffer.of(0), p!, q!, g!, y, x].map(derInteger));
  const publicBlob = blob.toString('base64');
  return { type: 'dsa', publicBlob, publicKey: oneLine('dsa', publicBlob, comment), privateKey: pem('DSA PRIVATE KEY', der) };
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

const INTEGER = 0x02;
const SEQUENCE = 0x30;

interface DerNode {
  readonly tag: number;
  readonly body: Buffer;
  readonly end: number;
}

function readDer(buf: Buffer, at: number, expectTag?: number): DerNode {
  const tag = buf[at];
  let length = buf[at + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  if (expectTag !== undefined && tag !== expectTag) throw new Error(`DER tag 0x${tag.toString(16)} where 0x${expectTag.toString(16)} was expected`);
  let start = at + 2;
  if (length & 0x80) {
    const size = length & 0x7f;
    if (size === 0 || size > 4 || start + size > buf.length) throw new Error('bad DER length');
    length = buf.readUIntBE(start, size);
    start += size;
  }
  if (start + length > buf.length) throw new Error('truncated DER');
  return { tag, body: buf.subarray(start, start + length), end: start + length };
}

function children(node: DerNode, atLeast: number): DerNode[] {
  const out: DerNode[] = [];
  for (let at = 0; at < node.body.length; ) {
    const child = readDer(node.body, at);
    out.push(child);
    at = child.end;
  }
  if (out.length < atLeast) throw new Error(`DER sequence has ${out.length} items, expected ${atLeast}`);
  return out;
}

function integer(node: DerNode): Buffer {
  if (node.tag !== INTEGER) throw new Error('DER INTEGER expected');
  return node.body;
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derInteger(content: Buffer): Buffer {
  return Buffer.concat([Buffer.of(INTEGER), derLength(content.length), content]);
}

function derSequence(items: Buffer[]): Buffer {
  const body = Buffer.concat(items);
  return Buffer.concat([Buffer.of(SEQUENCE), derLength(body.length), body]);
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
