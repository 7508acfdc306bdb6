import { describe, expect, it } from 'vitest';
import { escapeText, faultResponse, structResponse } from './xmlrpc-response.js';

describe('XML-RPC answers', () => {
  it("lays out a struct exactly as Python's xmlrpc.client does", () => {
    // xmlrpc.client.dumps(({'success': 'OK', 'backupurl': 'a'},), methodresponse=True)
    expect(structResponse({ success: 'OK', backupurl: 'a' })).toBe(
      "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>success</name>\n" +
        '<value><string>OK</string></value>\n</member>\n<member>\n<name>backupurl</name>\n<value><string>a</string></value>\n' +
        '</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n',
    );
  });

  it("lays out a fault exactly as Python's xmlrpc.client does", () => {
    // xmlrpc.client.dumps(xmlrpc.client.Fault(-32601, 'no such'), methodresponse=True)
    expect(faultResponse(-32601, 'no such')).toBe(
      "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n" +
        '<value><int>-32601</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>no such</string></value>\n' +
        '</member>\n</struct></value>\n</fault>\n</methodResponse>\n',
    );
  });

  it('escapes markup in text and replaces characters XML cannot carry', () => {
    expect(escapeText('a & <b> "c" \'d\'')).toBe('a &amp; &lt;b&gt; "c" \'d\'');
    expect(escapeText('nul\u0000 bell\u0007 cr\r fffe\ufffe lone\ud800 tab\t nl\n fox🦊')).toBe(
      'nul\ufffd bell\ufffd cr\ufffd fffe\ufffd lone\ufffd tab\t nl\n fox🦊',
    );
    expect(structResponse({ error: 'serial "<x>&" is bad' })).toContain('<value><string>serial "&lt;x&gt;&amp;" is bad</string></value>');
  });
});
