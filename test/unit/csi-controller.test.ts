// csi/controller-service.ts against a stand-in for the chalkfs CLI (volumes in a Map):
// idempotent CreateVolume by name, block sizes, DeleteVolume of unknown IDs, a mounted
// volume, ListVolumes pages and tokens, ValidateVolumeCapabilities.
import { describe, expect, it } from 'vitest';
import { ChalkfsCli, type CliResult } from '../../chalkfs/cli-driver/chalkfs-cli.js';
import { ControllerService } from '../../chalkfs/csi/controller-service.js';
import type { Message } from '../../chalkfs/grpc/grpc-server.js';
import { statusOf } from '../support/rpc-status.js';
import { ChalkError } from '../../chalkfs/util/chalk-error.js';
import { createLogger } from '../../chalkfs/util/logger.js';

/** The CLI commands the controller runs, on volumes kept in memory. */
class FakeCli extends ChalkfsCli {
  readonly volumes = new Map<string, { name: string; blockSizeBytes: number }>();
  readonly mounted = new Set<string>();
  calls: string[][] = [];

  constructor() {
    super({});
  }

  override async run(args: string[]): Promise<CliResult> {
    this.calls.push(args);
    const [group, command, name] = args;
    const json = (value: unknown): CliResult => ({ stdout: JSON.stringify(value), stderr: '' });
    if (group !== 'volume') throw new Error(`unexpected ${args.join(' ')}`);
    if (command === 'ls') return json([...this.volumes.values()]);
    if (command === 'info') {
      const v = this.volumes.get(name!);
      if (!v) throw new ChalkError('io', `chalkfs volume info: volume ${name} does not exist`);
      return json(v);
    }
    if (command === 'create') {
      if (this.volumes.has(name!)) throw new ChalkError('io', 'exists');
      const i = args.indexOf('--block-size');
      this.volumes.set(name!, { name: name!, blockSizeBytes: i < 0 ? 1048576 : Number(args[i + 1]) });
      return json({});
    }
    if (command === 'rm') {
      if (this.mounted.has(name!)) throw new ChalkError('config', `volume ${name} is mounted at /x; unmount it first or use --force`);
      this.volumes.delete(name!);
      return json({});
    }
    throw new Error(`unexpected ${args.join(' ')}`);
  }
}

const capability = (mode: string) => ({ access_mode: { mode }, mount: { fs_type: '' } });

function controller(cacheDir?: string) {
  const cli = new FakeCli();
  const handlers = new ControllerService(cli, createLogger({ level: 'silent' }), cacheDir).handlers();
  const call = (method: string, request: Message) => handlers[method]!(request);
  return { cli, call, status: statusOf };
}

describe('ControllerService', () => {
  it('CreateVolume is idempotent by name and refuses another block size as ALREADY_EXISTS', async () => {
    const { cli, call, status } = controller();
    const request = { name: 'pvc-1', volume_capabilities: [capability('SINGLE_NODE_WRITER')], parameters: { blockSize: '256KiB' } };
    const first = await call('CreateVolume', request);
    expect(first.volume).toEqual({ volume_id: 'pvc-1', capacity_bytes: 0, volume_context: {} });
    expect(await call('CreateVolume', request)).toEqual(first);
    expect(cli.volumes.get('pvc-1')?.blockSizeBytes).toBe(262144);
    expect(await status(call('CreateVolume', { ...request, parameters: { blockSize: '1MiB' } }))).toBe('ALREADY_EXISTS');
    expect(await status(call('CreateVolume', { ...request, parameters: { 'csi.storage.k8s.io/pvc/name': 'x' } }))).toBe('OK');
  });

  it('CreateVolume refuses what it cannot serve with the codes the spec names', async () => {
    const { call, status } = controller();
    const ok = { name: 'v', volume_capabilities: [capability('SINGLE_NODE_WRITER')] };
    expect(await status(call('CreateVolume', { ...ok, name: '' }))).toBe('INVALID_ARGUMENT');
    expect(await status(call('CreateVolume', { ...ok, volume_capabilities: [] }))).toBe('INVALID_ARGUMENT');
    expect(await status(call('CreateVolume', { ...ok, volume_capabilities: [capability('MULTI_NODE_MULTI_WRITER')] }))).toBe('INVALID_ARGUMENT');
    expect(await status(call('CreateVolume', { ...ok, parameters: { color: 'red' } }))).toBe('INVALID_ARGUMENT');
    expect(await status(call('CreateVolume', { ...ok, capacity_range: { required_bytes: 10, limit_bytes: 5 } }))).toBe('OUT_OF_RANGE');
    expect(await status(call('CreateVolume', { ...ok, volume_content_source: { snapshot: { snapshot_id: 's' } } }))).toBe('INVALID_ARGUMENT');
  });

  it("DeleteVolume runs volume rm with the driver's block cache, so the volume's blocks are cleared from it", async () => {
    const { cli, call } = controller('/var/cache/chalkfs-csi');
    await call('CreateVolume', { name: 'pvc-c', volume_capabilities: [capability('SINGLE_NODE_WRITER')] });
    await call('DeleteVolume', { volume_id: 'pvc-c' });
    expect(cli.calls.filter((c) => c[1] === 'rm')).toEqual([['volume', 'rm', 'pvc-c', '--cache-dir', '/var/cache/chalkfs-csi']]);
    const plain = controller();
    await plain.call('CreateVolume', { name: 'pvc-d', volume_capabilities: [capability('SINGLE_NODE_WRITER')] });
    await plain.call('DeleteVolume', { volume_id: 'pvc-d' });
    expect(plain.cli.calls.filter((c) => c[1] === 'rm')).toEqual([['volume', 'rm', 'pvc-d']]);
  });

  it('DeleteVolume: unknown and impossible IDs are done; a mounted volume is FAILED_PRECONDITION', async () => {
    const { cli, call, status } = controller();
    expect(await status(call('DeleteVolume', { volume_id: 'no-such-volume' }))).toBe('OK');
    expect(await status(call('DeleteVolume', { volume_id: 'Not A Volume Name!' }))).toBe('OK');
    expect(await status(call('DeleteVolume', { volume_id: '' }))).toBe('INVALID_ARGUMENT');
    await call('CreateVolume', { name: 'busy', volume_capabilities: [capability('SINGLE_NODE_WRITER')] });
    cli.mounted.add('busy');
    expect(await status(call('DeleteVolume', { volume_id: 'busy' }))).toBe('FAILED_PRECONDITION');
    cli.mounted.delete('busy');
    expect(await status(call('DeleteVolume', { volume_id: 'busy' }))).toBe('OK');
    expect(cli.volumes.has('busy')).toBe(false);
  });

  it('ListVolumes pages in name order; a token it did not give out is ABORTED', async () => {
    const { call, status } = controller();
    for (const name of ['c', 'a', 'e', 'b', 'd']) await call('CreateVolume', { name, volume_capabilities: [capability('SINGLE_NODE_WRITER')] });
    const seen: string[] = [];
    let token = '';
    do {
      const page = await call('ListVolumes', { max_entries: 2, starting_token: token });
      seen.push(...page.entries.map((e: { volume: { volume_id: string } }) => e.volume.volume_id));
      token = page.next_token;
    } while (token !== '');
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect((await call('ListVolumes', {})).entries).toHaveLength(5);
    expect(await status(call('ListVolumes', { starting_token: 'invalid-token' }))).toBe('ABORTED');
    expect(await status(call('ListVolumes', { starting_token: '6' }))).toBe('ABORTED');
  });

  it('ValidateVolumeCapabilities confirms what it serves, says why not otherwise, NOT_FOUND for no volume', async () => {
    const { call, status } = controller();
    await call('CreateVolume', { name: 'v', volume_capabilities: [capability('SINGLE_NODE_WRITER')] });
    const yes = await call('ValidateVolumeCapabilities', { volume_id: 'v', volume_capabilities: [capability('MULTI_NODE_READER_ONLY')] });
    expect(yes.confirmed.volume_capabilities).toEqual([capability('MULTI_NODE_READER_ONLY')]);
    const no = await call('ValidateVolumeCapabilities', { volume_id: 'v', volume_capabilities: [capability('MULTI_NODE_MULTI_WRITER')] });
    expect(no.confirmed).toBeUndefined();
    expect(no.message).toMatch(/one writer per volume/);
    expect(await status(call('ValidateVolumeCapabilities', { volume_id: 'w', volume_capabilities: [capability('SINGLE_NODE_WRITER')] }))).toBe('NOT_FOUND');
    expect(await status(call('ValidateVolumeCapabilities', { volume_id: 'v', volume_capabilities: [] }))).toBe('INVALID_ARGUMENT');
  });
});
