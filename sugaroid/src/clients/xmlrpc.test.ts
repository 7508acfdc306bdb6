import { describe, expect, it } from 'vitest';
import { methodCallXml, readMethodResponse } from './xmlrpc.js';

describe('methodCallXml', () => {
  it("matches Python's xmlrpc.client byte for byte", () => {
    // xmlrpc.client.dumps(('SHC0123456A', 'Ana & <Bo>', 'uuid', 'AAAA'), 'register')
    expect(methodCallXml('register', ['SHC0123456A', 'Ana & <Bo>', 'uuid', 'AAAA'])).toBe(
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>register</methodName>\n<params>\n" +
        '<param>\n<value><string>SHC0123456A</string></value>\n</param>\n' +
        '<param>\n<value><string>Ana &amp; &lt;Bo&gt;</string></value>\n</param>\n' +
        '<param>\n<value><string>uuid</string></value>\n</param>\n' +
        '<param>\n<value><string>AAAA</string></value>\n</param>\n' +
        '</params>\n</methodCall>\n',
    );
  });
});

describe('readMethodResponse', () => {
  it("reads a struct as Python's xmlrpc.client writes it", () => {
    const xml = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>success</name>\n" +
      '<value><string>OK</string></value>\n</member>\n<member>\n<name>backupurl</name>\n<value><string>a&amp;b</string></value>\n' +
      '</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n';
    expect(readMethodResponse(xml)).toEqual({ kind: 'value', value: { success: 'OK', backupurl: 'a&b' } });
  });

  it('reads compact answers, untyped and typed scalars, CDATA and character references', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><!-- hi --><methodResponse><params><param><value><struct>' +
      '<member><name>a</name><value>plain</value></member>' +
      '<member><name>b</name><value><int>7</int></value></member>' +
      '<member><name>c</name><value><string><![CDATA[<x>]]>&#65;&#x42;</string></value></member>' +
      '<member><name>d</name><value><string/></value></member>' +
      '</struct></value></param></params></methodResponse>';
    expect(readMethodResponse(xml)).toEqual({ kind: 'value', value: { a: 'plain', b: '7', c: '<x>AB', d: '' } });
    expect(readMethodResponse('<methodResponse><params><param><value>hi</value></param></params></methodResponse>'))
      .toEqual({ kind: 'value', value: 'hi' });
  });

  it('reads a fault', () => {
    const xml = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n" +
      '<value><int>-32601</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>no such</string></value>\n' +
      '</member>\n</struct></value>\n</fault>\n</methodResponse>\n';
    expect(readMethodResponse(xml)).toEqual({ kind: 'fault', faultCode: -32601, faultString: 'no such' });
  });

  it.each([
    ['', /no XML/],
    ['<html>It works!</html>', /<html>, not <methodResponse>/],
    ['<methodResponse><params><param><value>x</value></param></params>', /<methodResponse> is not closed/],
    ['<methodResponse></params></methodResponse>', /<\/params> closes <methodResponse>/],
    ['<methodResponse/><methodResponse/>', /more than one root/],
    ['<!DOCTYPE a><methodResponse/>', /does not take/],
    ['<methodResponse a="1"/>', /does not take/],
    ['<methodResponse/>', /must hold one <params> or <fault>/],
    ['<methodResponse><params/></methodResponse>', /<params> must hold one <param>/],
    ['<methodResponse><params><param><value><array><data/></array></value></param></params></methodResponse>', /type <array> are not read/],
    ['<methodResponse><fault><value>x</value></fault></methodResponse>', /faultCode and faultString/],
    ['<methodResponse><fault><value><struct><member><name>faultCode</name><value>x</value></member><member><name>faultString</name><value>y</value></member></struct></value></fault></methodResponse>', /is not an integer/],
    ['<methodResponse><params><param><value>a &b</value></param></params></methodResponse>', /bare "&"/],
    ['<methodResponse><params><param><value>&lol;</value></param></params></methodResponse>', /undefined entity &lol;/],
    ['<methodResponse><params><param><value>&toString;</value></param></params></methodResponse>', /undefined entity &toString;/],
    ['<methodResponse>junk<params/></methodResponse>', /holds text where elements belong/],
  ])('refuses %j', (xml, message) => {
    expect(() => readMethodResponse(xml)).toThrow(message);
  });
});
