/**
 * The daemon's side of one exec request of an authenticated laptop, asked by
 * the SSH process (which runs rsync and moves the bytes): the command is split
 * without a shell, read as an rsync server invocation against the allow-list,
 * its paths mapped into the laptop's own folder, uploads held to the volume and
 * quota limits, and the run planned there. A refusal is logged and told back
 * for the laptop's rsync to print (with exit status 1). When the run ends it is
 * logged, and a completion file that arrived whole sets off the snapshot,
 * before the laptop hears the exit status.
 */
import { isSugarError, type Logger } from 'sugar-server';
import type { Availability } from './availability.js';
import type { BackupService } from './backup-service.js';
import { splitCommand } from './command-words.js';
import type { LaptopFolders } from './laptop-folder.js';
import { parseRsyncCommand } from './rsync-request.js';
import { mapPaths, type TransferTarget } from './rsync-paths.js';
import type { RsyncOutcome } from './rsync-session.js';
import type { PlanAnswer } from './ssh-process/messages.js';
import { BackupErrors } from './errors.js';

export interface TransferDeps {
  readonly folders: LaptopFolders;
  readonly availability: Availability;
  readonly service: BackupService;
  readonly log: Logger;
  readonly rsyncPath: string;
  /** An empty folder for rsync's HOME. */
  readonly rsyncHome: string;
  readonly ioTimeoutSeconds: number;
  /** Whether rsync reads files without touching their access times (see RequestLimits). */
  readonly keepAccessTimes: boolean;
}

/** A transfer let through and not yet ended: what its log lines say, and whether it is the completion file. */
interface Running {
  readonly serial: string;
  readonly kind: TransferTarget['kind'];
  readonly fields: Record<string, unknown>;
  readonly started: number;
}

export class Transfers {
  private readonly running = new Map<number, Running>();
  private nextId = 1;

  constructor(private readonly deps: TransferDeps) {}

  /** May laptop `serial` run `command`? The run to start, or the refusal to tell it. */
  async plan(serial: string, command: string): Promise<PlanAnswer> {
    const { log } = this.deps;
    let target: TransferTarget;
    let args: string[];
    let cwd: string;
    let fields: Record<string, unknown>;
    try {
      const request = parseRsyncCommand(splitCommand(command), { ioTimeoutSeconds: this.deps.ioTimeoutSeconds, keepAccessTimes: this.deps.keepAccessTimes });
      target = mapPaths(request, serial);
      if (target.kind === 'upload') {
        const refusal = await this.deps.availability.uploadRefusal(serial);
        if (refusal) throw BackupErrors.BUSY(refusal);
      }
      cwd = await this.deps.folders.prepare(serial);
      args = ['--server', ...(request.mode === 'send' ? ['--sender'] : []), ...request.options, '.', ...target.paths];
      fields = { serial, mode: request.mode, paths: target.paths, dropped: request.dropped.length ? request.dropped : undefined };
    } catch (err) {
      const error = isSugarError(err) ? err : null;
      if (error) log.warn({ serial, code: error.code, command: command.slice(0, 300) }, `transfer refused: ${error.message}`);
      else log.error({ err, serial }, 'transfer could not start');
      return { refusal: error ? `${error.code}: ${error.message}` : 'the server could not start the transfer' };
    }
    const transfer = this.nextId++;
    this.running.set(transfer, { serial, kind: target.kind, fields, started: Date.now() });
    log.info(fields, 'transfer started');
    return { transfer, run: { rsyncPath: this.deps.rsyncPath, args, cwd, home: this.deps.rsyncHome } };
  }

  /** Transfer `transfer` ended: log it, and take the snapshot when the completion file arrived whole. */
  ended(transfer: number, outcome: RsyncOutcome): void {
    const running = this.running.get(transfer);
    if (!running) return;
    this.running.delete(transfer);
    const { serial, kind, fields, started } = running;
    const ended = { ...fields, code: outcome.code, signal: outcome.signal ?? undefined, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut, ms: Date.now() - started };
    if (outcome.code === 0) this.deps.log.info(ended, 'transfer ended');
    else this.deps.log.warn({ ...ended, stderr: outcome.stderr || undefined }, 'transfer failed');
    if (kind === 'completion' && outcome.code === 0) void this.deps.service.completed(serial);
  }

  /** The SSH process is gone, and the transfers it ran with it: log each as failed. */
  lostAll(why: string): void {
    for (const [transfer, running] of this.running) {
      this.running.delete(transfer);
      this.deps.log.warn({ ...running.fields, code: null, ms: Date.now() - running.started, stderr: why }, 'transfer failed');
    }
  }
}
