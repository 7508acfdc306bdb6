import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('sugaroid usage', () => {
  it('prints the command list on --help and exits 0', async () => {
    const { code, stdout } = await run('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: sugaroid <command>/);
    for (const command of ['status', 'discover', 'identity']) expect(stdout).toContain(`  ${command}`);
  });

  it('prints the usage to stderr and exits 2 without a command', async () => {
    const { code, stdout, stderr } = await run();
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: sugaroid');
  });

  it.each(['status', 'discover', 'identity'])('prints help for %s', async (command) => {
    const { code, stdout } = await run(command, '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: sugaroid ${command}`));
  });

  it.each([
    [['frob'], /unknown command "frob"/],
    [['identity', '--bogus'], /Unknown option '--bogus'/],
    [['identity', 'extra'], /extra/],
    [['identity', '--key-type', 'dss'], /--key-type must be one of ed25519, rsa, ecdsa, dsa/],
    [['identity', '--serial', 'shc123'], /serial "shc123" is not an XO serial/],
    [['status'], /status needs --server URL/],
    [['status', '--server'], /--server/],
    [['status', '--server', 'http://127.0.0.1:9', '--timeout', '1.5s'], /--timeout takes whole milliseconds/],
    [['discover', '--timeout', '-1'], /--timeout/],
    [['status', '--server', 'schoolserver'], /bad server URL "schoolserver"/],
  ])('exits 2 with a message for %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^sugaroid: /);
    expect(stderr).toMatch(message);
    expect(code).toBe(argv.includes('schoolserver') ? 1 : 2);
  });
});

describe('sugaroid identity', () => {
  it('prints an identity without the private key', async () => {
    const { code, stdout } = await run('identity', '--serial', 'SHC0A1B2C3D', '--nick', 'Ana');
    expect(code).toBe(0);
    const identity = JSON.parse(stdout) as { serial: string; nick: string; sshKey: Record<string, string> };
    expect(identity).toMatchObject({ serial: 'SHC0A1B2C3D', nick: 'Ana', sshKey: { type: 'ed25519' } });
    expect(identity.sshKey).not.toHaveProperty('privateKey');
  });

  it('includes the private key with --private', async () => {
    const { stdout } = await run('identity', '--key-type', 'dsa', '--private');
    const identity = JSON.parse(stdout) as { sshKey: Record<string, string> };
    expect(identity.sshKey.publicKey).toMatch(/^ssh-dss /);
    expect(identity.sshKey.privateKey).toMatch(/^-----BEGIN DSA PRIVATE KEY-----\n/);
  });
});

describe('sugaroid status', () => {
  let server: Server;
  let base: string;
  const status = {
    server: { name: 'sugar-server', version: '0.1.0', pluginApi: '1.0.0', state: 'running', uptime: 5,
      config: { generation: 2, loadedAt: '2025-01-01T00:00:00.000Z', lastError: null } },
    plugins: [
      { service: 'registry', package: '@sugar-server/registry', version: '0.1.0', enabled: true, state: 'running',
        dependsOn: [], uptime: 4, error: null, listeners: [] },
      { service: 'leases', package: '@sugar-server/leases', version: '0.2.0', enabled: true, state: 'failed',
        dependsOn: [], uptime: null, error: { code: 'SERVER_ERR_PLUGIN_START', message: 'boom' }, listeners: [] },
    ],
    standby: [],
    rejected: [],
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/status' || req.url === '/empty/status') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.url === '/status' ? status : { ...status, plugins: [] }));
      } else {
        res.statusCode = 503;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('prints a table of plugins', async () => {
    const { code, stdout } = await run('status', '--server', base);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('sugar-server 0.1.0: running, up 5 s, config generation 2');
    expect(lines).toContainEqual(expect.stringMatching(/^SERVICE +PACKAGE +VERSION +STATE +ERROR$/));
    expect(lines).toContainEqual(expect.stringMatching(/^registry +@sugar-server\/registry +0\.1\.0 +running$/));
    expect(lines).toContainEqual(expect.stringMatching(/^leases +@sugar-server\/leases +0\.2\.0 +failed +SERVER_ERR_PLUGIN_START: boom$/));
  });

  it('says so when no plugin is selected', async () => {
    const { code, stdout } = await run('status', '--server', `${base}/empty`);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(1)).toEqual(['', 'no plugins selected']);
  });

  it('prints the raw answer with --json', async () => {
    const { code, stdout } = await run('status', '--server', base, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(status);
  });

  it('exits 1 with the error when the server fails', async () => {
    const { code, stderr } = await run('status', '--server', `${base}/down`);
    expect(code).toBe(1);
    expect(stderr).toBe(`sugaroid: server answered 503 to GET ${base}/down/status`);
  });
});

describe('the sugaroid executable', () => {
  it('runs as a script and sets the exit code', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, ['--import', 'tsx', cli, 'identity', '--serial', 'SHC0A1B2C3D']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ serial: 'SHC0A1B2C3D' });
    const bad = await exec(process.execPath, ['--import', 'tsx', cli, 'frob']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: 'sugaroid: unknown command "frob"; see sugaroid --help\n' });
  });
});
