/**
 * Every error the registry raises, `REGISTRY_ERR_<WHAT>`. Refusals of a laptop's
 * data travel to XML-RPC clients as `{success: "ERR", error}` and to JSON clients
 * as `{error: {code, message}}`; the `XMLRPC_*` ones become XML-RPC faults.
 */
import { errorType } from 'sugar-server';

/** Show a client's value in a message: quoted, escaped, and cut short. */
export function quote(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

export const RegistryErrors = {
  BAD_SERIAL: errorType('REGISTRY_ERR_BAD_SERIAL', 400, (serial: unknown) =>
    `serial ${quote(serial)} is not a laptop serial (3 capital letters and 8 hex digits, e.g. SHC0123456A)`),
  BAD_UUID: errorType('REGISTRY_ERR_BAD_UUID', 400, (uuid: unknown) =>
    `uuid ${quote(uuid)} is not a UUID (8-4-4-4-12 hex digits)`),
  BAD_NICK: errorType('REGISTRY_ERR_BAD_NICK', 400, (why: string) => `nick ${why}`),
  BAD_KEY: errorType('REGISTRY_ERR_BAD_KEY', 400, (why: string) => `public key ${why}`),
  UUID_CLASH: errorType('REGISTRY_ERR_UUID_CLASH', 409, (serial: string) =>
    `serial ${serial} is already registered to a machine with another uuid; the school admin can remove the old record`),
  NOT_REGISTERED: errorType('REGISTRY_ERR_NOT_REGISTERED', 404, (serial: string) => `no laptop with serial ${serial} is registered`),
  BAD_PAGE: errorType('REGISTRY_ERR_BAD_PAGE', 400, (name: string, value: string, max: number) =>
    `${name} must be a whole number from ${name === 'limit' ? 1 : 0} to ${max}, got ${quote(value)}`),
  BAD_BODY: errorType('REGISTRY_ERR_BAD_BODY', 400, (expected: string) => `expected a JSON object ${expected}`),
  BAD_CLASS_GROUP: errorType('REGISTRY_ERR_BAD_CLASS_GROUP', 400, (why: string) => `class group ${why}`),
  BAD_CSV: errorType('REGISTRY_ERR_BAD_CSV', 400, (why: string) => `not a laptop list: ${why}`),
  BAD_ROW: errorType('REGISTRY_ERR_BAD_ROW', 400, (why: string) => why),

  XMLRPC_CONTENT_TYPE: errorType('REGISTRY_ERR_XMLRPC_CONTENT_TYPE', 400, (type: string | undefined) =>
    `an XML-RPC call is sent with Content-Type text/xml, got ${type === undefined ? 'none' : quote(type)}`),
  XMLRPC_NOT_XML: errorType('REGISTRY_ERR_XMLRPC_NOT_XML', 400, (why: string) => `not well-formed XML: ${why}`),
  XMLRPC_ENCODING: errorType('REGISTRY_ERR_XMLRPC_ENCODING', 400, (encoding: string) =>
    `unsupported encoding ${quote(encoding)}; send UTF-8`),
  XMLRPC_BAD_BYTES: errorType('REGISTRY_ERR_XMLRPC_BAD_BYTES', 400, (encoding: string) => `the body is not valid ${encoding}`),
  XMLRPC_DTD: errorType('REGISTRY_ERR_XMLRPC_DTD', 400, () =>
    'document type declarations and entity declarations are not accepted'),
  XMLRPC_INVALID: errorType('REGISTRY_ERR_XMLRPC_INVALID', 400, (why: string) => `not an XML-RPC method call: ${why}`),
  XMLRPC_NO_METHOD: errorType('REGISTRY_ERR_XMLRPC_NO_METHOD', 400, (method: string) =>
    `unknown method ${quote(method)}; this server offers register(sn, nick, uuid, pubkey)`),
  XMLRPC_BAD_PARAMS: errorType('REGISTRY_ERR_XMLRPC_BAD_PARAMS', 400, (why: string) =>
    `register(sn, nick, uuid, pubkey) takes four strings: ${why}`),
} as const;
