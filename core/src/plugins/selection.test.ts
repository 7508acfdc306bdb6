import { describe, expect, it } from 'vitest';
import { parseIni, type IniDocument } from '../config/ini.js';
import type { Candidate } from './manifest.js';
import { selectPlugins } from './selection.js';

function candidate(service: string, packageName = `sugar-server-${service}`): Candidate {
  return { packageName, version: '1.0.0', dir: `/plugins/${packageName}`, entry: `/plugins/${packageName}/index.js`, service, api: '^1.0.0', dependsOn: [], routes: [], description: '' };
}

const installed = { candidates: [candidate('leases'), candidate('registry'), candidate('echo')], rejected: [] };

function select(text: string) {
  const doc: IniDocument = new Map();
  expect(parseIni(text, '/etc/sugar-server/sugar-server.conf', doc)).toEqual([]);
  return selectPlugins(installed, doc);
}

describe('[providers] isolate', () => {
  it('marks the listed services, separated by commas or spaces, and no others', () => {
    const { services, problems } = select('[plugins]\nleases = on\necho = on\n[providers]\nisolate = leases, echo\n');
    expect(problems).toEqual([]);
    expect(services.get('leases')?.isolated).toBe(true);
    expect(services.get('echo')?.isolated).toBe(true);
    expect(services.get('registry')?.isolated).toBe(false);
    expect(select('[providers]\nisolate = leases echo\n').services.get('echo')?.isolated).toBe(true);
  });

  it('may list a service that is off, and sits beside the choice of a provider', () => {
    const { services, problems } = select('[providers]\nisolate = registry\nleases = sugar-server-leases\n');
    expect(problems).toEqual([]);
    expect(services.get('registry')).toMatchObject({ enabled: false, isolated: true });
    expect(services.get('leases')?.provider?.packageName).toBe('sugar-server-leases');
  });

  it('refuses a service no installed plugin provides, naming the line and what is installed', () => {
    const { services, problems } = select('[plugins]\nleases = on\n\n[providers]\nisolate = leases, leasez\n');
    expect(problems).toEqual([
      '/etc/sugar-server/sugar-server.conf:5: [providers] isolate: no installed plugin provides service "leasez" (installed services: echo, leases, registry)',
    ]);
    expect(services.get('leases')?.isolated).toBe(true);
  });

  it('is empty when the list is', () => {
    const { services, problems } = select('[providers]\nisolate =\n');
    expect(problems).toEqual([]);
    expect([...services.values()].some((choice) => choice.isolated)).toBe(false);
  });
});
