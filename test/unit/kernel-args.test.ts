// The FUSE layer's translation of kernel arguments into VolumeView's plain values.
import { describe, expect, it } from 'vitest';
import { constants } from 'node:fs';
import { allocationKeepsSize, openIntent } from '../../chalkfs/fuse/kernel-args.js';
import { kindOf } from '../support/error-kind.js';

describe('kernel-args', () => {
  it('open: writing unless the access mode is O_RDONLY, whatever other flags are set', () => {
    expect(openIntent(constants.O_RDONLY)).toEqual({ write: false });
    expect(openIntent(constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)).toEqual({ write: false });
    expect(openIntent(constants.O_WRONLY)).toEqual({ write: true });
    expect(openIntent(constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC)).toEqual({ write: true });
  });

  it('fallocate: mode 0 grows the file, KEEP_SIZE does not; every other mode is unsupported (EOPNOTSUPP)', async () => {
    const KEEP_SIZE = 0x01, PUNCH_HOLE = 0x02, COLLAPSE_RANGE = 0x08, ZERO_RANGE = 0x10, INSERT_RANGE = 0x20, UNSHARE_RANGE = 0x40;
    expect(allocationKeepsSize(0)).toBe(false);
    expect(allocationKeepsSize(KEEP_SIZE)).toBe(true);
    for (const mode of [PUNCH_HOLE | KEEP_SIZE, COLLAPSE_RANGE, ZERO_RANGE, ZERO_RANGE | KEEP_SIZE, INSERT_RANGE, UNSHARE_RANGE]) {
      expect(await kindOf(() => allocationKeepsSize(mode))).toBe('unsupported');
    }
  });
});
