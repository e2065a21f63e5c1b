// The CSI Controller service: volumes are chalkfs volumes, created and deleted through
// the chalkfs CLI (cli-driver), like the Docker volume plugin does. Advertised:
// CREATE_DELETE_VOLUME, LIST_VOLUMES, CLONE_VOLUME and SINGLE_NODE_MULTI_WRITER; everything else
// answers UNIMPLEMENTED (docs/KUBERNETES.md says why each is left out).
//
// Capacity: a chalkfs volume has no size (it grows in the object store), so a volume's
// capacity is reported as 0, "unknown" in the spec's words (as NFS shares do); a
// capacity_range is accepted whatever it asks, unless it contradicts itself.
import { RpcError, type Message, type ServiceHandlers } from '../grpc/grpc-server.js';
import { parseSize } from '../util/size.js';
import type { Logger } from '../util/logger.js';
import { volumeRmArgs, type ChalkfsCli } from '../cli-driver/chalkfs-cli.js';
import { KeyedLock } from '../cli-driver/keyed-lock.js';
import { accessModeOf, checkCapabilities } from './access-modes.js';
import { isVolumeName, volumeIdFor } from './volume-ids.js';
import { requiredField, rpcCapabilities, rpcHandlers } from './csi-status.js';

/** StorageClass parameters chalkfs reads; keys the external-provisioner adds pass unread. */
const BLOCK_SIZE_PARAMETER = 'blockSize';
const PROVISIONER_PREFIX = 'csi.storage.k8s.io/';

interface VolumeJson {
  name: string;
  blockSizeBytes: number;
}

export class ControllerService {
  private readonly lock = new KeyedLock();

  constructor(
    private readonly cli: ChalkfsCli,
    private readonly logger: Logger,
    /** The block cache this host's mounts use: DeleteVolume clears the volume's blocks from it. */
    private readonly cacheDir?: string,
  ) {}

  handlers(): ServiceHandlers {
    return rpcHandlers({
      ControllerGetCapabilities: async () => rpcCapabilities(['CREATE_DELETE_VOLUME', 'LIST_VOLUMES', 'CLONE_VOLUME', 'SINGLE_NODE_MULTI_WRITER']),
      CreateVolume: (r) => this.createVolume(r),
      DeleteVolume: (r) => this.deleteVolume(r),
      ValidateVolumeCapabilities: (r) => this.validate(r),
      ListVolumes: (r) => this.listVolumes(r),
    });
  }

  private async createVolume(request: Message): Promise<Message> {
    const name = requiredField(request, 'name');
    checkCapabilities(request.volume_capabilities);
    const source = request.volume_content_source;
    if (source?.snapshot) throw new RpcError('INVALID_ARGUMENT', 'chalkfs does not create volumes from snapshots (CREATE_DELETE_SNAPSHOT is not advertised)');
    const required = Number(request.capacity_range?.required_bytes ?? 0);
    const limit = Number(request.capacity_range?.limit_bytes ?? 0);
    if (required < 0 || limit < 0 || (limit > 0 && required > limit)) {
      throw new RpcError('OUT_OF_RANGE', `capacity_range asks for at least ${required} and at most ${limit} bytes`);
    }
    const blockSizeBytes = blockSizeOf(request.parameters ?? {});
    const id = volumeIdFor(name);
    const sourceId: string | undefined = source?.volume ? requiredField(source.volume, 'volume_id') : undefined;
    await this.lock.run(id, async () => {
      let existing = await this.info(id);
      if (!existing) {
        try {
          await this.cli.run(sourceId === undefined ? ['volume', 'create', id, ...blockSizeFlags(blockSizeBytes)] : await this.cloneArgs(sourceId, id, blockSizeBytes));
          this.logger.info({ volume: id, name, source: sourceId }, sourceId === undefined ? 'created volume' : 'cloned volume');
          return;
        } catch (err) {
          // Another controller may have created it in the meantime: compare below.
          existing = await this.info(id);
          if (!existing) throw err;
        }
      }
      if (blockSizeBytes !== undefined && existing.blockSizeBytes !== blockSizeBytes) {
        throw new RpcError('ALREADY_EXISTS', `volume ${name} exists with block size ${existing.blockSizeBytes}, not ${blockSizeBytes}`);
      }
      if (sourceId !== undefined && !(await this.isCloneOf(id, sourceId))) {
        throw new RpcError('ALREADY_EXISTS', `volume ${name} exists and is not a clone of ${sourceId}`);
      }
    });
    const content_source = sourceId === undefined ? undefined : { volume: { volume_id: sourceId } };
    return { volume: { volume_id: id, capacity_bytes: 0, volume_context: {}, content_source } };
  }

  /**
   * CLONE_VOLUME is `chalkfs volume clone`: the new volume starts as the source's newest
   * consistent version (blocks copied, as blocks are per volume), with the source's block size.
   */
  private async cloneArgs(sourceId: string, id: string, blockSizeBytes: number | undefined): Promise<string[]> {
    const source = isVolumeName(sourceId) ? await this.info(sourceId) : undefined;
    if (!source) throw new RpcError('NOT_FOUND', `source volume ${sourceId} does not exist`);
    if (blockSizeBytes !== undefined && source.blockSizeBytes !== blockSizeBytes) {
      throw new RpcError('INVALID_ARGUMENT', `a clone keeps its source's block size (${source.blockSizeBytes}), not ${blockSizeBytes}`);
    }
    return ['volume', 'clone', sourceId, id];
  }

  /** Whether volume `id` began as a clone of `sourceId` (its first commit says so). */
  private async isCloneOf(id: string, sourceId: string): Promise<boolean> {
    const versions = await this.cli.json<{ label?: string }[]>(['volume', 'versions', id]);
    return versions.some((v) => v.label?.startsWith(`clone of ${sourceId}@`) === true);
  }

  private async deleteVolume(request: Message): Promise<Message> {
    const id = requiredField(request, 'volume_id');
    // An ID that cannot name a chalkfs volume names none: deleting it is done.
    if (!isVolumeName(id)) return {};
    await this.lock.run(id, async () => {
      if (!(await this.info(id))) return;
      try {
        await this.cli.run(volumeRmArgs(id, this.cacheDir));
      } catch (err) {
        // `volume rm` refuses (a usage error) while any host has the volume mounted.
        if (err instanceof Error && 'kind' in err && err.kind === 'config') throw new RpcError('FAILED_PRECONDITION', err.message, { cause: err });
        throw err;
      }
      this.logger.info({ volume: id }, 'deleted volume');
    });
    return {};
  }

  private async validate(request: Message): Promise<Message> {
    const id = requiredField(request, 'volume_id');
    const capabilities: Message[] | undefined = request.volume_capabilities;
    if (!capabilities || capabilities.length === 0) throw new RpcError('INVALID_ARGUMENT', 'volume_capabilities is required');
    if (!isVolumeName(id) || !(await this.info(id))) throw new RpcError('NOT_FOUND', `volume ${id} does not exist`);
    try {
      for (const capability of capabilities) accessModeOf(capability);
    } catch (err) {
      if (err instanceof RpcError && err.status === 'INVALID_ARGUMENT') return { message: err.message };
      throw err;
    }
    return { confirmed: { volume_context: request.volume_context ?? {}, volume_capabilities: capabilities, parameters: request.parameters ?? {} } };
  }

  /** Pages are positions in the name-sorted list: the token is the index of the next entry. */
  private async listVolumes(request: Message): Promise<Message> {
    const token: string = request.starting_token ?? '';
    const names = (await this.cli.json<VolumeJson[]>(['volume', 'ls'])).map((v) => v.name).sort();
    const start = token === '' ? 0 : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!(start <= names.length)) throw new RpcError('ABORTED', `starting_token "${token}" is not one this driver gave out`);
    const max = Number(request.max_entries ?? 0);
    if (max < 0) throw new RpcError('INVALID_ARGUMENT', 'max_entries must not be negative');
    const end = max > 0 ? Math.min(names.length, start + max) : names.length;
    return {
      entries: names.slice(start, end).map((volume_id) => ({ volume: { volume_id, capacity_bytes: 0 } })),
      next_token: end < names.length ? String(end) : '',
    };
  }

  /** The volume's summary, or undefined when it does not exist (a failing store throws). */
  private async info(id: string): Promise<VolumeJson | undefined> {
    try {
      return await this.cli.json<VolumeJson>(['volume', 'info', id]);
    } catch (err) {
      // `volume info` fails alike for a missing volume and a failing store: the list tells.
      const names = (await this.cli.json<VolumeJson[]>(['volume', 'ls'])).map((v) => v.name);
      if (names.includes(id)) throw err;
      return undefined;
    }
  }

  idle(): Promise<void> {
    return this.lock.idle();
  }
}

function blockSizeOf(parameters: Record<string, string>): number | undefined {
  let blockSizeBytes: number | undefined;
  for (const [key, value] of Object.entries(parameters)) {
    if (key.startsWith(PROVISIONER_PREFIX)) continue;
    if (key !== BLOCK_SIZE_PARAMETER) throw new RpcError('INVALID_ARGUMENT', `unknown parameter "${key}" (chalkfs reads: ${BLOCK_SIZE_PARAMETER})`);
    try {
      blockSizeBytes = parseSize(value, BLOCK_SIZE_PARAMETER);
    } catch (err) {
      throw new RpcError('INVALID_ARGUMENT', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }
  return blockSizeBytes;
}

function blockSizeFlags(blockSizeBytes: number | undefined): string[] {
  return blockSizeBytes === undefined ? [] : ['--block-size', String(blockSizeBytes)];
}
