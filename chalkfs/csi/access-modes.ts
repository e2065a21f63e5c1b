// What CSI volume capabilities mean for a chalkfs mount (pure). chalkfs serves a
// filesystem (access type `mount`), never a raw block device, and one writer per volume
// at a time (the writer lease, docs/CONSISTENCY.md), so:
//   SINGLE_NODE_WRITER, SINGLE_NODE_SINGLE_WRITER, SINGLE_NODE_MULTI_WRITER
//       -> a read-write mount: this node takes the writer lease (staging fails while
//          another node holds it);
//   SINGLE_NODE_READER_ONLY, MULTI_NODE_READER_ONLY -> a read-only mount (a follower);
//   MULTI_NODE_SINGLE_WRITER -> read-write if the lease is free, else read-only
//       (`--fallback-read-only`): one node writes, the others read;
//   MULTI_NODE_MULTI_WRITER -> refused: chalkfs has no multi-writer mode.
import { RpcError, type Message } from '../grpc/grpc-server.js';

export type AccessMode =
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

/** How a node mounts the volume for a mode (see the module comment). */
export type MountMode = 'read-write' | 'read-only' | 'writer-else-read-only';

const MOUNT_MODES: Record<Exclude<AccessMode, 'MULTI_NODE_MULTI_WRITER'>, MountMode> = {
  SINGLE_NODE_WRITER: 'read-write',
  SINGLE_NODE_SINGLE_WRITER: 'read-write',
  SINGLE_NODE_MULTI_WRITER: 'read-write',
  SINGLE_NODE_READER_ONLY: 'read-only',
  MULTI_NODE_READER_ONLY: 'read-only',
  MULTI_NODE_SINGLE_WRITER: 'writer-else-read-only',
};

/** The `chalkfs mount` flags of each mount mode. */
export const MOUNT_FLAGS: Record<MountMode, string[]> = {
  'read-write': [],
  'read-only': ['--read-only'],
  'writer-else-read-only': ['--fallback-read-only'],
};

/**
 * Checks one VolumeCapability message and returns its access mode, or throws
 * INVALID_ARGUMENT saying what chalkfs cannot serve.
 */
export function accessModeOf(capability: Message | null | undefined): Exclude<AccessMode, 'MULTI_NODE_MULTI_WRITER'> {
  if (!capability) throw new RpcError('INVALID_ARGUMENT', 'volume_capability is required');
  if (capability.access_type === 'block' || capability.block) {
    throw new RpcError('INVALID_ARGUMENT', 'chalkfs volumes are filesystems: access type "block" is not supported, use "mount"');
  }
  const fsType: string = capability.mount?.fs_type ?? '';
  if (fsType !== '' && fsType !== 'chalkfs' && fsType !== 'fuse.chalkfs') {
    throw new RpcError('INVALID_ARGUMENT', `fs_type "${fsType}" is not supported: a chalkfs volume is always a chalkfs filesystem (leave fs_type empty)`);
  }
  const mode = capability.access_mode?.mode as AccessMode | 'UNKNOWN' | undefined;
  if (mode === 'MULTI_NODE_MULTI_WRITER') {
    throw new RpcError('INVALID_ARGUMENT', 'access mode MULTI_NODE_MULTI_WRITER (ReadWriteMany) is not supported: chalkfs has one writer per volume (the writer lease); use MULTI_NODE_SINGLE_WRITER (one node writes, the others read) or MULTI_NODE_READER_ONLY');
  }
  if (mode === undefined || mode === 'UNKNOWN' || !(mode in MOUNT_MODES)) {
    throw new RpcError('INVALID_ARGUMENT', `access mode ${String(mode ?? 'UNKNOWN')} is not supported`);
  }
  return mode;
}

export function mountModeOf(mode: Exclude<AccessMode, 'MULTI_NODE_MULTI_WRITER'>): MountMode {
  return MOUNT_MODES[mode];
}

/** Checks a list of capabilities (CreateVolume, ValidateVolumeCapabilities): at least one, all servable. */
export function checkCapabilities(capabilities: Message[] | undefined): void {
  if (!capabilities || capabilities.length === 0) throw new RpcError('INVALID_ARGUMENT', 'volume_capabilities is required');
  for (const capability of capabilities) accessModeOf(capability);
}
