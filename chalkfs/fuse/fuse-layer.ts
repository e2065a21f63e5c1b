// Which FUSE layer the daemon mounts a volume with (issue 14): fuse-native (the default,
// fuse-mount.ts) or chalkfs's own libfuse 3 binding (lowlevel-mount.ts), chosen by the
// environment variable CHALKFS_FUSE=lowlevel. The binding is imported only when chosen,
// so a machine without the built addon still mounts with fuse-native.
import { ChalkError } from '../util/chalk-error.js';
import { FuseMount, type FuseMountOptions } from './fuse-mount.js';

export type FuseLayer = 'fuse-native' | 'lowlevel';

export interface MountedFuse {
  mount(): Promise<void>;
  unmount(): Promise<void>;
}

export function fuseLayerFromEnv(env: NodeJS.ProcessEnv): FuseLayer {
  const chosen = env.CHALKFS_FUSE;
  if (chosen === undefined || chosen === '' || chosen === 'fuse-native') return 'fuse-native';
  if (chosen === 'lowlevel') return 'lowlevel';
  throw new ChalkError('config', `CHALKFS_FUSE=${chosen}: expected fuse-native or lowlevel`);
}

export async function createFuseMount(layer: FuseLayer, options: FuseMountOptions): Promise<MountedFuse> {
  if (layer === 'fuse-native') return new FuseMount(options);
  const { LowLevelMount } = await import('./lowlevel-mount.js');
  return new LowLevelMount(options);
}
