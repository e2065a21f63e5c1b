// Just enough of fuse-native's API for chalkfs/fuse (the only importer).
declare module 'fuse-native' {
  class Fuse {
    constructor(mountpoint: string, ops: Record<string, unknown>, options?: Record<string, unknown>);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mountpoint: string, cb: (err: Error | null) => void): void;
    /**
     * Patched in (patches/fuse-native+2.2.6.patch): with option attrCache, forget every
     * cached getattr answer and stop sharing handles (option shareOpens); returns the shared
     * handles no open holds, for the caller to release.
     */
    invalidateAttrCache(): number[];
    /** Patched in: the kernel forgets its dentries of these root-directory names (asynchronously). */
    invalidateRootEntries(names: string[]): void;
    /** Patched in: getattrs the C cache answered since mount. */
    attrCacheHits(): number;
    /** Patched in: with attrCache and without shareOpens, caches `path`'s answer after a change (dropping all others). */
    putCachedAttr(path: string, stat: Record<string, number>): void;
    /** Patched in: read-only opens answered in C with a shared handle since mount. */
    openShareHits(): number;
  }
  export default Fuse;
}
