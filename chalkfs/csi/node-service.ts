// The CSI Node service. NodeStageVolume makes the volume's ONE FUSE mount on this node at
// the staging path (cli-driver/shared-mounts.ts, the same code the Docker volume plugin
// uses), so SQLite's POSIX locks work across all pods of the node; NodePublishVolume
// bind-mounts it into each pod's target path (read-only when asked). The stage and every
// publish are users of the shared mount, recorded on disk: the FUSE mount is released
// after the last of them, and a restarted driver knows what is in use. The mount daemons
// are processes of their own: they outlive a restart of this one.
import { mkdir, rmdir, statfs } from 'node:fs/promises';
import { RpcError, type Message, type ServiceHandlers } from '../grpc/grpc-server.js';
import { ChalkError } from '../util/chalk-error.js';
import type { Logger } from '../util/logger.js';
import type { ChalkfsCli } from '../cli-driver/chalkfs-cli.js';
import { mountState, type SharedMounts } from '../cli-driver/shared-mounts.js';
import { bindMount, unmountBind } from '../host/bind-mount.js';
import { MOUNT_FLAGS, accessModeOf, mountModeOf } from './access-modes.js';
import { requiredField, rpcCapabilities, rpcHandlers } from './csi-status.js';

const stageId = (stagingPath: string) => `stage:${stagingPath}`;
const publishId = (targetPath: string, readOnly: boolean) => `publish:${readOnly ? 'ro' : 'rw'}:${targetPath}`;
const publishTarget = (id: string) => (id.startsWith('publish:') ? id.slice('publish:rw:'.length) : undefined);

export class NodeService {
  constructor(
    private readonly nodeId: string,
    private readonly mounts: SharedMounts,
    private readonly cli: ChalkfsCli,
    private readonly logger: Logger,
  ) {}

  handlers(): ServiceHandlers {
    return rpcHandlers({
      NodeGetInfo: async () => ({ node_id: this.nodeId, max_volumes_per_node: 0 }),
      NodeGetCapabilities: async () => rpcCapabilities(['STAGE_UNSTAGE_VOLUME', 'GET_VOLUME_STATS', 'SINGLE_NODE_MULTI_WRITER']),
      NodeStageVolume: (r) => this.stage(r),
      NodeUnstageVolume: (r) => this.unstage(r),
      NodePublishVolume: (r) => this.publish(r),
      NodeUnpublishVolume: (r) => this.unpublish(r),
      NodeGetVolumeStats: (r) => this.stats(r),
    });
  }

  private async stage(request: Message): Promise<Message> {
    const volume = requiredField(request, 'volume_id');
    const stagingPath = requiredField(request, 'staging_target_path');
    const flags = MOUNT_FLAGS[mountModeOf(accessModeOf(request.volume_capability))];
    await this.mounts.locked(volume, async () => {
      const current = this.mounts.get(volume);
      if (current && current.mountpoint !== stagingPath) {
        throw new RpcError('ALREADY_EXISTS', `volume ${volume} is staged at ${current.mountpoint} on this node, not ${stagingPath}`);
      }
      if (current && (current.mountFlags ?? []).join(' ') !== flags.join(' ')) {
        throw new RpcError('ALREADY_EXISTS', `volume ${volume} is staged with another access mode (${(current.mountFlags ?? []).join(' ') || 'read-write'})`);
      }
      try {
        await this.mounts.acquire(volume, stageId(stagingPath), stagingPath, flags);
      } catch (err) {
        if (!(await this.exists(volume))) throw new RpcError('NOT_FOUND', `volume ${volume} does not exist`, { cause: err });
        throw err;
      }
    });
    return {};
  }

  private async unstage(request: Message): Promise<Message> {
    const volume = requiredField(request, 'volume_id');
    const stagingPath = requiredField(request, 'staging_target_path');
    await this.mounts.locked(volume, () => this.mounts.release(volume, stageId(stagingPath)));
    return {};
  }

  private async publish(request: Message): Promise<Message> {
    const volume = requiredField(request, 'volume_id');
    const target = requiredField(request, 'target_path');
    const stagingPath = requiredField(request, 'staging_target_path');
    const mode = accessModeOf(request.volume_capability);
    const readOnly = Boolean(request.readonly) || mountModeOf(mode) === 'read-only';
    await this.mounts.locked(volume, async () => {
      const refs = this.mounts.get(volume);
      if (!refs?.ids.includes(stageId(stagingPath))) throw new RpcError('FAILED_PRECONDITION', `volume ${volume} is not staged at ${stagingPath}`);
      const published = refs.ids.map((id) => [id, publishTarget(id)] as const).filter(([, t]) => t !== undefined);
      const here = published.find(([, t]) => t === target);
      if (here) {
        if (here[0] !== publishId(target, readOnly)) throw new RpcError('ALREADY_EXISTS', `volume ${volume} is published at ${target} ${readOnly ? 'read-write' : 'read-only'}`);
        if ((await mountState(target)) === 'mounted') return;
      }
      if (mode === 'SINGLE_NODE_SINGLE_WRITER' && published.some(([, t]) => t !== target)) {
        throw new RpcError('FAILED_PRECONDITION', `volume ${volume} has access mode SINGLE_NODE_SINGLE_WRITER and is published at ${published.map(([, t]) => t).join(', ')} already`);
      }
      await mkdir(target, { recursive: true });
      if ((await mountState(target)) !== 'absent') await unmountBind(target);
      await bindMount(stagingPath, target, readOnly);
      await this.mounts.acquire(volume, publishId(target, readOnly), stagingPath, refs.mountFlags ?? []);
      this.logger.info({ volume, target, readOnly }, 'published');
    });
    return {};
  }

  private async unpublish(request: Message): Promise<Message> {
    const volume = requiredField(request, 'volume_id');
    const target = requiredField(request, 'target_path');
    await this.mounts.locked(volume, async () => {
      if ((await mountState(target)) !== 'absent') await unmountBind(target);
      await rmdir(target).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw new ChalkError('io', `cannot remove ${target}: ${err.message}`, { cause: err });
      });
      for (const id of this.mounts.get(volume)?.ids ?? []) {
        if (publishTarget(id) === target) await this.mounts.release(volume, id);
      }
      this.logger.info({ volume, target }, 'unpublished');
    });
    return {};
  }

  private async stats(request: Message): Promise<Message> {
    const volume = requiredField(request, 'volume_id');
    const path = requiredField(request, 'volume_path');
    const refs = this.mounts.get(volume);
    if (!refs) throw new RpcError('NOT_FOUND', `volume ${volume} is not staged on this node`);
    const paths = [refs.mountpoint, ...refs.ids.map(publishTarget).filter((t) => t !== undefined)];
    if (!paths.includes(path)) throw new RpcError('NOT_FOUND', `volume ${volume} is not mounted at ${path} on this node`);
    const fs = await statfs(path);
    return {
      usage: [
        { unit: 'BYTES', total: fs.blocks * fs.bsize, available: fs.bavail * fs.bsize, used: (fs.blocks - fs.bfree) * fs.bsize },
        { unit: 'INODES', total: fs.files, available: fs.ffree, used: fs.files - fs.ffree },
      ],
    };
  }

  private async exists(volume: string): Promise<boolean> {
    const names = (await this.cli.json<Array<{ name: string }>>(['volume', 'ls'])).map((v) => v.name);
    return names.includes(volume);
  }
}
