import { describe, expect, it } from 'vitest';
import { redactConfig, redactText } from './diagnostics.js';

describe('redactConfig', () => {
  it('blanks the values of keys that name a secret, in any section and case', () => {
    const text = '[feeds]\napi_token = abc123\n[x]\nPassword=hunter2\nupstream_secret = s\nprivate_key = /etc/k\n';
    expect(redactConfig(text)).toBe('[feeds]\napi_token = <redacted>\n[x]\nPassword=<redacted>\nupstream_secret = <redacted>\nprivate_key = <redacted>\n');
  });

  it('keeps comments, sections, empty values and ordinary keys as they are', () => {
    const text = '# token = in a comment stays\n; password: so does this\n[http]\nport = 80\ntoken =\n';
    expect(redactConfig(text)).toBe(text);
  });

  it('takes the password out of a URL but keeps its user, host and path', () => {
    expect(redactConfig('upstream = https://school:pw@mothership.example/feeds/\n')).toBe('upstream = https://school:<redacted>@mothership.example/feeds/\n');
  });
});

describe('redactText', () => {
  it('takes passwords out of every URL in a log line', () => {
    const line = '{"msg":"feed failed","url":"http://a:b@h/x","next":"ftp://c:d@i/"}';
    expect(redactText(line)).toBe('{"msg":"feed failed","url":"http://a:<redacted>@h/x","next":"ftp://c:<redacted>@i/"}');
  });

  it('leaves a URL with a user and no password, or none at all, alone', () => {
    expect(redactText('http://user@host/ and http://host:8080/path@x')).toBe('http://user@host/ and http://host:8080/path@x');
  });
});
