/*
 * File reads and writes for tests that need to control the system calls: read(2) to the
 * end of a file, one pread(2) or pwrite(2) at an offset, so a test sees exactly what the
 * mount answered.
 */
import { open } from 'node:fs/promises';

/** Reads a file with read(2) calls until one returns 0 (end of file) or fails; fs.readFile stops at a short read. */
export async function readToEnd(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let offset = 0; ; ) {
      const buf = Buffer.alloc(256 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead === 0) return Buffer.concat(chunks);
      chunks.push(buf.subarray(0, bytesRead));
      offset += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** One pread(2) of `length` bytes at `offset`. */
export async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** One pwrite(2) of `data` at `offset` (the file is opened with `flags`). */
export async function writeAt(path: string, offset: number, data: Buffer, flags = 'r+'): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
}
