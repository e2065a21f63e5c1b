// The CSI Identity service: the driver's name and version, whether it serves the
// Controller service, and readiness (ready once the socket answers: every dependency is
// checked when the process starts).
import type { ServiceHandlers } from '../grpc/grpc-server.js';
import { packageJson } from '../util/paths.js';
import { rpcHandlers } from './csi-status.js';

export const CSI_DRIVER_NAME = 'csi.chalkfs.dev';

export function identityHandlers(controller: boolean): ServiceHandlers {
  return rpcHandlers({
    GetPluginInfo: async () => ({ name: CSI_DRIVER_NAME, vendor_version: packageJson().version, manifest: {} }),
    GetPluginCapabilities: async () => ({ capabilities: controller ? [{ service: { type: 'CONTROLLER_SERVICE' } }] : [] }),
    Probe: async () => ({ ready: { value: true } }),
  });
}
