/**
 * One exec request, served in the SSH process: the daemon decides whether and
 * how rsync runs (transfers.ts), this process runs it and moves its bytes
 * between the SSH channel and rsync, tells the daemon how it ended, and then
 * the laptop its exit status.
 */
import type { ServerChannel } from 'ssh2';
import { runRsync, sendExitStatus } from '../rsync-session.js';
import type { PlanAnswer, SshCall } from './messages.js';

export class Execs {
  private readonly running = new Set<() => void>();

  constructor(private readonly ask: <T>(call: SshCall) => Promise<T>) {}

  /** Serve `command` for laptop `serial`; `accept` opens the channel. */
  async run(serial: string, command: string, accept: () => ServerChannel): Promise<void> {
    // Accepted at once: ssh2 drops what the client sends on a channel not yet accepted, and
    // OpenSSH starts sending rsync's stream without waiting for the answer to its exec request.
    const channel = accept();
    const plan = await this.ask<PlanAnswer>({ what: 'plan', serial, command })
      .catch((err: Error) => ({ refusal: `the server could not start the transfer: ${err.message}` }));
    if ('refusal' in plan) {
      refuse(channel, plan.refusal);
      return;
    }
    const rsync = runRsync(channel, plan.run);
    this.running.add(rsync.abort);
    const outcome = await rsync.done.finally(() => this.running.delete(rsync.abort));
    // The daemon logs the end and queues the snapshot before the laptop hears it, as ds-backup's next step may follow at once.
    await this.ask({ what: 'ended', transfer: plan.transfer, outcome }).catch(() => {});
    sendExitStatus(channel, outcome.code);
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
