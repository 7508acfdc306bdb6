/**
 * The extra ports of an isolated plugin. The core binds them, as for any
 * plugin (so a clash names the holder, /status lists them, stop closes them),
 * and hands each accepted connection, unread, to the plugin's process. While
 * the process is down the port stays bound: an HTTP port answers 503, a raw
 * TCP connection is closed, which is what a protocol's client takes as "not
 * now". A restarted process that asks for the same port gets it back.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { SugarError } from '../../errors.js';
import { OwnedPort, type BoundListener } from '../../listeners.js';
import type { RuntimeDeps } from '../context.js';
import type { ListenSpec } from '../definition.js';
import type { Candidate } from '../manifest.js';

interface HandedOffPort {
  readonly spec: ListenSpec;
  readonly port: OwnedPort;
  readonly bound: BoundListener;
  /** The process that asked for it, and the id it knows the port by. */
  child: ChildProcess;
  listener: number;
  http: boolean;
}

export interface Handover {
  /** Hand `socket` to the process; false when it cannot take it now. */
  pass(child: ChildProcess, listener: number, socket: Socket): boolean;
  /** What an HTTP port answers while the process cannot. */
  unavailable(): SugarError;
}

export class HandedOffPorts {
  private readonly ports = new Map<string, HandedOffPort>();
  /** Answers HTTP connections while the plugin's process is down. */
  private readonly standIn = createServer((_req, res) => {
    const error = this.handover.unavailable();
    const body = JSON.stringify({ error: { code: error.code, message: error.message } });
    res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '5', Connection: 'close' });
    res.end(body);
  });

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly candidate: Candidate,
    private readonly handover: Handover,
  ) {}

  list(): { name: string; address: string; port: number }[] {
    return [...this.ports].map(([name, { bound }]) => ({ name, ...bound }));
  }

  /** Bind the port `child` asks for, or give back the one an earlier process of this plugin held with the same spec. */
  async listen(child: ChildProcess, listener: number, spec: ListenSpec, http: boolean): Promise<BoundListener> {
    const address = spec.address ?? this.deps.defaultAddress;
    const held = this.ports.get(spec.name);
    if (held && held.spec.address === spec.address && (spec.port === 0 || held.bound.port === spec.port)) {
      Object.assign(held, { child, listener, http });
      return held.bound;
    }
    if (held) await this.close(spec.name);
    const log = this.deps.log.child({ plugin: this.candidate.service });
    const name = `${this.candidate.service}/${spec.name}`;
    const port = OwnedPort.tcp(name, log, (socket) => this.accept(spec.name, socket), this.candidate.packageName, { pauseOnConnect: true });
    const bound = await port.listen(spec.port, address);
    this.ports.set(spec.name, { spec, port, bound, child, listener, http });
    log.info({ listener: spec.name, address: bound.address, port: bound.port }, `${spec.name} listening`);
    return bound;
  }

  /** The ports `child` asked for; see {@link keepOnly}. */
  askedBy(child: ChildProcess): Set<string> {
    return new Set([...this.ports].filter(([, entry]) => entry.child === child).map(([name]) => name));
  }

  /** Close the ports held for an earlier process that the new one no longer asks for. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.ports.keys()) if (!names.has(name)) void this.close(name);
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.ports.keys()].map((name) => this.close(name)));
    this.standIn.closeAllConnections();
  }

  private async close(name: string): Promise<void> {
    const entry = this.ports.get(name);
    if (!entry) return;
    this.ports.delete(name);
    await entry.port.close(this.deps.drainMs);
  }

  private accept(name: string, socket: Socket): void {
    const entry = this.ports.get(name);
    if (entry && this.handover.pass(entry.child, entry.listener, socket)) return;
    if (!entry?.http) {
      socket.destroy();
      return;
    }
    this.standIn.emit('connection', socket);
    socket.resume();
  }
}
