/**
 * One exec request of an authenticated laptop: the command is split without a
 * shell, read as an rsync server invocation against the allow-list, its paths
 * mapped into the laptop's own folder, uploads held to the volume and quota
 * limits, and then the server's rsync runs there. A refusal is told to the
 * laptop's rsync on stderr (it prints it) with exit status 1, and logged. A
 * completion file that arrived whole sets off the snapshot.
 */
import type { ServerChannel } from 'ssh2';
import { isSugarError, type Logger } from 'sugar-server';
import type { Availability } from './availability.js';
import type { BackupService } from './backup-service.js';
import { splitCommand } from './command-words.js';
import { BackupErrors } from './errors.js';
import type { LaptopFolders } from './laptop-folder.js';
import { parseRsyncCommand, type RsyncRequest } from './rsync-request.js';
import { mapPaths, type TransferTarget } from './rsync-paths.js';
import { runRsync } from './rsync-session.js';

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

/** A checked transfer, ready to run. */
interface Plan {
  readonly request: RsyncRequest;
  readonly target: TransferTarget;
  /** The laptop's folder, where rsync runs. */
  readonly cwd: string;
}

export class Transfers {
  private readonly running = new Set<() => void>();

  constructor(private readonly deps: TransferDeps) {}

  /** Serve `command` for laptop `serial`; `accept` opens the channel. */
  async run(serial: string, command: string, accept: () => ServerChannel): Promise<void> {
    const { log } = this.deps;
    // Accepted at once: ssh2 drops what the client sends on a channel not yet accepted, and
    // OpenSSH starts sending rsync's stream without waiting for the answer to its exec request.
    const channel = accept();
    let plan: Plan;
    try {
      plan = await this.plan(serial, command);
    } catch (err) {
      const error = isSugarError(err) ? err : null;
      if (error) log.warn({ serial, code: error.code, command: command.slice(0, 300) }, `transfer refused: ${error.message}`);
      else log.error({ err, serial }, 'transfer could not start');
      refuse(channel, error ? `${error.code}: ${error.message}` : 'the server could not start the transfer');
      return;
    }
    const { request, target, cwd } = plan;
    const started = Date.now();
    const fields = { serial, mode: request.mode, paths: target.paths, dropped: request.dropped.length ? request.dropped : undefined };
    log.info(fields, 'transfer started');
    const args = ['--server', ...(request.mode === 'send' ? ['--sender'] : []), ...request.options, '.', ...target.paths];
    const rsync = runRsync(channel, { rsyncPath: this.deps.rsyncPath, args, cwd, home: this.deps.rsyncHome });
    this.running.add(rsync.abort);
    const outcome = await rsync.done.finally(() => this.running.delete(rsync.abort));
    const ended = { ...fields, code: outcome.code, signal: outcome.signal ?? undefined, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut, ms: Date.now() - started };
    if (outcome.code === 0) log.info(ended, 'transfer ended');
    else log.warn({ ...ended, stderr: outcome.stderr || undefined }, 'transfer failed');
    if (target.kind === 'completion' && outcome.code === 0) void this.deps.service.completed(serial);
  }

  /** Check the command and get the laptop's folder ready; throws a `BACKUP_ERR_*` refusal. */
  private async plan(serial: string, command: string): Promise<Plan> {
    const request = parseRsyncCommand(splitCommand(command), { ioTimeoutSeconds: this.deps.ioTimeoutSeconds, keepAccessTimes: this.deps.keepAccessTimes });
    const target = mapPaths(request, serial);
    if (target.kind === 'upload') {
      const refusal = await this.deps.availability.uploadRefusal(serial);
      if (refusal) throw BackupErrors.BUSY(refusal);
    }
    return { request, target, cwd: await this.deps.folders.prepare(serial) };
  }

  /** End every rsync running (the plugin is stopping). */
  abortAll(): void {
    for (const abort of this.running) abort();
  }
}

/** Say no: the laptop's rsync prints stderr, then reports the exit status. */
function refuse(channel: ServerChannel, message: string): void {
  channel.stderr.write(`sugar-server: ${message}\n`, () => {
    channel.exit(1);
    channel.end();
  });
}
