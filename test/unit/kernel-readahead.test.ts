import { describe, expect, it } from 'vitest';
import { mountDevice } from '../../chalkfs/fuse/kernel-readahead.js';

const mountinfo = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '95 22 0:39 / /tmp/h/mnt rw,nosuid,nodev,relatime shared:50 - fuse.chalkfs chalkfs:v rw,user_id=0,group_id=0,allow_other',
  '96 22 0:40 / /tmp/with\\040space rw,nosuid,nodev,relatime shared:51 - fuse.chalkfs chalkfs:w rw,user_id=0,group_id=0',
  '97 95 0:41 / /tmp/h/mnt rw,nosuid,nodev,relatime shared:52 - fuse.chalkfs chalkfs:x rw,user_id=0,group_id=0',
  '',
].join('\n');

describe('mountDevice', () => {
  it('finds the device of a mount point', () => {
    expect(mountDevice(mountinfo, '/')).toBe('8:1');
  });

  it('undoes mountinfo escapes in mount points', () => {
    expect(mountDevice(mountinfo, '/tmp/with space')).toBe('0:40');
  });

  it('takes the mount on top when a point is mounted over', () => {
    expect(mountDevice(mountinfo, '/tmp/h/mnt')).toBe('0:41');
  });

  it('is undefined for a path that is not a mount point', () => {
    expect(mountDevice(mountinfo, '/tmp/h')).toBeUndefined();
    expect(mountDevice('garbage\n', '/tmp/h')).toBeUndefined();
  });
});
