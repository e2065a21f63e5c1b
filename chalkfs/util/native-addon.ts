// Loads chalkfs's native addon (native/, built by scripts/build-native.sh). One addon serves
// two layers: the FUSE binding (chalkfs/fuse) and the file locks (chalkfs/host).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ChalkError } from './chalk-error.js';
import { projectRoot } from './paths.js';

export const nativeAddonPath = join(projectRoot, 'native', 'build', 'Release', 'chalkfs_fuse.node');

/** The addon's exports, typed by the layer that uses them. */
export function loadNativeAddon<T>(): T {
  if (!existsSync(nativeAddonPath)) throw new ChalkError('config', `the native addon is not built (${nativeAddonPath} missing): run scripts/build-native.sh`);
  return createRequire(import.meta.url)(nativeAddonPath) as T;
}
