/** sugaroid: a client bot that behaves like a Sugar/XO laptop on the wire. */
export { Laptop } from './laptop.js';
export { createIdentity, isXoSerial } from './identity.js';
export type { Identity, IdentityOptions } from './identity.js';
export { SSH_KEY_TYPES } from './ssh-keys.js';
export type { SshKey, SshKeyType } from './ssh-keys.js';
export { discover } from './discover.js';
export type { DiscoveredServer, DiscoverOptions } from './discover.js';
export { fetchStatus } from './clients/status.js';
export type { PluginState, PluginStatus, ServerState, ServerStatus } from './clients/status.js';
export type { RequestOptions } from './clients/http.js';
export { SugaroidError, SugaroidErrors, isSugaroidError } from './errors.js';
export { swarm, describeSwarm, percentile } from './swarm.js';
export type { SwarmOptions, SwarmReport } from './swarm.js';
export type { SugaroidErrorOptions, SugaroidErrorType } from './errors.js';
