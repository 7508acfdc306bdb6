/**
 * Entry of the backup plugin's SSH process, forked by the daemon with an IPC
 * channel (parent.ts). It runs the ssh2 server with the host keys and
 * algorithms it is sent, takes each connection the daemon accepted as an
 * unread socket, asks the daemon about keys and transfers, and runs rsync
 * itself, so the bytes of every backup move here and not on the daemon's
 * event loop. Its log lines go to the daemon's log. It ends when told to stop
 * or when the daemon is gone.
 */
import type { Socket } from 'node:net';
import { PendingCalls } from 'sugar-server/child';
import { SshEndpoint, type EndpointLog } from '../ssh-endpoint.js';
import type { KeyVerdict } from '../ssh-signature.js';
import { Execs } from './exec.js';
import { fieldsToSend, type FromSsh, type LogLevel, type SshCall, type SshInit, type ToSsh } from './messages.js';

/** What the exit code says when an error of this process's own ended it. */
const EXIT_CRASHED = 70;

function send(message: FromSsh): void {
  if (process.connected) process.send!(message, undefined, {}, () => {});
}

const calls = new PendingCalls<SshCall>((message) => send(message));
const ask = <T>(call: SshCall) => calls.call<T>(call);
const line = (level: LogLevel) => (fields: Record<string, unknown>, message: string) =>
  send({ kind: 'log', level, fields: fieldsToSend(fields), message });
const log: EndpointLog = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };

let endpoint: SshEndpoint | undefined;
const execs = new Execs(ask);

function serve(init: SshInit): void {
  endpoint = new SshEndpoint({
    ...init,
    log,
    keyVerdict: (offer) => ask<KeyVerdict>({ what: 'key', username: offer.username, algo: offer.key.algo, data: offer.key.data }),
    exec: (serial, command, accept) => execs.run(serial, command, accept),
  });
  send({ kind: 'ready' });
}

/** Close every connection and end every rsync, then exit; what is cut, the laptops retry. */
function stop(code = 0): void {
  endpoint?.close();
  execs.abortAll();
  // A moment for the closing messages, log lines and SIGTERMs to go out.
  setTimeout(() => process.exit(code), 200);
}

process.on('message', (message: ToSsh, handle?: unknown) => {
  switch (message.kind) {
    case 'init':
      serve(message.init);
      break;
    case 'connection': {
      const socket = handle as Socket | undefined;
      if (!socket) break;
      socket.on('error', (err) => log.debug({ err }, 'SSH connection error'));
      if (endpoint) endpoint.accept(socket);
      else socket.destroy();
      break;
    }
    case 'reply':
      calls.settle(message);
      break;
    case 'stop':
      stop();
      break;
  }
});
// The daemon is gone (stopped or killed): never outlive it, nor leave rsync behind.
process.on('disconnect', () => {
  calls.failAll(new Error('the daemon is gone'));
  stop();
});
process.on('uncaughtException', (err) => {
  log.error({ err }, 'an error escaped in the SSH process; it ends');
  stop(EXIT_CRASHED);
});
