// `chalkfs csi`: the CSI Identity service, and the Controller and/or Node services, on
// one gRPC unix socket (csi.proto v1.12.0, vendored in spec/, loaded at run time by the
// gRPC adapter in chalkfs/grpc). Volume work is done by the chalkfs CLI run as child
// processes (cli-driver), as in the Docker volume plugin: this process holds no store
// connection, cache or FUSE state, and the mount daemons outlive it.
import { join } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import { projectRoot } from '../util/paths.js';
import type { Logger } from '../util/logger.js';
import { serveRpc, type RpcError, type RpcServer, type ServiceHandlers } from '../grpc/grpc-server.js';
import { ChalkfsCli } from '../cli-driver/chalkfs-cli.js';
import { SharedMounts } from '../cli-driver/shared-mounts.js';
import { identityHandlers } from './identity-service.js';
import { ControllerService } from './controller-service.js';
import { NodeService } from './node-service.js';

export const CSI_PROTO = join(projectRoot, 'chalkfs', 'csi', 'spec', 'csi.proto');

export interface CsiOptions {
  /** unix:///path/csi.sock, unix:/path or a plain path. */
  endpoint: string;
  nodeId: string;
  controller: boolean;
  node: boolean;
  /** Where the node service keeps its mount reference table. */
  stateDir: string;
  /** Environment of the chalkfs CLI children: store settings, CHALKFS_HOME. */
  env: NodeJS.ProcessEnv;
  /** Block cache directory for the mounts this node makes. */
  cacheDir?: string;
  logger: Logger;
}

export function socketPathOf(endpoint: string): string {
  const path = endpoint.replace(/^unix:\/\//, '').replace(/^unix:/, '');
  if (!path.startsWith('/')) throw new ChalkError('config', `invalid CSI endpoint "${endpoint}": expected unix:///absolute/path.sock`);
  return path;
}

export async function serveCsi(options: CsiOptions): Promise<RpcServer> {
  if (!options.controller && !options.node) throw new ChalkError('config', 'chalkfs csi serves nothing: give --controller, --node or both');
  const cli = new ChalkfsCli(options.env);
  const services: Record<string, ServiceHandlers> = { 'csi.v1.Identity': identityHandlers(options.controller) };
  const idle: Array<() => Promise<void>> = [];
  if (options.controller) {
    const controller = new ControllerService(cli, options.logger, options.cacheDir);
    services['csi.v1.Controller'] = controller.handlers();
    idle.push(() => controller.idle());
  }
  if (options.node) {
    const mounts = await SharedMounts.open({ stateDir: options.stateDir, cli, logger: options.logger, cacheDir: options.cacheDir });
    services['csi.v1.Node'] = new NodeService(options.nodeId, mounts, cli, options.logger).handlers();
    idle.push(() => mounts.idle());
  }
  const socketPath = socketPathOf(options.endpoint);
  const server = await serveRpc(CSI_PROTO, socketPath, services, (method, err) => {
    const status = (err as RpcError).status;
    // Refusals the spec defines are answers, not faults: only INTERNAL ones are errors.
    if (status === 'INTERNAL') options.logger.error({ method, err }, 'CSI call failed');
    else options.logger.info({ method, status, message: (err as Error).message }, 'CSI call refused');
  });
  options.logger.info({ socket: socketPath, nodeId: options.nodeId, controller: options.controller, node: options.node }, 'CSI driver listening');
  return {
    socketPath,
    async close() {
      await server.close();
      for (const wait of idle) await wait();
    },
  };
}
