import { describe, expect, it } from 'vitest';
import { initialize, resolve } from './core-resolve.js';

const CORE = 'file:///usr/lib/node_modules/sugar-server/dist/plugins/loader.js';
const PLUGIN = 'file:///usr/lib/sugar-server/plugins/hello/dist/index.js';
const context = (parentURL: string) => ({ parentURL, conditions: ['node', 'import'], importAttributes: {} });

/** Node's own resolution, as seen from a plugin folder that holds no node_modules. */
async function nodeResolve(specifier: string, ctx?: { parentURL?: string | undefined }): Promise<{ url: string }> {
  if (ctx?.parentURL === CORE) return { url: `file:///usr/lib/node_modules/${specifier}/dist/index.js` };
  if (specifier === 'koa' || specifier === './own.js') return { url: `file:///elsewhere/${specifier}` };
  throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
}

describe('the core resolve hook', () => {
  initialize({ coreURL: CORE });

  it('gives a plugin without a copy of its own the running core, for sugar-server and sugar-server/testing', async () => {
    expect(await resolve('sugar-server', context(PLUGIN), nodeResolve)).toEqual({ url: 'file:///usr/lib/node_modules/sugar-server/dist/index.js' });
    expect(await resolve('sugar-server/testing', context(PLUGIN), nodeResolve)).toEqual({ url: 'file:///usr/lib/node_modules/sugar-server/testing/dist/index.js' });
  });

  it('leaves what resolves alone, and every other missing package missing', async () => {
    expect(await resolve('koa', context(PLUGIN), nodeResolve)).toEqual({ url: 'file:///elsewhere/koa' });
    await expect(resolve('left-pad', context(PLUGIN), nodeResolve)).rejects.toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    await expect(resolve('sugar-server-extras', context(PLUGIN), nodeResolve)).rejects.toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
  });
});
