/**
 * The school's side of check-ins: POST the report to the upstream every
 * `[fleet] checkin_interval` (jittered ±10% so a district's schools do not all
 * call at the same second) and shortly after any feed was applied.
 *
 * Never blocks anything: one send at a time, in the background. When the
 * upstream cannot be reached the report is kept on disk (the latest only) and
 * sent again after a growing wait, never sooner than an upstream's Retry-After;
 * each attempt sends the report as it is then, so only the latest goes out.
 */
import { access, rm } from 'node:fs/promises';
import type { Logger } from '../log.js';
import { writeFileAtomically } from '../storage/durable.js';
import { setLongTimeout, type LongTimer } from '../timeout.js';
import type { SchoolCredential } from './credentials.js';
import type { FleetReport } from './report.js';

/** Feeds applied within this wait go out in one check-in. */
const APPLIED_DEBOUNCE_MS = 1_000;
const FIRST_RETRY_MS = 15_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface ReporterOptions {
  readonly credential: SchoolCredential;
  /** The upstream's base URL (`[fleet] upstream`, else the one the credential was issued by). */
  readonly upstream: string;
  readonly intervalMs: number;
  /** Where the latest unsent report waits. */
  readonly pendingFile: string;
  readonly log: Logger;
  build(): Promise<FleetReport> | FleetReport;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface ReporterState {
  readonly upstream: string;
  readonly serverId: string;
  readonly lastAttempt: string | null;
  readonly lastSuccess: string | null;
  readonly lastError: string | null;
  readonly lastErrorCode: string | null;
  /** A report is waiting on disk for the upstream. */
  readonly pending: boolean;
  readonly nextAt: string | null;
}

export class FleetReporter {
  private timer: LongTimer | undefined;
  private nextAt: number | null = null;
  private sending: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  /** Not before this instant (an upstream's Retry-After). */
  private notBefore = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private status = { lastAttempt: null as number | null, lastSuccess: null as number | null, lastError: null as string | null, lastErrorCode: null as string | null, pending: false };

  constructor(private readonly options: ReporterOptions) {}

  private get now(): number {
    return this.options.now?.() ?? Date.now();
  }

  start(): void {
    // A report left unsent before a restart is replaced by the first one sent now.
    void access(this.options.pendingFile).then(() => {
      if (this.status.lastSuccess === null) this.status.pending = true;
    }, () => {});
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.abort.abort();
  }

  /** A feed was applied: report soon (coalescing several), but never before a Retry-After. */
  feedApplied(): void {
    if (this.stopped) return;
    const at = Math.max(this.now + APPLIED_DEBOUNCE_MS, this.notBefore);
    if (this.nextAt !== null && this.nextAt <= at) return;
    this.schedule(at - this.now);
  }

  /** Check in now; resolves when this attempt (and any asked for meanwhile) ended. */
  sendNow(): Promise<void> {
    if (this.sending) {
      this.again = true;
      return this.sending;
    }
    this.timer?.cancel();
    this.nextAt = null;
    this.sending = this.attempt().finally(() => {
      this.sending = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.feedApplied();
      }
    });
    return this.sending;
  }

  state(): ReporterState {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      upstream: this.options.upstream,
      serverId: this.options.credential.serverId,
      lastAttempt: iso(this.status.lastAttempt),
      lastSuccess: iso(this.status.lastSuccess),
      lastError: this.status.lastError,
      lastErrorCode: this.status.lastErrorCode,
      pending: this.status.pending,
      nextAt: iso(this.nextAt),
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.nextAt = this.now + delayMs;
    this.timer = setLongTimeout(() => void this.sendNow(), delayMs);
  }

  private jittered(ms: number): number {
    return Math.round(ms * (0.9 + 0.2 * (this.options.random ?? Math.random)()));
  }

  private async attempt(): Promise<void> {
    const { credential, upstream, log } = this.options;
    this.status.lastAttempt = this.now;
    let report: FleetReport;
    try {
      report = await this.options.build();
    } catch (err) {
      log.error({ err }, 'check-in report could not be built');
      this.schedule(this.jittered(this.options.intervalMs));
      return;
    }
    const url = new URL('fleet/v1/checkin', upstream).href;
    let retryAfterMs = 0;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${credential.serverId}.${credential.secret}` },
        body: JSON.stringify(report),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      if (response.ok) {
        await response.body?.cancel();
        this.succeeded();
        return;
      }
      retryAfterMs = retryAfter(response.headers.get('Retry-After'), this.now);
      const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
      this.failed(body?.error?.message ?? `HTTP ${response.status}`, body?.error?.code ?? `HTTP_${response.status}`);
    } catch (err) {
      if (this.stopped) return;
      const cause = (err as Error & { cause?: Error }).cause;
      this.failed(`${url} could not be reached (${cause?.message ?? (err as Error).message})`, null);
    }
    // Never sooner than the upstream asked; otherwise 15 s, 30 s, ... up to the interval.
    // Scheduled before the report is kept, so /status never shows the error without the next attempt.
    const backoff = Math.min(this.options.intervalMs, FIRST_RETRY_MS * 2 ** Math.min(this.failures - 1, 16));
    this.notBefore = this.now + retryAfterMs;
    this.schedule(Math.max(retryAfterMs, this.jittered(backoff)));
    await this.keep(report);
  }

  private succeeded(): void {
    this.failures = 0;
    this.notBefore = 0;
    this.status.lastSuccess = this.now;
    if (this.status.lastError) this.options.log.info({ upstream: this.options.upstream }, 'check-in reached the upstream again');
    this.status.lastError = null;
    this.status.lastErrorCode = null;
    this.status.pending = false;
    void rm(this.options.pendingFile, { force: true }).catch(() => {});
    this.schedule(this.jittered(this.options.intervalMs));
  }

  private failed(message: string, code: string | null): void {
    this.failures++;
    if (this.status.lastError !== message) this.options.log.warn({ upstream: this.options.upstream, code }, `check-in not taken: ${message}; the report is kept and sent again later`);
    this.status.lastError = message;
    this.status.lastErrorCode = code;
  }

  /** The latest unsent report replaces any earlier one on disk. */
  private async keep(report: FleetReport): Promise<void> {
    try {
      await writeFileAtomically(this.options.pendingFile, [JSON.stringify(report)], 0o600);
      this.status.pending = true;
    } catch (err) {
      this.options.log.warn({ err, file: this.options.pendingFile }, 'the unsent check-in report could not be kept on disk');
    }
  }
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; 0 when absent or unreadable. */
export function retryAfter(header: string | null, now: number): number {
  if (!header) return 0;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value), 86_400) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.min(at - now, 86_400_000));
}
