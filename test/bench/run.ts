/**
 * `npm run bench`: each benchmark prints one line
 * `name: ratio R (ours X, baseline Y)` measured side by side in this run.
 * Pass names to run only some: `npm run bench -- http-status`.
 */
import { benchActivities } from './activities.js';
import { benchAdmin } from './admin.js';
import { benchBackup } from './backup.js';
import { benchBlacklists } from './blacklists.js';
import { benchBootStorm } from './boot-storm.js';
import { benchFeeds } from './feeds.js';
import { benchFleet } from './fleet.js';
import { benchHttpIsolated } from './http-isolated.js';
import { benchHttpStatus } from './http-status.js';
import { benchReplicate } from './replicate.js';
import { benchPackage } from './package.js';
import { benchStores } from './stores.js';

const benches: Record<string, () => Promise<string>> = {
  'http-status': benchHttpStatus,
  'http-isolated': benchHttpIsolated,
  'boot-storm': benchBootStorm,
  activities: benchActivities,
  backup: benchBackup,
  blacklists: benchBlacklists,
  stores: benchStores,
  feeds: benchFeeds,
  fleet: benchFleet,
  replicate: benchReplicate,
  admin: benchAdmin,
  package: benchPackage,
};

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
for (const [name, bench] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(await bench());
}
