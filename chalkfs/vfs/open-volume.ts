/*
 * The one way the daemon (and tests) open a volume: the mode chooses the type, a
 * WriterVolume for 'read-write', a ReaderVolume for 'read-only' (following) and
 * 'pinned' (one version). Nothing after this looks at the mode again.
 */
import { ChalkError } from '../util/chalk-error.js';
import { ReaderVolume } from './reader-volume.js';
import { WriterVolume } from './writer-volume.js';
import type { VolumeOptions } from './volume-options.js';
import type { MountMode } from './volume-view.js';

export type { MountMode };
export type Volume = WriterVolume | ReaderVolume;
/** The volume type a mode opens: a union when the mode is only known at run time. */
export type VolumeFor<M extends MountMode> = M extends 'read-write' ? WriterVolume : ReaderVolume;

export async function openVolume<M extends MountMode>(options: VolumeOptions & { mode: M }): Promise<VolumeFor<M>> {
  const volume = await openByMode(options);
  return volume as VolumeFor<M>;
}

function openByMode(options: VolumeOptions): Promise<Volume> {
  switch (options.mode) {
    case 'read-write':
      return WriterVolume.open(options);
    case 'read-only':
      return ReaderVolume.follow(options);
    case 'pinned':
      if (options.pinnedSeq === undefined) throw new ChalkError('config', 'a pinned mount needs a version');
      return ReaderVolume.pin(options, options.pinnedSeq);
  }
}
