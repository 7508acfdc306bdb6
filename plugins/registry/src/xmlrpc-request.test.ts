import { describe, expect, it } from 'vitest';
import { parseMethodCall } from './xmlrpc-request.js';

/** Exactly what Python's xmlrpc.client sends for `server.register(sn, nick, uuid, pubkey)`. */
function pythonCall(method: string, ...params: string[]): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = params.map((p) => `<param>\n<value><string>${escape(p)}</string></value>\n</param>\n`).join('');
  return `<?xml version='1.0'?>\n<methodCall>\n<methodName>${method}</methodName>\n<params>\n${body}</params>\n</methodCall>\n`;
}

const parse = (xml: string | Buffer) => parseMethodCall(typeof xml === 'string' ? Buffer.from(xml) : xml);
const strings = (...texts: string[]) => texts.map((text) => ({ type: 'string', text }));

function fails(xml: string | Buffer, code: string, message?: RegExp) {
  expect(() => parse(xml)).toThrow(expect.objectContaining({ code, ...(message ? { message: expect.stringMatching(message) } : {}) }));
}

describe('parseMethodCall: what clients send', () => {
  it("reads Python xmlrpc.client's call, escapes and non-ASCII included", () => {
    const call = parse(pythonCall('register', 'SHC0123456A', 'Ana & <Bo> José', '9d2b4d44-1111-2222-3333-444455556666', 'AAAA'));
    expect(call).toEqual({
      methodName: 'register',
      params: strings('SHC0123456A', 'Ana & <Bo> José', '9d2b4d44-1111-2222-3333-444455556666', 'AAAA'),
    });
  });

  it('reads a compact call with untyped values, keeping their white space', () => {
    const call = parse('<methodCall><methodName>register</methodName><params><param><value>  SHC0123456A </value></param>' +
      '<param><value></value></param><param><value><string/></value></param></params></methodCall>');
    expect(call.params).toEqual(strings('  SHC0123456A ', '', ''));
  });

  it('reads an indented call, a BOM, a UTF-8 declaration, comments and CRLF line ends', () => {
    const xml = '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- from a client -->\r\n<methodCall>\r\n  <methodName> register </methodName>\r\n' +
      '  <params>\r\n    <param>\r\n      <value>\r\n        <string>a\r\nb</string>\r\n      </value>\r\n    </param>\r\n  </params>\r\n</methodCall>\r\n';
    expect(parse(xml)).toEqual({ methodName: 'register', params: strings('a\nb') });
  });

  it('decodes the predefined entities and character references, and leaves CDATA as it is', () => {
    const call = parse('<methodCall><methodName>m</methodName><params>' +
      '<param><value>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F98A;&#13;</value></param>' +
      '<param><value><string><![CDATA[x &amp; <y>]]> and &amp;</string></value></param></params></methodCall>');
    expect(call.params).toEqual(strings('<>&"\'AB🦊\r', 'x &amp; <y> and &'));
  });

  it('reads a call without params, and ISO-8859-1 when declared', () => {
    expect(parse('<methodCall><methodName>system.listMethods</methodName></methodCall>')).toEqual({ methodName: 'system.listMethods', params: [] });
    const latin1 = Buffer.from("<?xml version='1.0' encoding='ISO-8859-1'?><methodCall><methodName>m</methodName><params><param><value>Jos\xe9</value></param></params></methodCall>", 'latin1');
    expect(parse(latin1).params).toEqual(strings('José'));
  });

  it('reports the type of values that are not strings', () => {
    const call = parse('<methodCall><methodName>m</methodName><params>' +
      ['<int>1</int>', '<i4>2</i4>', '<boolean>1</boolean>', '<double>1.5</double>', '<base64>AAAA</base64>',
        '<dateTime.iso8601>20250101T00:00:00</dateTime.iso8601>', '<nil/>', '<array><data/></array>',
        '<struct><member><name>a</name><value>b</value></member></struct>']
        .map((v) => `<param><value>${v}</value></param>`).join('') +
      '</params></methodCall>');
    expect(call.params.map((p) => [p.type, p.text])).toEqual([
      ['int', '1'], ['i4', '2'], ['boolean', '1'], ['double', '1.5'], ['base64', 'AAAA'],
      ['dateTime.iso8601', '20250101T00:00:00'], ['nil', undefined], ['array', undefined], ['struct', undefined],
    ]);
  });
});

describe('parseMethodCall: hostile and broken bodies', () => {
  const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<methodCall><methodName>register</methodName><params><param><value>&lol3;</value></param></params></methodCall>`;

  it.each([
    ['billion laughs', billionLaughs],
    ['an external entity', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>&xxe;</methodName></methodCall>'],
    ['a lower-case doctype', '<!doctype methodCall><methodCall><methodName>m</methodName></methodCall>'],
    ['an external DTD', '<!DOCTYPE methodCall SYSTEM "http://127.0.0.1:9/x.dtd"><methodCall><methodName>m</methodName></methodCall>'],
    ['a stray ENTITY declaration', '<methodCall><!ENTITY a "b"><methodName>m</methodName></methodCall>'],
  ])('refuses %s before parsing', (_name, xml) => {
    fails(xml, 'REGISTRY_ERR_XMLRPC_DTD', /document type declarations and entity declarations are not accepted/);
  });

  it.each([
    ['an undefined entity', '<methodCall><methodName>m</methodName><params><param><value>&lol;</value></param></params></methodCall>', /undefined entity "&lol;"/],
    ['an entity named after an object property', '<methodCall><methodName>m</methodName><params><param><value>&constructor;</value></param></params></methodCall>', /undefined entity "&constructor;"/],
    ['a bare ampersand', '<methodCall><methodName>m</methodName><params><param><value>a & b</value></param></params></methodCall>', /&/],
    ['an ampersand without semicolon', '<methodCall><methodName>m</methodName><params><param><value>a&amp b</value></param></params></methodCall>', /&/],
    ['a reference to NUL', '<methodCall><methodName>m</methodName><params><param><value>&#0;</value></param></params></methodCall>', /not an XML character/],
    ['a reference past Unicode', '<methodCall><methodName>m</methodName><params><param><value>&#x110000;</value></param></params></methodCall>', /not an XML character/],
    ['plain text', 'hello', /line 1/],
    ['JSON', '{"serial": "SHC0123456A"}', /not well-formed/],
    ['an empty body', '', /the body is empty/],
    ['white space', '  \n ', /the body is empty/],
    ['unclosed tags', '<methodCall><methodName>m</methodName>', /not well-formed/],
    ['mismatched tags', '<methodCall><methodName>m</params></methodCall>', /not well-formed/],
    ['two roots', '<methodCall><methodName>m</methodName></methodCall><methodCall><methodName>m</methodName></methodCall>', /root/],
    ['text after the root', '<methodCall><methodName>m</methodName></methodCall>junk', /not well-formed/],
    ['tags nested a thousand deep', `<methodCall>${'<a>'.repeat(1000)}${'</a>'.repeat(1000)}</methodCall>`, /nest|depth/i],
  ])('refuses %s as not well-formed', (_name, xml, message) => {
    fails(xml, 'REGISTRY_ERR_XMLRPC_NOT_XML', message);
  });

  it.each([
    ['another root', '<methodResponse><params/></methodResponse>', /must be one <methodCall>/],
    ['no method name', '<methodCall><params/></methodCall>', /must hold one <methodName>/],
    ['two method names', '<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>', /must hold one <methodName>/],
    ['two params lists', '<methodCall><methodName>m</methodName><params/><params/></methodCall>', /more than one <params>/],
    ['a stranger in methodCall', '<methodCall><methodName>m</methodName><x/></methodCall>', /unexpected <x> in <methodCall>/],
    ['a bad method name', '<methodCall><methodName>a b</methodName></methodCall>', /method name "a b"/],
    ['markup in the method name', '<methodCall><methodName><b>m</b></methodName></methodCall>', /holds an element where only text belongs/],
    ['text in params', '<methodCall><methodName>m</methodName><params>oops<param><value>a</value></param></params></methodCall>', /<params> holds text/],
    ['a stranger in params', '<methodCall><methodName>m</methodName><params><value>a</value></params></methodCall>', /unexpected <value> in <params>/],
    ['a param without value', '<methodCall><methodName>m</methodName><params><param/></params></methodCall>', /each <param> must hold one <value>/],
    ['two types in a value', '<methodCall><methodName>m</methodName><params><param><value><string>a</string><string>b</string></value></param></params></methodCall>', /more than one type/],
    ['text beside a type', '<methodCall><methodName>m</methodName><params><param><value>x<string>a</string></value></param></params></methodCall>', /<value> holds text/],
    ['an unknown type', '<methodCall><methodName>m</methodName><params><param><value><str>a</str></value></param></params></methodCall>', /unknown value type <str>/],
    ['markup in a string', '<methodCall><methodName>m</methodName><params><param><value><string><b>a</b></string></value></param></params></methodCall>', /<string> holds an element/],
  ])('refuses %s as not XML-RPC', (_name, xml, message) => {
    fails(xml, 'REGISTRY_ERR_XMLRPC_INVALID', message);
  });

  it('refuses encodings it cannot read, and bytes that are not the declared encoding', () => {
    fails('<?xml version="1.0" encoding="UTF-16"?><methodCall/>', 'REGISTRY_ERR_XMLRPC_ENCODING', /unsupported encoding "utf-16"/);
    fails(Buffer.concat([Buffer.from('<methodCall><methodName>m'), Buffer.of(0xc3, 0x28), Buffer.from('</methodName></methodCall>')]),
      'REGISTRY_ERR_XMLRPC_BAD_BYTES', /not valid utf-8/);
  });

  it('reads a huge value without trouble (the body limit bounds it)', () => {
    const big = 'A'.repeat(200_000);
    expect(parse(pythonCall('register', big)).params).toEqual(strings(big));
  });

  it('never lets a tag name reach an object prototype', () => {
    fails('<methodCall><methodName>m</methodName><__proto__/></methodCall>', 'REGISTRY_ERR_XMLRPC_NOT_XML');
    fails('<methodCall><methodName>m</methodName><constructor/></methodCall>', 'REGISTRY_ERR_XMLRPC_NOT_XML');
    expect(({} as Record<string, unknown>).methodName).toBeUndefined();
  });
});
