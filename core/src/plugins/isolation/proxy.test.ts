import { describe, expect, it } from 'vitest';
import { answerHeaders, requestHeaders } from './proxy.js';

describe('headers passed to an isolated plugin', () => {
  it('keep the message headers, drop hop-by-hop ones and those the Connection header names', () => {
    const sent = requestHeaders(
      { host: 'schoolserver', 'content-type': 'text/xml', 'content-length': '120', connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', te: 'trailers', upgrade: 'h2c', authorization: 'Bearer t' },
      'abc-1',
      '10.0.0.7',
    );
    expect(sent).toEqual({ host: 'schoolserver', 'content-type': 'text/xml', 'content-length': '120', authorization: 'Bearer t', 'x-request-id': 'abc-1', 'x-forwarded-for': '10.0.0.7' });
  });

  it('carry the core\'s request id and the client\'s address, never what the client claimed', () => {
    const sent = requestHeaders({ 'x-forwarded-for': '1.2.3.4', 'x-request-id': 'forged', expect: '100-continue' }, 'abc-2', '::1');
    expect(sent).toEqual({ 'x-request-id': 'abc-2', 'x-forwarded-for': '::1' });
    expect(requestHeaders({}, 'abc-3', undefined)).toEqual({ 'x-request-id': 'abc-3' });
  });
});

describe('headers of the answer passed to the client', () => {
  it('keep status headers such as cookies, ranges and caching, and drop hop-by-hop ones and the plugin\'s request id', () => {
    const answer = answerHeaders({
      'content-type': 'application/octet-stream', 'content-length': '10', 'content-range': 'bytes 0-9/100', etag: '"x"', 'set-cookie': ['a=1', 'b=2'],
      connection: 'close', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'x-request-id': 'child-id',
    });
    expect(answer).toEqual({ 'content-type': 'application/octet-stream', 'content-length': '10', 'content-range': 'bytes 0-9/100', etag: '"x"', 'set-cookie': ['a=1', 'b=2'] });
  });
});
