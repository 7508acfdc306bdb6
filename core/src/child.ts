/**
 * `sugar-server/child`: what a plugin's own child process needs from the core
 * without loading the daemon (HTTP, stores, logs and the rest take a quarter of
 * a second to import on a small server, on every start of the process): typed
 * errors, and calls over the process's IPC channel. The same modules as the
 * main entry exports, so errors made here are SugarErrors there too.
 */
export { SugarError, errorType, isSugarError, withCause } from './errors.js';
export { answer, fromWire, PendingCalls, toWire } from './plugins/isolation/messages.js';
