import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import { Watchdog } from './watchdog.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** performance.now() that advances by `ms` inside the timed callback only. */
function callbackTaking(ms: number): () => string {
  let now = 1000;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  return () => {
    now += ms;
    return 'done';
  };
}

describe('Watchdog', () => {
  const setup = () => {
    const warnings: { fields: Record<string, unknown>; msg: string }[] = [];
    const log = { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) } as unknown as Logger;
    const metrics = new Metrics(() => []);
    return { warnings, metrics, watchdog: new Watchdog(log, metrics, 100) };
  };

  it('names the plugin whose start held the event loop, and counts it', async () => {
    const { warnings, metrics, watchdog } = setup();
    expect(watchdog.time('slowpoke', 'start', callbackTaking(250))).toBe('done');
    expect(warnings).toEqual([{ fields: { plugin: 'slowpoke', phase: 'start', ms: 250 }, msg: 'slowpoke: its start kept the event loop busy for 250 ms; every service waited' }]);
    vi.restoreAllMocks();
    expect(await metrics.text()).toContain('sugar_server_plugin_slow_callbacks_total{plugin="slowpoke",phase="start"} 1');
  });

  it('stays quiet for callbacks that yield in time, and still reports one that throws', () => {
    const { warnings, watchdog } = setup();
    watchdog.time('quick', 'route', callbackTaking(99));
    expect(warnings).toEqual([]);
    const slowThrow = callbackTaking(300);
    expect(() => watchdog.time('thrower', 'connection', () => {
      slowThrow();
      throw new Error('boom');
    }, () => ({ listener: 'activation' }))).toThrow('boom');
    expect(warnings[0]?.fields).toEqual({ plugin: 'thrower', phase: 'connection', ms: 300, listener: 'activation' });
  });
});
