/*
 * The seed scenario (the demo's: a writer creates a users table with three rows, readers
 * print them) through CSI calls alone, as kubelet and the external-provisioner make
 * them: CreateVolume on the controller; on a writer "node", NodeStageVolume +
 * NodePublishVolume, the writer script in the published path, then Unpublish + Unstage;
 * on two reader "nodes" (each its own CHALKFS_HOME, block cache and `chalkfs csi`),
 * stage + publish read-only and read the rows. Real MinIO, real FUSE, real bind mounts.
 * Also: the pods' mounts survive a crash of the CSI process (the mount daemons are
 * processes of their own; the restarted driver recovers its reference table), and a
 * clone (CreateVolume with another volume as its content source) holds the same rows.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { ChalkfsFixture, type ChalkfsHost } from '../support/chalkfs-fixture.js';
import { CsiProcess, mountCapability } from '../support/csi-process.js';
import { isMountPoint } from '../../chalkfs/host/mount-table.js';
import { statusOf as status } from '../support/rpc-status.js';
import { expectedReaderOutput, expectedWriterOutput, readerScript, writerScript } from '../../orchestrator/demo/seed-scripts.js';

const execFileAsync = promisify(execFile);

async function python(script: string): Promise<string> {
  return (await execFileAsync('python3', ['-c', script], { timeout: 60_000 })).stdout;
}

interface Published {
  staging: string;
  target: string;
}

/** NodeStageVolume + NodePublishVolume, as kubelet does for a pod on `node`. */
async function stageAndPublish(node: CsiProcess, host: ChalkfsHost, volumeId: string, mode: string, readonly: boolean): Promise<Published> {
  const staging = await host.tempDir('staging');
  const target = join(await host.tempDir('pod'), 'volume');
  const volume_capability = mountCapability(mode);
  await node.call('Node', 'NodeStageVolume', { volume_id: volumeId, staging_target_path: staging, volume_capability });
  await node.call('Node', 'NodePublishVolume', { volume_id: volumeId, staging_target_path: staging, target_path: target, volume_capability, readonly });
  return { staging, target };
}

async function unpublishAndUnstage(node: CsiProcess, volumeId: string, p: Published): Promise<void> {
  await node.call('Node', 'NodeUnpublishVolume', { volume_id: volumeId, target_path: p.target });
  await node.call('Node', 'NodeUnstageVolume', { volume_id: volumeId, staging_target_path: p.staging });
}

test('seed scenario through CSI: a writer node writes the db, two reader nodes with their own caches read the rows', async () => {
  await using fx = await ChalkfsFixture.create();
  const processes: CsiProcess[] = [];
  const published: Array<[CsiProcess, string, Published]> = [];
  try {
    const writerNode = await CsiProcess.start(fx.host, { nodeId: 'node-writer', controller: true, node: true });
    processes.push(writerNode);

    expect(await status(writerNode.call('Controller', 'CreateVolume', { name: 'seed-rwx', volume_capabilities: [mountCapability('MULTI_NODE_MULTI_WRITER')] }))).toBe('INVALID_ARGUMENT');
    const created = await writerNode.call('Controller', 'CreateVolume', { name: 'pvc-seed', volume_capabilities: [mountCapability('MULTI_NODE_SINGLE_WRITER')], parameters: { blockSize: '256KiB' } });
    const volumeId: string = created.volume.volume_id;
    expect(volumeId).toBe('pvc-seed');

    // The writer pod.
    const writer = await stageAndPublish(writerNode, fx.host, volumeId, 'MULTI_NODE_SINGLE_WRITER', false);
    published.push([writerNode, volumeId, writer]);
    const dbPath = join(writer.target, 'app.db');
    expect(await python(writerScript(dbPath))).toBe(expectedWriterOutput(dbPath));

    // A crash of the CSI process leaves the pod's mount working; the restarted driver
    // still knows the mount is in use and releases it after the last user.
    await writerNode.kill();
    expect(await python(readerScript(dbPath))).toBe(expectedReaderOutput());
    await writerNode.restart();
    expect(isMountPoint(writer.staging)).toBe(true);
    await unpublishAndUnstage(writerNode, volumeId, writer);
    published.pop();
    expect(existsSync(writer.target)).toBe(false);
    expect(isMountPoint(writer.staging)).toBe(false);

    // A clone (a PVC whose dataSource is this one): its own volume with the same rows.
    // Asked twice (the external-provisioner retries), it is made once; a missing source is NOT_FOUND.
    const cloneRequest = { name: 'pvc-seed-clone', volume_capabilities: [mountCapability('MULTI_NODE_SINGLE_WRITER')], volume_content_source: { volume: { volume_id: volumeId } } };
    const clone = await writerNode.call('Controller', 'CreateVolume', cloneRequest);
    expect(clone.volume).toMatchObject({ volume_id: 'pvc-seed-clone', content_source: { volume: { volume_id: volumeId } } });
    expect((await writerNode.call('Controller', 'CreateVolume', cloneRequest)).volume.volume_id).toBe('pvc-seed-clone');
    expect(await status(writerNode.call('Controller', 'CreateVolume', { ...cloneRequest, name: 'pvc-seed' }))).toBe('ALREADY_EXISTS');
    expect(await status(writerNode.call('Controller', 'CreateVolume', { ...cloneRequest, name: 'pvc-orphan', volume_content_source: { volume: { volume_id: 'pvc-missing' } } }))).toBe('NOT_FOUND');
    const cloneMount = await stageAndPublish(writerNode, fx.host, 'pvc-seed-clone', 'MULTI_NODE_READER_ONLY', true);
    published.push([writerNode, 'pvc-seed-clone', cloneMount]);
    expect(await python(readerScript(join(cloneMount.target, 'app.db')))).toBe(expectedReaderOutput());
    await unpublishAndUnstage(writerNode, 'pvc-seed-clone', cloneMount);
    published.pop();
    await writerNode.call('Controller', 'DeleteVolume', { volume_id: 'pvc-seed-clone' });

    // Two reader nodes, each its own home and cache.
    for (const name of ['reader-1', 'reader-2']) {
      const host = fx.addHost(name);
      const node = await CsiProcess.start(host, { nodeId: `node-${name}`, node: true, cacheDir: await host.tempDir('cache') });
      processes.push(node);
      const reader = await stageAndPublish(node, host, volumeId, 'MULTI_NODE_READER_ONLY', true);
      published.push([node, volumeId, reader]);
      expect(await python(readerScript(join(reader.target, 'app.db')))).toBe(expectedReaderOutput());
      // Read-only all the way: the bind mount and the chalkfs mount below it.
      await expect(execFileAsync('touch', [join(reader.target, 'x')])).rejects.toThrow(/Read-only file system/);
      const stats = await node.call('Node', 'NodeGetVolumeStats', { volume_id: volumeId, volume_path: reader.target });
      expect(stats.usage.map((u: { unit: string }) => u.unit)).toEqual(['BYTES', 'INODES']);
    }
    for (const [node, id, p] of published.splice(0)) await unpublishAndUnstage(node, id, p);

    await writerNode.call('Controller', 'DeleteVolume', { volume_id: volumeId });
    const list = await writerNode.call('Controller', 'ListVolumes', {});
    expect(list.entries.map((e: { volume: { volume_id: string } }) => e.volume.volume_id)).not.toContain(volumeId);
  } finally {
    for (const [node, id, p] of published) await unpublishAndUnstage(node, id, p).catch(() => undefined);
    for (const p of processes) await p.stop();
    // A failed test must not leave mounts under the fixture's directory it then removes.
    for (const [node, , p] of published) {
      if (isMountPoint(p.target)) await execFileAsync('umount', ['-l', p.target]).catch(() => undefined);
      if (isMountPoint(p.staging)) await node.host.cli(['unmount', p.staging]);
    }
  }
});
