/**
 * The `register` call Sugar makes at "Register with the school server": XML-RPC,
 * POST to `/` on the registration port (8080 by default). A refusal of the
 * laptop's data is a normal answer (`success: "ERR"` with a reason the laptop
 * logs); a body that is not a proper call to `register` gets an XML-RPC fault.
 * Both travel with HTTP 200, as XML-RPC clients expect.
 */
import { isSugarError, readBody, type HttpListener, type Logger, type SugarError } from 'sugar-server';
import { RegistryErrors } from './errors.js';
import type { RegistrationRequest, Registry } from './registry.js';
import { parseMethodCall, type XmlRpcParam } from './xmlrpc-request.js';
import { faultResponse, FaultCodes, structResponse } from './xmlrpc-response.js';

export interface XmlRpcEndpointOptions {
  /** Largest request body in bytes; bigger ones are refused with 413 before parsing. */
  readonly bodyLimit: number;
  readonly log: Logger;
}

const FAULT_CODES: Readonly<Record<string, number>> = {
  [RegistryErrors.XMLRPC_CONTENT_TYPE.code]: FaultCodes.INVALID_XMLRPC,
  [RegistryErrors.XMLRPC_NOT_XML.code]: FaultCodes.NOT_WELL_FORMED,
  [RegistryErrors.XMLRPC_ENCODING.code]: FaultCodes.UNSUPPORTED_ENCODING,
  [RegistryErrors.XMLRPC_BAD_BYTES.code]: FaultCodes.INVALID_CHARACTER,
  [RegistryErrors.XMLRPC_DTD.code]: FaultCodes.INVALID_XMLRPC,
  [RegistryErrors.XMLRPC_INVALID.code]: FaultCodes.INVALID_XMLRPC,
  [RegistryErrors.XMLRPC_NO_METHOD.code]: FaultCodes.METHOD_NOT_FOUND,
  [RegistryErrors.XMLRPC_BAD_PARAMS.code]: FaultCodes.INVALID_PARAMS,
};

const PARAM_NAMES = ['sn', 'nick', 'uuid', 'pubkey'] as const;

/** Most characters of a refusal quoted back in a fault or a log line: parser messages can echo most of the body. */
export const MAX_QUOTED_MESSAGE = 200;

/**
 * The media types XML-RPC clients send: `text/xml` by the spec and from Python's
 * xmlrpc.client (Sugar's), Apache XML-RPC, xmlrpc-c, PHP and node clients;
 * `application/xml` from a few others. A browser sends neither cross-site without
 * a CORS preflight, which this port never grants, so a web page cannot register
 * a laptop behind the teacher's back with a form or a simple `fetch`.
 */
const XML_TYPES = ['text/xml', 'application/xml'];

/** Serve `register` at `POST /` of the registration port. */
export function serveXmlRpc(router: HttpListener['router'], registry: Registry, options: XmlRpcEndpointOptions): void {
  router.post('/', async (c) => {
    // Koa's type check ignores parameters (`text/xml; charset=utf-8`) and case.
    const answer = c.is(XML_TYPES)
      ? await answerCall(await readBody(c, { limit: options.bodyLimit }), registry, options.log)
      : fault(RegistryErrors.XMLRPC_CONTENT_TYPE(c.get('content-type') || undefined), options.log);
    c.type = 'text/xml';
    c.body = answer;
  });
}

/** The XML answer to one request body. */
export async function answerCall(body: Buffer, registry: Registry, log: Logger): Promise<string> {
  try {
    const call = parseMethodCall(body);
    if (call.methodName !== 'register') throw RegistryErrors.XMLRPC_NO_METHOD(call.methodName);
    return structResponse(await registry.register(registerArguments(call.params), 'xmlrpc'));
  } catch (err) {
    if (!isSugarError(err) || err.status >= 500) {
      log.error({ err }, 'registration failed');
      return faultResponse(FaultCodes.APPLICATION_ERROR, 'the server could not complete the registration; its log says why');
    }
    if (FAULT_CODES[err.code] === undefined) return structResponse({ success: 'ERR', error: err.message });
    return fault(err, log);
  }
}

/** The fault for an `XMLRPC_*` error, logged with its reason cut short. */
function fault(err: SugarError, log: Logger): string {
  const faultCode = FAULT_CODES[err.code] ?? FaultCodes.INVALID_XMLRPC;
  const message = shorten(err.message);
  log.info({ code: err.code, faultCode }, `XML-RPC fault: ${message}`);
  return faultResponse(faultCode, message);
}

/** `register(sn, nick, uuid, pubkey)`: exactly four strings. */
function registerArguments(params: readonly XmlRpcParam[]): RegistrationRequest {
  if (params.length !== PARAM_NAMES.length) {
    throw RegistryErrors.XMLRPC_BAD_PARAMS(`got ${params.length} parameter${params.length === 1 ? '' : 's'}`);
  }
  params.forEach((param, i) => {
    if (param.type !== 'string') throw RegistryErrors.XMLRPC_BAD_PARAMS(`${PARAM_NAMES[i]} (parameter ${i + 1}) is of type ${param.type}`);
  });
  const [serial, nick, uuid, pubkey] = params.map((param) => param.text);
  return { serial, nick, uuid, pubkey };
}

/** `text` cut to {@link MAX_QUOTED_MESSAGE} characters, saying how long it was. */
function shorten(text: string): string {
  const chars = [...text];
  if (chars.length <= MAX_QUOTED_MESSAGE) return text;
  return `${chars.slice(0, MAX_QUOTED_MESSAGE).join('')}… (${chars.length} characters in all)`;
}
