/**
 * The SSH algorithms offered. ssh2's defaults suit any OpenSSH client of the
 * last decade (curve25519 and ECDH key exchange, AES-GCM/CTR and
 * chacha20-poly1305, SHA-2 MACs, ed25519 and rsa-sha2 host keys).
 *
 * ssh2 lists the diffie-hellman-group-exchange methods but its server cannot
 * run them (ssh2 `lib/protocol/kex.js` refuses group exchange on the server
 * side), and a client that prefers them, as OpenSSH before 5.7 does, is
 * disconnected mid-handshake. They are never offered.
 *
 * Old XOs carry OpenSSH 4.x to 6.x, whose clients know no curve25519 or
 * ECDH, no rsa-sha2 or ed25519 host keys, and no ETM MACs. With
 * `legacy_algorithms` on they find, after the modern set, SHA-1 key exchanges
 * (diffie-hellman-group14-sha1, -group1-sha1), CBC ciphers and hmac-md5; the
 * `ssh-rsa` (SHA-1) host key signature stays on. A modern client still
 * negotiates a modern set, since the client's order decides.
 */
import type { Algorithms } from 'ssh2';

/** What is added for old clients. */
export const LEGACY_ALGORITHMS = {
  kex: ['diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'],
  cipher: ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'],
  hmac: ['hmac-md5'],
} as const;

/** Listed by ssh2, yet its server side cannot run them. */
const UNSUPPORTED_KEX = ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1'] as const;

/** ssh2's "change the default list" form (its typings want all three keys). */
function edit<T>(append: readonly T[], remove: readonly T[] = []) {
  return { append: [...append], prepend: [] as T[], remove: [...remove] };
}

export function sshAlgorithms(legacy: boolean): Algorithms {
  if (legacy) {
    return {
      kex: edit(LEGACY_ALGORITHMS.kex, UNSUPPORTED_KEX),
      cipher: edit(LEGACY_ALGORITHMS.cipher),
      hmac: edit(LEGACY_ALGORITHMS.hmac),
    };
  }
  // Without old clients, RSA host keys sign with SHA-2 only.
  return { kex: edit([], UNSUPPORTED_KEX), serverHostKey: edit([], ['ssh-rsa'] as const) };
}
