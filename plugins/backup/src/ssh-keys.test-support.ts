/** SSH keys for the endpoint's tests. */
import ssh2 from 'ssh2';

/** ssh2 writes about one ed25519 key in 256 so that it cannot read it back (a leading zero dropped): draw until it can. */
export function ed25519(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && Buffer.from(pair.public.split(' ')[1]!, 'base64').length === 51) return pair;
  }
}
