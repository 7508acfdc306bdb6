/** The launcher thread: serves launches over its parent port. */
import { parentPort } from 'node:worker_threads';
import type { Port } from './protocol.js';
import { serveLaunches } from './runner.js';

serveLaunches(parentPort as unknown as Port);
