// Just enough of fuse-native's API for chalkfs/fuse (the only importer).
declare module 'fuse-native' {
  class Fuse {
    constructor(mountpoint: string, ops: Record<string, unknown>, options?: Record<string, unknown>);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mountpoint: string, cb: (err: Error | null) => void): void;
  }
  export default Fuse;
}
