import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportDns, exportFormat, type ExportFormat } from './dns-export.js';
import { BlacklistsErrors } from '../errors.js';
import { compileFixture, type Compiled } from '../compile/lists.test-support.js';

let compiled: Compiled;
beforeAll(async () => {
  compiled = await compileFixture({
    categories: {
      adult: { domains: ['adult.example', 'www.adult.example', 'Other.Example', '10.0.0.1', 'other.example'], urls: ['url.example/x'] },
      malware: { domains: ['virus.example', 'other.example'] },
      games: { domains: ['game.example'] },
    },
    deny: ['malware'],
    times: new Map([['games', [{ days: 0x7f, from: 0, to: 60 }]]]),
    allow: ['ok.adult.example'],
    block: ['school.example'],
  });
});
afterAll(() => compiled.cleanup());

async function exported(format: ExportFormat, address?: string): Promise<string[]> {
  let text = '';
  for await (const chunk of exportDns(compiled.index, { format, address, allowFile: compiled.allowFile, blockFile: compiled.blockFile })) text += chunk;
  return text.split('\n').filter((line) => line && !line.startsWith('#') && !line.startsWith(';'));
}

describe('DNS exports', () => {
  it('write dnsmasq lines: NXDOMAIN per blocked domain, the allow list as exceptions', async () => {
    expect(await exported('dnsmasq')).toEqual([
      'server=/ok.adult.example/#',
      'address=/school.example/',
      'address=/adult.example/',
      'address=/other.example/',
      'address=/virus.example/',
    ]);
  });

  it('write unbound local zones', async () => {
    expect(await exported('unbound')).toEqual([
      'server:',
      'local-zone: "ok.adult.example." transparent',
      'local-zone: "school.example." always_nxdomain',
      'local-zone: "adult.example." always_nxdomain',
      'local-zone: "other.example." always_nxdomain',
      'local-zone: "virus.example." always_nxdomain',
    ]);
  });

  it('write an RPZ zone covering each domain and its subdomains', async () => {
    const lines = await exported('rpz');
    expect(lines.slice(0, 3)).toEqual(['$TTL 300', expect.stringMatching(/^@ IN SOA localhost\. hostmaster\.localhost\. \d+ 3600 600 86400 300$/), '@ IN NS localhost.']);
    expect(lines.slice(3)).toEqual([
      'ok.adult.example CNAME rpz-passthru.',
      '*.ok.adult.example CNAME rpz-passthru.',
      'school.example CNAME .',
      '*.school.example CNAME .',
      'adult.example CNAME .',
      '*.adult.example CNAME .',
      'other.example CNAME .',
      '*.other.example CNAME .',
      'virus.example CNAME .',
      '*.virus.example CNAME .',
    ]);
  });

  it('answer block-page categories with the school server\'s address when given, deny ones with NXDOMAIN', async () => {
    const lines = await exported('unbound', '192.0.2.1');
    expect(lines).toContain('local-zone: "adult.example." redirect');
    expect(lines).toContain('local-data: "adult.example. A 192.0.2.1"');
    expect(lines).toContain('local-zone: "virus.example." always_nxdomain');
    expect(await exported('dnsmasq', '2001:db8::1')).toContain('address=/adult.example/2001:db8::1');
  });

  it('refuse unknown formats', () => {
    expect(() => exportFormat('bind')).toThrow(expect.objectContaining({ code: BlacklistsErrors.BAD_FORMAT.code }));
  });
});
