import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readMethodResponse, methodCallXml } from '../../../sugaroid/src/clients/xmlrpc.js';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedBytes, mutatedText } from '../../../test/fuzz/settings.js';
import { parseMethodCall } from './xmlrpc-request.js';
import { faultResponse, structResponse } from './xmlrpc-response.js';

/** Text XML can carry (no \r: XML reads it as \n, as expat does on the laptop's side). */
const xmlText = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'abcXYZ019 -_:/.<>&"\'\t\n;#') },
    { weight: 1, arbitrary: fc.constantFrom('é', '𝄞', '\u00a0', '\ufffd', ']]>', '&amp;', '<![CDATA[') },
  ),
  maxLength: 40,
});
const method = fc.stringMatching(/^[A-Za-z0-9_.:/]{1,20}$/);
const call = fc.tuple(method, fc.array(xmlText, { maxLength: 5 })).map(([m, p]) => methodCallXml(m, p));
/** Pieces that parsers of XML trip on, to splice into calls. */
const xmlPiece = fc.constantFrom(
  '<!DOCTYPE x [<!ENTITY a "b">]>', '&a;', '&#0;', '&#x110000;', '&#xD800;', '&#99999999999999999999;', '&', '<![CDATA[x]]>', '<!-- c -->',
  '<__proto__>', '</__proto__>', '<constructor/>', '<value>', '</value>', '<i4>1</i4>', '<struct>', '<?pi x?>', '<a b="c">', '<:x>', '\0', '\uFEFF',
  "<?xml version='1.0' encoding='utf-16'?>", "<?xml version='1.0' encoding='iso-8859-1'?>",
);
const hostileCall = fc.oneof(
  mutatedText(call, fc.oneof(xmlPiece, fc.constantFrom('<', '>', '/', '&', ';', '"', '=', ' ', '\r'))),
  fc.tuple(call, fc.array(fc.tuple(fc.nat(), xmlPiece), { minLength: 1, maxLength: 3 })).map(([text, inserts]) =>
    inserts.reduce((acc, [at, piece]) => { const i = at % (acc.length + 1); return acc.slice(0, i) + piece + acc.slice(i); }, text)),
);

function checkOutcome(body: Buffer): void {
  try {
    const parsed = parseMethodCall(body);
    expect(parsed.methodName).toMatch(/^[A-Za-z0-9_.:/]+$/);
    for (const param of parsed.params) expect(param.text === undefined || typeof param.text === 'string').toBe(true);
  } catch (err) {
    expect((err as { code?: unknown }).code, String(err)).toMatch(/^REGISTRY_ERR_XMLRPC_[A-Z_]+$/);
  }
}

describe('XML-RPC requests under fuzzing', () => {
  it('reads back the method and string parameters Python\'s xmlrpc.client lays out', () => {
    fc.assert(
      boundedProperty(method, fc.array(xmlText, { maxLength: 5 }), fc.boolean(), (m, params, bom) => {
        const body = Buffer.from(`${bom ? '\uFEFF' : ''}${methodCallXml(m, params)}`);
        expect(parseMethodCall(body)).toEqual({ methodName: m, params: params.map((text) => ({ type: 'string', text })) });
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('reads a call or refuses it with a REGISTRY_ERR_XMLRPC_* code, for near-misses and hostile pieces', () => {
    fc.assert(boundedProperty(hostileCall, (text) => checkOutcome(Buffer.from(text))), fuzz(10_000));
  }, fuzzTestTimeout());

  it('reads a call or refuses it with a REGISTRY_ERR_XMLRPC_* code, for mutated bytes (broken UTF-8 too)', () => {
    fc.assert(boundedProperty(mutatedBytes(call.map((c) => Buffer.from(c))), (bytes) => checkOutcome(bytes)), fuzz(10_000));
  }, fuzzTestTimeout());

  it('writes answers the laptop reads back: structs of strings and faults', () => {
    fc.assert(
      boundedProperty(fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), xmlText, { maxKeys: 4 }), fc.integer(), xmlText, (struct, code, message) => {
        expect(readMethodResponse(structResponse(struct))).toEqual({ kind: 'value', value: struct });
        expect(readMethodResponse(faultResponse(code, message))).toEqual({ kind: 'fault', faultCode: code, faultString: message });
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
