import { describe, expect, it } from 'vitest';
import { attributeAsyncWork, currentPlugin, pluginInStack, runAs } from './ownership.js';

describe('which plugin an error belongs to', () => {
  const folders = new Map([
    ['/usr/lib/sugar-server/plugins/myschool-thing', 'thing'],
    ['/work/plugins/leases', 'leases'],
  ]);

  it('reads the first frame inside a plugin folder, as a file URL or a path', () => {
    const err = new Error('boom');
    err.stack = [
      'Error: boom',
      '    at Object.check (file:///work/core/dist/storage.js:10:5)',
      '    at Timeout._onTimeout (file:///usr/lib/sugar-server/plugins/myschool-thing/dist/index.js:42:11)',
      '    at listOnTimeout (node:internal/timers:573:17)',
    ].join('\n');
    expect(pluginInStack(err, folders)).toBe('thing');
    err.stack = 'Error: x\n    at async Promise.all (index 0)\n    at /work/plugins/leases/dist/feed.js:3:9';
    expect(pluginInStack(err, folders)).toBe('leases');
  });

  it('charges nothing to a plugin whose folder is only a prefix of the file, or to Node internals', () => {
    const err = new Error('boom');
    err.stack = 'Error: boom\n    at f (/work/plugins/leases-extra/index.js:1:1)\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)';
    expect(pluginInStack(err, folders)).toBeUndefined();
    expect(pluginInStack('not an error', folders)).toBeUndefined();
  });

  it('carries the context through timers while async attribution is on, and not once it is off', async () => {
    attributeAsyncWork(true);
    const seen = await new Promise((resolve) => runAs('thing', () => setTimeout(() => resolve(currentPlugin()), 1)));
    expect(seen).toBe('thing');
    attributeAsyncWork(false);
    const unseen = await new Promise((resolve) => runAs('thing', () => setTimeout(() => resolve(currentPlugin()), 1)));
    expect(unseen).toBeUndefined();
    attributeAsyncWork(true);
  });
});
