// Loads chalkfs's native addon (native/, built by scripts/build-native.sh: by hand or
// provisioning in a checkout, by the package's install script when installed with npm).
// It is found under the installation root (projectRoot), the same from the sources
// (vitest) and from dist/. One addon serves two layers: the FUSE binding (chalkfs/fuse)
// and the file locks (chalkfs/host); Node loads it once and both get the same exports.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ChalkError } from './chalk-error.js';
import { projectRoot } from './paths.js';

export const nativeAddonPath = join(projectRoot, 'native', 'build', 'Release', 'chalkfs_fuse.node');

/** The addon's exports, typed by the layer that uses them. */
export function loadNativeAddon<T>(): T {
  if (!existsSync(nativeAddonPath)) {
    throw new ChalkError(
      'config',
      `chalkfs's FUSE binding is not built (${nativeAddonPath} missing): run \`npm rebuild chalkfs\` where chalkfs is installed, or scripts/build-native.sh in a checkout`,
    );
  }
  return createRequire(import.meta.url)(nativeAddonPath) as T;
}
