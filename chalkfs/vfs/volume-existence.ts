/*
 * Whether a mount's volume still exists in the store. `chalkfs volume rm --force` can
 * delete a volume other hosts have mounted; their mounts then keep answering what they
 * have (namespace in memory, cached blocks) and fail the rest with EIO, and say once, in
 * the log and in `chalkfs status`, that the volume was deleted (docs/CONSISTENCY.md).
 */
import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { VolumeRepository } from '../meta/volume-repository.js';

export type VolumeState = 'ok' | 'deleted';

export class VolumeExistence {
  private deleted: string | undefined;
  private checking: Promise<boolean> | undefined;

  constructor(
    private readonly repo: VolumeRepository,
    private readonly volume: string,
    private readonly logger: Logger,
  ) {}

  get state(): VolumeState {
    return this.deleted ? 'deleted' : 'ok';
  }

  /** Looks for the volume's config (one GET, shared by concurrent callers); false once it is gone. */
  check(): Promise<boolean> {
    if (this.deleted) return Promise.resolve(false);
    this.checking ??= this.repo
      .config(this.volume)
      .then(
        () => true,
        (err: unknown) => {
          if (!isChalkError(err, 'not-found')) throw err;
          this.markDeleted('its volume.json is gone from the store');
          return false;
        },
      )
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  markDeleted(reason: string): void {
    if (this.deleted) return;
    this.deleted = reason;
    this.logger.error(
      { volume: this.volume, reason },
      `volume ${this.volume} was deleted (chalkfs volume rm): this mount serves only what it has in memory and cache, other reads fail with EIO; unmount it`,
    );
  }

  /**
   * The error for a block the served version names but the store does not have: EIO,
   * saying why when the volume is gone (checked first), never ENOENT for a read.
   */
  async missingBlock(hash: string, err: ChalkError): Promise<ChalkError> {
    const exists = await this.check().catch(() => true);
    const why = exists ? 'is missing from the store' : `is gone: volume ${this.volume} was deleted`;
    return new ChalkError('io', `block ${hash} of volume ${this.volume} ${why}`, { cause: err });
  }
}
