/*
 * Copy-in through the least daemon that writes through to the store: the FUSE floor in
 * store mode (bench/fuse-floor/store_uploads.h: C; it gathers each file into objects,
 * hashes each with SHA-256 and PUTs it with libcurl, eight in flight as chalkfs keeps,
 * reusing its buffers, and does nothing else).
 * The same `cp` of the plain file as the copy-in workload, onto it mounted once per object
 * size, in the same run and against the same MinIO as every target: with its CPU per MB and
 * the store's, what this machine gives any file system that names objects by their hash
 * (chalkfs's format) at that object size. A copy-in target past it at the store's cheapest
 * size is out of reach of a daemon with no cost of its own beyond receiving, hashing and
 * sending the bytes; chalkfs's cost over it is what is left to win (issue 16, part 12).
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { endedChildrenCpuMs, mountDaemonPids, processCpuMs } from './process-cpu.js';
import { forceUnmount, runCommand, waitForMount } from './system-commands.js';
import { mbps } from './raw-store-ceiling.js';
import type { CurlStore } from './curl-store-ceiling.js';

export interface StoreFloorCopyIn {
  objectBytes: number;
  MBps: number;
  /** CPU per MB moved of the floor's process (all its threads), of the store and of `cp`. */
  daemonCpuMsPerMB: number;
  storeCpuMsPerMB?: number;
  clientCpuMsPerMB: number;
  objects: number;
}

export interface StoreFloorResult {
  source: string;
  copies: StoreFloorCopyIn[];
}

/**
 * Mounts `binary --store SIZE` for each of `objectSizes` on a directory of `workDir`,
 * copies `plainFilePath` onto it (cp returns once the floor has stored every object: its
 * flush waits for them) and unmounts it. Objects go under `<bucket>/store-floor/<size>/`.
 */
export async function measureStoreFloorCopyIn(
  binary: string,
  store: CurlStore,
  plainFilePath: string,
  workDir: string,
  options: { objectSizes: number[]; storePid?: number; countObjects: (prefix: string) => Promise<number> },
): Promise<StoreFloorResult> {
  const mountDir = join(workDir, 'store-floor-mnt');
  mkdirSync(mountDir, { recursive: true });
  const bytes = statSync(plainFilePath).size;
  const copies: StoreFloorCopyIn[] = [];
  for (const objectBytes of options.objectSizes) {
    const prefix = `store-floor/${objectBytes}/`;
    const env = {
      ...process.env,
      FLOOR_STORE_URL: `${store.endpoint}/${store.bucket}/${prefix}`,
      FLOOR_STORE_KEY: store.accessKeyId,
      FLOOR_STORE_SECRET: store.secretAccessKey,
      FLOOR_STORE_REGION: store.region,
    };
    // It forks into the background once mounted.
    await runCommand(binary, ['--store', String(objectBytes), mountDir], { env, timeoutMs: 30_000 });
    try {
      await waitForMount(mountDir, 15_000, 'the store floor');
      const [pid] = mountDaemonPids(mountDir);
      if (pid === undefined) throw new Error(`the store floor's process for ${mountDir} was not found`);
      const daemonBefore = processCpuMs(pid);
      const storeBefore = options.storePid === undefined ? undefined : processCpuMs(options.storePid);
      const clientBefore = endedChildrenCpuMs();
      const start = performance.now();
      await runCommand('cp', [plainFilePath, join(mountDir, 'plain.bin')], { timeoutMs: 600_000 });
      const elapsedMs = performance.now() - start;
      const perMB = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : (after - before) / (bytes / 1e6));
      const daemonCpuMsPerMB = perMB(daemonBefore, processCpuMs(pid));
      const storeCpuMsPerMB = options.storePid === undefined ? undefined : perMB(storeBefore, processCpuMs(options.storePid));
      const clientCpuMsPerMB = perMB(clientBefore, endedChildrenCpuMs())!;
      if (daemonCpuMsPerMB === undefined) throw new Error('the store floor ended during the copy');
      // Every object stored, or the figure is not a copy-in's (the plain file is random
      // bytes: no two objects share a name).
      const objects = await options.countObjects(prefix);
      const expected = Math.ceil(bytes / objectBytes);
      if (objects !== expected) throw new Error(`the store floor stored ${objects} objects of ${objectBytes} bytes, expected ${expected}`);
      copies.push({ objectBytes, MBps: mbps(bytes, elapsedMs), daemonCpuMsPerMB, storeCpuMsPerMB, clientCpuMsPerMB, objects });
    } finally {
      await runCommand('fusermount3', ['-u', mountDir], { timeoutMs: 30_000 }).catch(() => forceUnmount(mountDir));
    }
  }
  return { source: 'bench/fuse-floor/fuse_floor.c --store (store_uploads.h)', copies };
}
