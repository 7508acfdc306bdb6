import { describe, expect, it } from 'vitest';
import { FleetErrors } from './errors.js';
import { parseReport, REPORT_LIMIT, type FleetReport } from './report.js';

function sampleReport(overrides: Partial<FleetReport> = {}): FleetReport {
  return {
    schema: 1,
    serverId: '6f1c2d0e-8a1b-4c3d-9e8f-0a1b2c3d4e5f',
    name: 'Escuela 12',
    group: 'district-7',
    version: '0.1.0',
    sentAt: '2026-12-04T10:00:00.000Z',
    startedAt: '2026-12-01T08:00:00.000Z',
    plugins: [{ service: 'leases', package: 'sugar-server-leases', version: '0.1.0', state: 'running', errorCode: null }],
    feeds: [{
      name: 'leases', owner: 'leases', version: 7, generated: '2026-12-04T09:00:00.000Z', appliedAt: '2026-12-04T09:01:00.000Z',
      lastSuccess: '2026-12-04T09:59:00.000Z', lastError: null, lastErrorCode: null, expired: false, trust: 'signed',
    }],
    counts: { laptops: 412, leasesExpiringSoon: 3, leasesExpired: 1, stolen: 2, backupsOverdue: 17, backupBytesUsed: 1e9, backupBytesQuota: 5e9, blacklistIndex: '2026-12-03T02:00:00.000Z' },
    downstream: null,
    ...overrides,
  };
}

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('not refused');
};

describe('check-in reports', () => {
  it('takes a well-formed report as it is', () => {
    expect(parseReport(bytes(sampleReport()))).toEqual(sampleReport());
  });

  it('refuses what is not JSON, or not a report, naming where', () => {
    expect(refusal(() => parseReport(Buffer.from('{"schema":1,')))).toMatchObject({ code: FleetErrors.BAD_REPORT.code });
    expect(refusal(() => parseReport(bytes({ ...sampleReport(), serverId: '../../etc' }))).message).toContain('serverId');
    expect(refusal(() => parseReport(bytes({ ...sampleReport(), counts: { ...sampleReport().counts, laptops: -1 } }))).message).toContain('counts.laptops');
    expect(refusal(() => parseReport(bytes({ ...sampleReport(), extra: true }))).message).toContain('extra');
    expect(refusal(() => parseReport(bytes({ ...sampleReport(), schema: 2 }))).code).toBe(FleetErrors.BAD_REPORT.code);
    expect(refusal(() => parseReport(bytes({ ...sampleReport(), sentAt: 'yesterday' }))).message).toContain('sentAt');
  });

  it('bounds every list and string', () => {
    const plugin = sampleReport().plugins[0]!;
    expect(refusal(() => parseReport(bytes(sampleReport({ plugins: Array.from({ length: 65 }, () => plugin) })))).message).toContain('plugins');
    expect(refusal(() => parseReport(bytes(sampleReport({ name: 'x'.repeat(129) })))).message).toContain('name');
  });

  it('refuses a body over the limit before parsing it', () => {
    const body = Buffer.alloc(REPORT_LIMIT + 1, ' ');
    expect(refusal(() => parseReport(body))).toMatchObject({ code: FleetErrors.TOO_LARGE.code });
  });
});
