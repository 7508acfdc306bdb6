/**
 * Registration (PROTOCOLS.md section 1): what Sugar does at "Register with the
 * school server", over XML-RPC exactly as Sugar's Python client does it, and the
 * JSON form newer clients use. A refusal is an answer (`success` other than
 * `OK`, with the server's reason), not an exception: scenarios check refusals.
 */
import { SugaroidErrors } from '../errors.js';
import type { Identity } from '../identity.js';
import { requestText, serverErrorDetail, serverUrl, type RequestOptions } from './http.js';
import { callXmlRpc } from './xmlrpc.js';

/** Sugar's client gives up on registration after 8 s (`_REGISTER_TIMEOUT`). */
export const REGISTER_TIMEOUT_MS = 8000;

export type RegistrationProtocol = 'xmlrpc' | 'json';

/** How a laptop registers. */
export interface RegisterOptions extends RequestOptions {
  /** `xmlrpc` (what deployed laptops do; the default) or `json`. */
  protocol?: RegistrationProtocol;
}

/** What a registration came back with. */
export interface RegistrationResult {
  /** `OK` when registered; `ERR` when refused; `FAULT` when the XML-RPC call itself was refused. */
  readonly success: string;
  /** `SN@host:backup`, present when registered. */
  readonly backupurl?: string;
  readonly jabberserver?: string;
  /** The server's reason, when not registered. */
  readonly error?: string;
  /** The XML-RPC fault code, or the JSON error code (`REGISTRY_ERR_*`). */
  readonly code?: number | string;
}

/** The parts of an identity a laptop registers with; scenarios may break any of them on purpose. */
export type RegistrationIdentity = Pick<Identity, 'serial' | 'nick' | 'uuid'> & { readonly sshKey: Pick<Identity['sshKey'], 'publicBlob'> };

/**
 * `register(sn, nick, uuid, pubkey)` by XML-RPC, POST to the server URL's path
 * (Sugar uses `http://schoolserver:8080/`), with the bare key blob old XOs send.
 */
export async function registerXmlRpc(server: string, identity: RegistrationIdentity, options: RequestOptions = {}): Promise<RegistrationResult> {
  const url = serverUrl(server, '');
  const params = [identity.serial, identity.nick, identity.uuid, identity.sshKey.publicBlob];
  const answer = await callXmlRpc(url, 'register', params, { timeoutMs: options.timeoutMs ?? REGISTER_TIMEOUT_MS });
  if (answer.kind === 'fault') return { success: 'FAULT', error: answer.faultString, code: answer.faultCode };
  if (typeof answer.value === 'string') throw SugaroidErrors.BAD_ANSWER(url.href, 'register answered a string where Sugar expects a struct');
  return checked(url, answer.value);
}

/** `POST /registry/v1/register` with `{serial, nick, uuid, pubkey}` on the main server. */
export async function registerJson(server: string, identity: RegistrationIdentity, options: RequestOptions = {}): Promise<RegistrationResult> {
  const url = serverUrl(server, 'registry/v1/register');
  const body = JSON.stringify({ serial: identity.serial, nick: identity.nick, uuid: identity.uuid, pubkey: identity.sshKey.publicBlob });
  const answer = await requestText(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
  }, { timeoutMs: options.timeoutMs ?? REGISTER_TIMEOUT_MS });
  const parsed = parseJson(answer.body);
  const refusal = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (answer.status >= 400 && answer.status < 500 && typeof refusal?.code === 'string' && refusal.code.startsWith('REGISTRY_ERR_')) {
    return { success: 'ERR', error: String(refusal.message), code: refusal.code };
  }
  if (answer.status !== 200) throw SugaroidErrors.HTTP('POST', url.href, answer.status, serverErrorDetail(answer.body));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw SugaroidErrors.BAD_ANSWER(url.href, 'body is not a JSON object');
  return checked(url, parsed as Record<string, unknown>);
}

/** Sugar reads `success`, then `jabberserver` and `backupurl` without checking: a missing one would crash it. */
function checked(url: URL, answer: Readonly<Record<string, unknown>>): RegistrationResult {
  const { success, backupurl, jabberserver, error } = answer;
  if (typeof success !== 'string') throw SugaroidErrors.BAD_ANSWER(url.href, 'the answer has no "success" string');
  if (success !== 'OK') return { success, error: typeof error === 'string' ? error : '(no reason given)' };
  if (typeof backupurl !== 'string' || typeof jabberserver !== 'string') {
    throw SugaroidErrors.BAD_ANSWER(url.href, 'success without "backupurl" and "jabberserver" strings, which Sugar needs');
  }
  return { success, backupurl, jabberserver };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
