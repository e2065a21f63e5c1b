// chalkfs's public surface: what code outside chalkfs/ (the orchestrator, and anything
// built on chalkfs as a library) may use. Everything else under chalkfs/ is internal and
// may move; the orchestrator imports from here only (docs/ARCHITECTURE.md).
export { ChalkError, isChalkError, type ErrorKind } from './util/chalk-error.js';
export { createLogger } from './util/logger.js';
export { chalkfsHome, projectRoot } from './util/paths.js';
export { processAlive } from './host/process-liveness.js';
export { mountPointsUnder, readMountTable } from './host/mount-table.js';
export { EmbeddedMinio } from './minio/embedded-minio.js';
export { ChalkfsCli } from './cli-driver/chalkfs-cli.js';
export { DEFAULT_PLUGIN_SOCKET, servePlugin, type PluginServer } from './plugin/plugin-server.js';
