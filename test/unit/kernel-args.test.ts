// The FUSE layer's translation of kernel arguments into VolumeView's plain values.
import { describe, expect, it } from 'vitest';
import { constants } from 'node:fs';
import { openIntent } from '../../chalkfs/fuse/kernel-args.js';

describe('kernel-args', () => {
  it('open: writing unless the access mode is O_RDONLY, whatever other flags are set', () => {
    expect(openIntent(constants.O_RDONLY)).toEqual({ write: false });
    expect(openIntent(constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)).toEqual({ write: false });
    expect(openIntent(constants.O_WRONLY)).toEqual({ write: true });
    expect(openIntent(constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC)).toEqual({ write: true });
  });
});
