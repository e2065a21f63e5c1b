// csi/access-modes.ts and csi/volume-ids.ts: which CSI capabilities chalkfs serves and
// how (the writer lease decides), and CSI names -> chalkfs volume names.
import { describe, expect, it } from 'vitest';
import { MOUNT_FLAGS, accessModeOf, checkCapabilities, mountModeOf } from '../../chalkfs/csi/access-modes.js';
import { isVolumeName, volumeIdFor } from '../../chalkfs/csi/volume-ids.js';
import { RpcError } from '../../chalkfs/grpc/grpc-server.js';

const mountCapability = (mode: string) => ({ access_mode: { mode }, mount: { fs_type: '', mount_flags: [] }, access_type: 'mount' });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof RpcError) return `${err.status}: ${err.message}`;
    throw err;
  }
  return 'accepted';
}

describe('access modes', () => {
  it.each([
    ['SINGLE_NODE_WRITER', 'read-write', []],
    ['SINGLE_NODE_SINGLE_WRITER', 'read-write', []],
    ['SINGLE_NODE_MULTI_WRITER', 'read-write', []],
    ['SINGLE_NODE_READER_ONLY', 'read-only', ['--read-only']],
    ['MULTI_NODE_READER_ONLY', 'read-only', ['--read-only']],
    ['MULTI_NODE_SINGLE_WRITER', 'writer-else-read-only', ['--fallback-read-only']],
  ])('%s mounts %s', (mode, mountMode, flags) => {
    const m = mountModeOf(accessModeOf(mountCapability(mode)));
    expect(m).toBe(mountMode);
    expect(MOUNT_FLAGS[m]).toEqual(flags);
  });

  it('refuses MULTI_NODE_MULTI_WRITER with INVALID_ARGUMENT naming the modes that work', () => {
    const why = refusal(() => accessModeOf(mountCapability('MULTI_NODE_MULTI_WRITER')));
    expect(why).toMatch(/^INVALID_ARGUMENT: .*MULTI_NODE_MULTI_WRITER.*one writer per volume.*MULTI_NODE_SINGLE_WRITER/);
  });

  it('refuses block access, another fs_type, an unknown mode and a missing capability', () => {
    expect(refusal(() => accessModeOf({ access_mode: { mode: 'SINGLE_NODE_WRITER' }, block: {}, access_type: 'block' }))).toMatch(/^INVALID_ARGUMENT: .*block/);
    expect(refusal(() => accessModeOf({ access_mode: { mode: 'SINGLE_NODE_WRITER' }, mount: { fs_type: 'ext4' }, access_type: 'mount' }))).toMatch(/^INVALID_ARGUMENT: fs_type "ext4"/);
    expect(refusal(() => accessModeOf(mountCapability('UNKNOWN')))).toMatch(/^INVALID_ARGUMENT/);
    expect(refusal(() => accessModeOf(undefined))).toBe('INVALID_ARGUMENT: volume_capability is required');
    expect(refusal(() => checkCapabilities([]))).toBe('INVALID_ARGUMENT: volume_capabilities is required');
    expect(refusal(() => checkCapabilities([mountCapability('SINGLE_NODE_WRITER'), mountCapability('MULTI_NODE_READER_ONLY')]))).toBe('accepted');
  });
});

describe('volumeIdFor', () => {
  it('keeps a name that is a valid chalkfs volume name', () => {
    expect(volumeIdFor('pvc-0f1e2d3c-aaaa-bbbb-cccc-123456789abc')).toBe('pvc-0f1e2d3c-aaaa-bbbb-cccc-123456789abc');
  });

  it('maps any other name to a valid one, the same each time, different for different names', () => {
    const names = ['Sanity-Controller-X', 'sanity-controller-x', `${'a'.repeat(120)}B`, `${'a'.repeat(120)}C`, '---', 'Ünïcode name', 'x'.repeat(128)];
    const ids = names.map(volumeIdFor);
    for (const id of ids) expect(isVolumeName(id), id).toBe(true);
    expect(names.map(volumeIdFor)).toEqual(ids);
    expect(new Set(ids).size).toBe(names.length);
    expect(ids[0]).toMatch(/^sanity-controller-x-[0-9a-f]{16}$/);
  });
});
