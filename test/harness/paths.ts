import { fileURLToPath } from 'node:url';

/** The repository checkout the suites run against. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The built daemon entry (`npm test` builds before running the suites). */
export const DAEMON_MAIN = fileURLToPath(new URL('../../core/dist/main.js', import.meta.url));
export const SUGAROID_MAIN = fileURLToPath(new URL('../../sugaroid/dist/cli.js', import.meta.url));
/** Deliberately good and broken plugin packages. */
export const FIXTURE_PLUGINS = fileURLToPath(new URL('../fixtures/plugins', import.meta.url));
