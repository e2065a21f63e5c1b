/*
 * csi-sanity (kubernetes-csi/csi-test, the CSI conformance suite; built by
 * scripts/provision.sh into the tool cache) against `chalkfs csi --controller --node`,
 * with the run's MinIO and real FUSE mounts. Every spec must pass. A spec may be skipped
 * only for a capability the driver does not advertise; the skips expected, each with
 * the reason csi-sanity prints (docs/KUBERNETES.md says why each is left out):
 *   - GetCapacity                    GET_CAPACITY: an object store has no capacity to report
 *   - ControllerPublish/Unpublish    PUBLISH_UNPUBLISH_VOLUME: nothing to attach; the node mounts
 *   - snapshots (List/Get/Create/Delete, CreateVolume from a snapshot)
 *                                    CREATE_DELETE_SNAPSHOT, LIST_SNAPSHOTS: `volume snapshot`
 *                                    marks a version of the same volume; no restore into a new one
 *   - CreateVolume from a volume     CLONE_VOLUME
 *   - ExpandVolume, NodeExpandVolume EXPAND_VOLUME: a chalkfs volume has no size to expand
 *   - ModifyVolume, VolumeAttributesClass  MODIFY_VOLUME
 *   - NodeGetVolumeHealth, NodeGetStorageHealth, VOLUME_CONDITION: not reported
 *   - "different capacity" CreateVolume: capacity is reported as 0 (unknown: a volume
 *     has no size), for which csi-sanity skips that spec
 * The skip list is compared exactly, so a spec that starts or stops being skipped fails
 * this test until the list (and the docs) say why.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { CsiProcess } from '../support/csi-process.js';
import { packageJson, toolCacheDir } from '../../chalkfs/util/paths.js';

const csiSanity = join(toolCacheDir(), 'bin', `csi-sanity-${packageJson().config.csiSanityVersion}`);

interface SpecReport {
  ContainerHierarchyTexts: string[] | null;
  LeafNodeText: string;
  State: string;
  Failure?: { Message: string; Location?: { FileName: string; LineNumber: number } };
  RunTime: number;
}

/** The skips allowed: csi-sanity's reason, and the part of the spec names it skips. */
const EXPECTED_SKIP_REASONS = [
  'GetCapacity not supported',
  'ControllerPublishVolume not supported',
  'ControllerUnpublishVolume not supported',
  'ListSnapshots not supported',
  'GetSnapshot not supported',
  'CreateSnapshot not supported',
  'DeleteSnapshot not supported',
  'Snapshot not supported',
  'Clone volume not supported',
  'ControllerExpandVolume not supported',
  'NodeExpandVolume not supported',
  'ControllerModifyVolume not supported',
  'VolumeAttributesClass not supported',
  'NodeGetVolumeHealth not supported',
  'NodeGetStorageHealth not supported',
  'capacity of the volume is unknown',
];

test('csi-sanity passes against chalkfs csi, skipping only what is not advertised', async () => {
  if (!existsSync(csiSanity)) throw new Error(`${csiSanity} is missing: run scripts/provision.sh (it builds csi-sanity)`);
  await using fx = await ChalkfsFixture.create();
  const csi = await CsiProcess.start(fx.host, { nodeId: 'sanity-node', controller: true, node: true });
  const work = await fx.tempDir('sanity');
  const report = join(work, 'report.json');
  let output = '';
  try {
    await mkdir(work, { recursive: true });
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(csiSanity, [
        `--csi.endpoint=${csi.socketPath}`,
        `--csi.stagingdir=${join(work, 'staging')}`,
        `--csi.mountdir=${join(work, 'mount')}`,
        `--ginkgo.json-report=${report}`,
        '--ginkgo.no-color',
        '--ginkgo.timeout=20m',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    const suites = JSON.parse(await readFile(report, 'utf8')) as Array<{ SpecReports: SpecReport[] }>;
    const specs = suites.flatMap((s) => s.SpecReports).filter((s) => s.LeafNodeText !== '');
    const name = (s: SpecReport) => [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].join(' / ');
    const failed = specs.filter((s) => s.State !== 'passed' && s.State !== 'skipped').map((s) => `${name(s)}: ${s.State}: ${s.Failure?.Message ?? ''}`);
    const skipReasons = new Set(specs.filter((s) => s.State === 'skipped').map((s) => s.Failure?.Message ?? '(no reason)'));
    console.log(`csi-sanity: ${specs.filter((s) => s.State === 'passed').length} passed, ${failed.length} failed, ${specs.length - failed.length - specs.filter((s) => s.State === 'passed').length} skipped`);
    expect(failed, output.slice(-20_000)).toEqual([]);
    expect(code, output.slice(-5000)).toBe(0);
    expect([...skipReasons].sort()).toEqual(EXPECTED_SKIP_REASONS.filter((r) => skipReasons.has(r)).sort());
  } finally {
    await csi.stop();
  }
}, 1_500_000);
