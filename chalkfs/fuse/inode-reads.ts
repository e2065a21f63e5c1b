// Reads on a mount whose opens never reach the daemon (no_open: the kernel sends no OPEN
// or RELEASE, and reads arrive with handle 0). Each inode read that way gets one
// read-only handle of the volume's, opened at its first read and released when the
// kernel forgets the inode. Only for mounts whose answers never change (a pinned
// version): such a handle serves whatever version it was opened at, with no open(2) to
// end it.
import type { VolumeView } from '../vfs/volume-view.js';
import type { Ino } from './lowlevel-types.js';

/** The handle number reads carry under no_open (the volume never hands out 0). */
export const NO_HANDLE = 0;

export class InodeReads {
  private readonly handles = new Map<Ino, Promise<number>>();

  constructor(
    private readonly volume: VolumeView,
    private readonly pathOf: (ino: Ino) => string,
  ) {}

  async read(ino: Ino, buf: Buffer, size: number, offset: number): Promise<number> {
    return this.volume.read(await this.handleOf(ino), buf, size, offset);
  }

  async readBytes(ino: Ino, size: number, offset: number): Promise<Buffer[]> {
    return this.volume.readBytes(await this.handleOf(ino), size, offset);
  }

  private handleOf(ino: Ino): Promise<number> {
    let handle = this.handles.get(ino);
    if (handle === undefined) {
      // A refused open (a WAL database, say) is not kept: the next read asks again.
      handle = Promise.resolve().then(() => this.volume.open(this.pathOf(ino), { write: false }));
      const opening = handle;
      this.handles.set(ino, opening);
      opening.catch(() => {
        if (this.handles.get(ino) === opening) this.handles.delete(ino);
      });
    }
    return handle;
  }

  /** The kernel forgot the inode: no read of it can follow. */
  forget(ino: Ino): void {
    const handle = this.handles.get(ino);
    if (handle === undefined) return;
    this.handles.delete(ino);
    handle.then((fh) => this.volume.release(fh), () => undefined);
  }
}
