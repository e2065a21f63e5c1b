/*
 * A `chalkfs csi` process for integration tests, on one fixture host (its CHALKFS_HOME,
 * the fixture's bucket): started as a child, ready once its socket answers Probe, with
 * gRPC clients of its services (chalkfs/grpc's client). `stop()` sends SIGTERM and waits;
 * `kill()` is a crash (SIGKILL). Its output is kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliEntry } from '../../chalkfs/util/paths.js';
import { rpcClient, type Message, type RpcClient } from '../../chalkfs/grpc/grpc-server.js';
import { CSI_PROTO } from '../../chalkfs/csi/csi-driver.js';
import type { ChalkfsHost } from './chalkfs-fixture.js';

export interface CsiProcessOptions {
  nodeId: string;
  controller?: boolean;
  node?: boolean;
  /** Block cache of the mounts this node makes (default: the host's). */
  cacheDir?: string;
}

export class CsiProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private readonly clients: RpcClient[] = [];

  private constructor(
    readonly host: ChalkfsHost,
    readonly socketPath: string,
    private readonly options: CsiProcessOptions,
  ) {}

  static async start(host: ChalkfsHost, options: CsiProcessOptions): Promise<CsiProcess> {
    const csi = new CsiProcess(host, join(await host.tempDir('csi'), 'csi.sock'), options);
    await csi.startProcess();
    return csi;
  }

  /** Starts the process again on the same socket and state (after stop() or kill()). */
  async restart(): Promise<void> {
    await this.startProcess();
  }

  private async startProcess(): Promise<void> {
    const args = [cliEntry(), 'csi', '--endpoint', `unix://${this.socketPath}`, '--node-id', this.options.nodeId, '--cache-dir', this.options.cacheDir ?? this.host.cacheDir];
    if (this.options.controller) args.push('--controller');
    if (this.options.node) args.push('--node');
    const child = spawn(process.execPath, args, { env: this.host.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    const identity = this.client('Identity');
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`chalkfs csi exited ${child.exitCode}:\n${this.output}`);
      try {
        await identity.call('Probe', {});
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`chalkfs csi did not answer Probe within 60 s: ${(err as Error).message}\n${this.output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** A client of csi.v1.<service>. */
  client(service: 'Identity' | 'Controller' | 'Node'): RpcClient {
    const client = rpcClient(CSI_PROTO, `csi.v1.${service}`, this.socketPath);
    this.clients.push(client);
    return client;
  }

  call(service: 'Identity' | 'Controller' | 'Node', method: string, request: Message): Promise<Message> {
    return this.client(service).call(method, request);
  }

  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

/** A mount capability with one access mode, as the CO sends it. */
export function mountCapability(mode: string): Message {
  return { access_mode: { mode }, mount: { fs_type: '', mount_flags: [] } };
}
