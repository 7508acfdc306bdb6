/**
 * Runs inside a private network namespace (see mdns.test.ts): starts a daemon
 * that announces itself over mDNS, finds it with sugaroid, switches a plugin off
 * and finds it again. Prints what it found as JSON lines.
 */
import { networkInterfaces } from 'node:os';
import { discover } from 'sugaroid';
import { DaemonProcess } from '../../harness/index.js';

// Multicast must never reach a real network: refuse to run outside a namespace with only loopback.
const interfaces = Object.keys(networkInterfaces());
if (interfaces.some((name) => name !== 'lo')) {
  console.error(`refusing to send mDNS: interfaces ${interfaces.join(', ')} are not only loopback`);
  process.exit(3);
}

const daemon = await DaemonProcess.start({ config: '[mdns]\nenabled = on\nname = test school server\n[plugins]\necho = on\ncounter = on\n' });
try {
  const first = await discover({ timeoutMs: 5000, firstOnly: true, required: true });
  console.log(JSON.stringify({ step: 'first', daemonUrl: daemon.url, servers: first }));
  const off = await daemon.cli('plugins', 'disable', 'echo');
  if (off.code !== 0) throw new Error(off.stderr);
  await daemon.waitForLog((line) => line.msg === 'announced over mDNS' && !(line.services as string[]).includes('echo'));
  // Let the goodbye of the old announcement pass before browsing again.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const again = await discover({ timeoutMs: 5000, firstOnly: true, required: true });
  console.log(JSON.stringify({ step: 'after-disable', servers: again }));
} finally {
  await daemon.dispose();
}
