/*
 * Writing a new file without a second copy of its bytes in the page cache: O_DIRECT
 * through the native addon (native/src/uncached_write.cc has the why and the figures),
 * and node:fs's ordinary write on a filesystem that refuses O_DIRECT. For the disk tier
 * of the block cache, whose blocks the memory tier holds already and which reads a block
 * back only after the memory tier has let it go.
 */
import { writeFile } from 'node:fs/promises';
import { loadNativeAddon } from '../util/native-addon.js';

/** The addon's writer: true when written with O_DIRECT, false when the filesystem refused it (nothing written). */
export interface NativeUncachedWrite {
  write(path: string, data: Buffer): Promise<boolean>;
}

/** Writes new files, with O_DIRECT until a filesystem refuses it once, then with node:fs for good. */
export class UncachedFileWriter {
  private native: NativeUncachedWrite | undefined;

  constructor(native: NativeUncachedWrite | undefined = loadNativeAddon<{ uncachedWrite: NativeUncachedWrite }>().uncachedWrite) {
    this.native = native;
  }

  /** Whether the next write goes around the page cache. */
  get direct(): boolean {
    return this.native !== undefined;
  }

  /** Creates or truncates `path` and writes `data` to it; rejects like node:fs (with `code`) on failure. */
  async write(path: string, data: Buffer): Promise<void> {
    if (this.native && (await this.native.write(path, data))) return;
    this.native = undefined;
    await writeFile(path, data);
  }
}
