import { describe, expect, it } from 'vitest';
import type { PluginHost } from './plugins/host.js';
import { StatusBoard, type StatusSource } from './status.js';

function sourceWithFeed() {
  const feed = { lastSuccess: '2026-12-05T02:00:00.000Z', revision: 0 };
  const config = { generation: 1, loadedAt: 0, lastError: null };
  const source: StatusSource = {
    version: '1.0.0',
    api: '1.1.0',
    startedAt: 0,
    state: () => 'running',
    host: { generation: 0, list: () => [] } as unknown as PluginHost,
    config: () => config,
    discovery: () => undefined,
    eventLoopLag: () => ({ p50: 0, p99: 0, max: 0 }),
    feeds: () => ({ config: { lastSuccess: feed.lastSuccess } }),
    feedsRevision: () => feed.revision,
  };
  return { source, feed };
}

const lastSuccess = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { feeds: { config: { lastSuccess: string } } }).feeds.config.lastSuccess;

describe('the /status board', () => {
  it('serves the same bytes within a second while nothing changed', () => {
    const { source, feed } = sourceWithFeed();
    const board = new StatusBoard(source);
    const first = board.body(10_000);
    feed.lastSuccess = '2026-12-05T02:00:00.500Z'; // changed without a new revision: not seen until the second ticks
    expect(board.body(10_500)).toBe(first);
    expect(lastSuccess(board.body(11_000))).toBe('2026-12-05T02:00:00.500Z');
  });

  it('rebuilds within the same second once a feed reports a change, so a `feeds import` shows at once', () => {
    const { source, feed } = sourceWithFeed();
    const board = new StatusBoard(source);
    expect(lastSuccess(board.body(10_000))).toBe('2026-12-05T02:00:00.000Z');
    feed.lastSuccess = '2026-12-05T02:00:00.400Z';
    feed.revision++;
    expect(lastSuccess(board.body(10_400))).toBe('2026-12-05T02:00:00.400Z');
  });
});
