/**
 * Entry of an isolated plugin's process (`[providers] isolate`), forked by the
 * core with an IPC channel. It imports the plugin, runs its start with a
 * context whose parts are real here or asked of the core, answers the core's
 * pings, and ends when told to stop, when the core is gone, or when an error
 * escapes from the plugin's work: every error in this process is the plugin's.
 */
import { pino } from 'pino';
import type { Socket } from 'node:net';
import { loadDefinition } from '../loader.js';
import type { PluginDefinition } from '../definition.js';
import { ChildPlugin } from './child-plugin.js';
import { answer, PendingCalls, toWire, type ChildCall, type ChildInit, type ToChild, type ToParent } from './messages.js';

/** What the exit code says when the plugin's own error ended this process. */
const EXIT_CRASHED = 70;

function send(message: ToParent, done?: () => void): void {
  if (process.connected) process.send!(message, undefined, {}, () => done?.());
  else done?.();
}

const calls = new PendingCalls<ChildCall>((message) => send(message));
let plugin: ChildPlugin | undefined;
let definition: PluginDefinition | undefined;
let root: pino.Logger | undefined;

function crash(err: unknown): void {
  root?.fatal({ err }, 'an error escaped from the plugin; its process ends');
  send({ kind: 'crash', message: err instanceof Error ? err.message : String(err) }, () => process.exit(EXIT_CRASHED));
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// The core is gone (stopped, or killed): never outlive it.
process.on('disconnect', () => process.exit(0));

async function start(init: ChildInit): Promise<void> {
  // Synchronous writes: the lines must be out before a crash ends the process.
  root = pino({ level: init.logLevel, base: { pid: process.pid }, serializers: { err: pino.stdSerializers.err } }, pino.destination({ dest: 1, sync: true }));
  const log = root.child({ plugin: init.candidate.service });
  try {
    definition = await loadDefinition(init.candidate, init.loadTimeoutMs);
    send({ kind: 'loaded' });
    plugin = new ChildPlugin(init, log, {
      call: (call) => calls.call(call),
      storeOpening: (opening) => send({ kind: 'store', opening }),
    });
    send({ kind: 'started', routes: await plugin.start(definition) });
  } catch (err) {
    send({ kind: 'failed', error: toWire(err) }, () => process.exit(1));
  }
}

async function stop(): Promise<void> {
  if (plugin && definition) await plugin.stop(definition);
  send({ kind: 'stopped' }, () => process.exit(0));
}

process.on('message', (message: ToChild, handle?: unknown) => {
  switch (message.kind) {
    case 'init':
      void start(message.init);
      break;
    case 'ping':
      send({ kind: 'pong', id: message.id, details: plugin?.details() ?? null, feeds: plugin?.feeds() ?? [] });
      break;
    case 'connection':
      plugin?.accept(message.listener, handle as Socket | undefined);
      if (!plugin) (handle as Socket | undefined)?.destroy();
      break;
    case 'token':
      plugin?.setToken(message.token);
      break;
    case 'level':
      if (root) root.level = message.level;
      break;
    case 'call':
      void answer(message, (call) => plugin!.feedFiles(call.name), (reply) => send(reply));
      break;
    case 'reply':
      calls.settle(message);
      break;
    case 'stop':
      void stop();
      break;
  }
});
