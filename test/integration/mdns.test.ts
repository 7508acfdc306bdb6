import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../harness/index.js';

const script = fileURLToPath(new URL('netns/discover-daemon.ts', import.meta.url));

/**
 * mDNS only inside a private network namespace: `unshare -n` gives the test its
 * own loopback, with multicast switched on and routed there, so no packet can
 * reach the machine's real interfaces. Needs root (CI runs as root).
 */
const inNamespace = [
  'ip link set lo up',
  'ip link set lo multicast on',
  'ip route add 224.0.0.0/4 dev lo',
  `exec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(script)}`,
].join(' && ');

describe('mDNS announcement', () => {
  it('lets sugaroid find the daemon and its running services, and re-announces on reload', async () => {
    const result = await runCommand('unshare', ['-n', 'sh', '-c', inNamespace], { timeoutMs: 50_000 });
    expect(result.stderr).not.toMatch(/refusing|Error/);
    expect(result.code).toBe(0);
    const [first, again] = result.stdout.trim().split('\n').map((line) => JSON.parse(line));

    const daemonPort = Number(new URL(first.daemonUrl).port);
    expect(first.servers).toHaveLength(1);
    expect(first.servers[0]).toMatchObject({
      name: 'test school server',
      port: daemonPort,
      url: `http://127.0.0.1:${daemonPort}`,
      version: '0.1.0',
    });
    expect([...first.servers[0].services].sort()).toEqual(['counter', 'echo']);

    expect(again.servers[0].services).toEqual(['counter']);
  });
});
