/*
 * Presence objects (docs/FORMAT.md, "Presence"): one per mount of a volume, on any host,
 * at `volumes/<v>/presence/<mountId>`, so that `chalkfs volume rm` sees read-only and
 * pinned mounts too (only a writer holds the lease). Written at mount, renewed slowly
 * (a PUT and a GET of volume.json per interval, TTL three intervals), deleted at
 * unmount; one left by a crash expires. The GET after each renewal is how a mount learns
 * that `volume rm --force` deleted its volume, and keeps its presence from lingering in it.
 */
import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { ObjectStore, PutCondition } from '../store/object-store.js';
import { decodeMeta, encodeMeta } from './format.js';
import { storeKeys } from './store-keys.js';

export const presenceFormat = 'chalkfs-presence/1';
export const defaultPresenceIntervalMs = 60_000;
/** A presence expires after this many missed renewals' worth of time. */
export const presenceTtlIntervals = 3;

export interface PresenceRecord {
  volume: string;
  mountId: string;
  host: string;
  pid: number;
  mode: string;
  mountpoint: string;
  renewedAt: string;
  expiresAt: string;
}

export type PresenceIdentity = Omit<PresenceRecord, 'renewedAt' | 'expiresAt'>;

/**
 * Every presence object of a volume that has not expired by `nowMs`. Expired ones and
 * ones `isGone` says belong to a dead local process are deleted (best effort) and left out.
 */
export async function livePresence(store: ObjectStore, volume: string, nowMs: number, isGone: (record: PresenceRecord) => boolean = () => false): Promise<PresenceRecord[]> {
  const live: PresenceRecord[] = [];
  for (const { key } of await store.list(storeKeys.presencePrefix(volume))) {
    let record: PresenceRecord;
    try {
      record = decodeMeta<PresenceRecord>(presenceFormat, (await store.get(key)).body, key);
    } catch (err) {
      // Removed meanwhile (an unmount), or damaged: neither is a mount to wait for.
      if (isChalkError(err, 'not-found') || isChalkError(err, 'corrupt')) continue;
      throw err;
    }
    if (Date.parse(record.expiresAt) > nowMs && !isGone(record)) live.push(record);
    else await store.delete(key).catch(() => undefined);
  }
  return live;
}

export interface PresenceKeeperOptions {
  store: ObjectStore;
  identity: PresenceIdentity;
  intervalMs: number;
  logger: Logger;
  clock?: () => number;
  /** Checked after each renewal: false when the volume itself is gone (the keeper then stops). */
  volumeExists: () => Promise<boolean>;
}

/** Keeps one mount's presence object: written by start, renewed every interval, deleted by stop. */
export class PresenceKeeper {
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private renewing: Promise<void> | undefined;
  private readonly clock: () => number;
  private readonly key: string;

  private constructor(private readonly options: PresenceKeeperOptions) {
    this.clock = options.clock ?? Date.now;
    this.key = storeKeys.presence(options.identity.volume, options.identity.mountId);
  }

  /** Writes the presence object; a mount that cannot announce itself does not start. */
  static async start(options: PresenceKeeperOptions): Promise<PresenceKeeper> {
    if (!Number.isInteger(options.intervalMs) || options.intervalMs <= 0) throw new ChalkError('config', `invalid presence interval ${options.intervalMs} ms`);
    const keeper = new PresenceKeeper(options);
    await keeper.write({ ifNoneMatch: '*' });
    keeper.schedule();
    return keeper;
  }

  /** Stops renewing and deletes the presence object (best effort: it expires anyway). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.renewing;
    if (this.etag === undefined) return;
    await this.options.store.delete(this.key).catch((err: unknown) => this.options.logger.warn({ err }, 'could not delete the presence object; it will expire'));
  }

  private record(): PresenceRecord {
    const now = this.clock();
    return { ...this.options.identity, renewedAt: new Date(now).toISOString(), expiresAt: new Date(now + presenceTtlIntervals * this.options.intervalMs).toISOString() };
  }

  private async write(condition: PutCondition): Promise<void> {
    const { etag } = await this.options.store.put(this.key, encodeMeta(presenceFormat, this.record()), condition);
    this.etag = etag;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.renewing = this.renew().finally(() => {
        this.renewing = undefined;
        this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Renews the object, then checks that the volume still exists: a `volume rm --force`
   * that listed the volume's objects before this write would otherwise leave it behind
   * in a deleted volume. An object found gone is written again only if the volume is
   * still there; `VolumeRepository.destroy` sweeps once more after deleting the config,
   * so what a renewal wrote during the deletion goes with it.
   */
  private async renew(): Promise<void> {
    try {
      try {
        await this.write({ ifMatch: this.etag! });
      } catch (err) {
        if (!isChalkError(err, 'precondition') && !isChalkError(err, 'not-found')) throw err;
        // Gone or replaced: deleted with its volume, or expired and cleaned up while the
        // store was unreachable. Written again only while the volume exists (never into
        // a deleted one); the check below decides whether it stays.
        if (!(await this.options.volumeExists())) return this.giveUp();
        await this.write({});
      }
      if (await this.options.volumeExists()) return;
      this.giveUp();
      await this.options.store.delete(this.key);
    } catch (err) {
      this.options.logger.warn({ err }, 'could not renew the presence object; retrying at the next interval');
    }
  }

  /** The volume is gone: nothing more is written (stop then has nothing to delete). */
  private giveUp(): void {
    this.stopped = true;
    this.etag = undefined;
  }
}
