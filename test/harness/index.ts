export { DaemonProcess, makeRoot, BASE_CONFIG } from './daemon.js';
export type { DaemonOptions, LogLine, StartOptions, StatusDoc } from './daemon.js';
export { runCommand } from './run.js';
export { skipWithout } from './real-parts.js';
export { storedDocument } from './stores.js';
export type { CommandResult } from './run.js';
export { DAEMON_MAIN, FIXTURE_PLUGINS, REPO, SUGAROID_MAIN } from './paths.js';
