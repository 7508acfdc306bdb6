/** The `[registry]` section. */
import { isIPv4 } from 'node:net';
import { makeOption, option } from 'sugar-server';

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A host name or IPv4 address handed to laptops; it ends up in `SN@host:backup`, so nothing else may slip in. */
function hostName(fallback: string) {
  return makeOption(
    (raw) => (HOST_NAME.test(raw) || isIPv4(raw)
      ? { ok: true, value: raw }
      : { ok: false, message: `expected a host name such as schoolserver or an IPv4 address, got "${raw}"` }),
    fallback,
  );
}

export const registryConfig = {
  /** The XML-RPC port laptops call (`http://schoolserver:8080/`). */
  port: option.port(8080),
  /** Where that port binds; the main HTTP address unless set. */
  address: option.address().optional(),
  /** Largest registration body; a real one is well under 4k. */
  body_limit: option.size(16 * 1024),
  /** Largest CSV laptop list the admin may import (about 700 bytes a laptop with an RSA key). */
  import_limit: option.size(16 * 1024 * 1024),
  /** Host in the `backupurl` answer (`SN@host:backup`). */
  backup_host: hostName('schoolserver'),
  /** Host in the `jabberserver` answer. */
  jabber_host: hostName('schoolserver'),
  /** Let a registered serial register again from another machine uuid (a replaced motherboard). */
  allow_rebind: option.flag(false),
};
