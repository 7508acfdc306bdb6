/**
 * Public-key authentication against the registry, answered in the daemon
 * (where the registry lives) when the SSH process asks: the SSH user is the
 * laptop's serial, and the only key it may use is the one the laptop
 * registered, the offered blob equal to the registered blob byte for byte. The
 * SSH process then checks the signature with it (ssh-signature.ts).
 */
import type { LaptopRegistry } from 'sugar-server-registry';
import { isSerial } from 'sugar-server-registry';
import type { KeyOffer, KeyVerdict } from './ssh-signature.js';

export function registeredKeyVerdict(registry: LaptopRegistry | null, offer: Pick<KeyOffer, 'username' | 'key'>): KeyVerdict {
  if (!registry) return { accept: false, reason: 'the registry is not running' };
  if (!isSerial(offer.username)) return { accept: false, reason: 'the user name is not a laptop serial' };
  const laptop = registry.get(offer.username);
  if (!laptop) return { accept: false, reason: 'the laptop is not registered' };
  if (!Buffer.from(laptop.pubkey, 'base64').equals(offer.key.data)) return { accept: false, reason: 'the key is not the one the laptop registered' };
  return { accept: true };
}
