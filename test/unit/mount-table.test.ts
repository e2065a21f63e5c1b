// host/mount-table.ts: the kernel's octal escapes, and parsing /proc/self/mountinfo lines.
import { describe, expect, it } from 'vitest';
import { isChalkfsMount, isDeadMountError, isMountPoint, mountAt, mountPointsUnder, parseMountInfo, unescapeMountField } from '../../chalkfs/host/mount-table.js';

const mountinfo = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '95 22 0:39 / /tmp/h/mnt rw,nosuid,nodev,relatime shared:50 - fuse.chalkfs chalkfs:v rw,user_id=0,group_id=0,allow_other',
  '96 22 0:40 / /tmp/with\\040space rw,nosuid,nodev,relatime shared:51 - fuse.chalkfs chalkfs:w rw,user_id=0,group_id=0',
  '97 95 0:41 / /tmp/h/mnt rw,nosuid,nodev,relatime shared:52 - fuse.chalkfs chalkfs:x rw,user_id=0,group_id=0',
  // No optional fields before the separator; a tab, a newline and a backslash in the path.
  '98 22 0:42 / /tmp/a\\011b\\012c\\134d rw - tmpfs tmp\\040fs rw',
  '99 22 0:43 / /tmp/h/mnt/deeper rw master:3 propagate_from:1 - fuse.sshfs host:/x rw',
  '',
].join('\n');
const table = parseMountInfo(mountinfo);

describe('unescapeMountField', () => {
  it('undoes the four octal escapes the kernel writes', () => {
    expect(unescapeMountField('a\\040b')).toBe('a b');
    expect(unescapeMountField('a\\011b')).toBe('a\tb');
    expect(unescapeMountField('a\\012b')).toBe('a\nb');
    expect(unescapeMountField('a\\134b')).toBe('a\\b');
  });

  it('unescapes once: an escaped backslash followed by digits stays literal', () => {
    expect(unescapeMountField('\\134040')).toBe('\\040');
  });

  it('leaves text without escapes alone', () => {
    expect(unescapeMountField('/tmp/plain')).toBe('/tmp/plain');
  });
});

describe('parseMountInfo', () => {
  it('reads device, mount point, fstype and source around the optional fields', () => {
    expect(table[1]).toEqual({ device: '0:39', mountpoint: '/tmp/h/mnt', fstype: 'fuse.chalkfs', source: 'chalkfs:v' });
    expect(table.at(-1)).toEqual({ device: '0:43', mountpoint: '/tmp/h/mnt/deeper', fstype: 'fuse.sshfs', source: 'host:/x' });
  });

  it('unescapes mount points and sources', () => {
    expect(table[4]).toEqual({ device: '0:42', mountpoint: '/tmp/a\tb\nc\\d', fstype: 'tmpfs', source: 'tmp fs' });
  });

  it('skips lines that are not mountinfo', () => {
    expect(parseMountInfo('garbage\n\n1 2 3\n')).toEqual([]);
    expect(parseMountInfo('22 1 8:1 / / rw shared:1 ext4 /dev/sda1 rw')).toEqual([]);
  });
});

describe('mountAt', () => {
  it('finds the device of a mount point', () => {
    expect(mountAt('/', table)?.device).toBe('8:1');
  });

  it('undoes mountinfo escapes in mount points', () => {
    expect(mountAt('/tmp/with space', table)?.device).toBe('0:40');
  });

  it('takes the mount on top when a point is mounted over', () => {
    expect(mountAt('/tmp/h/mnt', table)?.device).toBe('0:41');
    expect(mountAt('/tmp/h/mnt', table)?.source).toBe('chalkfs:x');
  });

  it('is undefined for a path that is not a mount point', () => {
    expect(mountAt('/tmp/h', table)?.device).toBeUndefined();
    expect(mountAt('/tmp/h', parseMountInfo('garbage\n'))?.device).toBeUndefined();
    expect(isMountPoint('/tmp/h', table)).toBe(false);
    expect(isMountPoint('/tmp/h/mnt/', table)).toBe(true);
  });
});

describe('mountPointsUnder', () => {
  it('lists mount points at and below a directory, deepest first, not its siblings', () => {
    expect(mountPointsUnder('/tmp/h', table)).toEqual(['/tmp/h/mnt/deeper', '/tmp/h/mnt', '/tmp/h/mnt']);
    expect(mountPointsUnder('/tmp/h/mn', table)).toEqual([]);
  });

  it('treats / as the parent of everything', () => {
    expect(mountPointsUnder('/', table)).toHaveLength(table.length);
  });
});

describe('isChalkfsMount', () => {
  it('accepts only fuse.chalkfs mounts with a chalkfs: source', () => {
    expect(isChalkfsMount(mountAt('/tmp/h/mnt', table))).toBe(true);
    expect(isChalkfsMount(mountAt('/tmp/h/mnt/deeper', table))).toBe(false);
    expect(isChalkfsMount({ device: '0:1', mountpoint: '/x', fstype: 'fuse.chalkfs', source: 'other' })).toBe(false);
    expect(isChalkfsMount(undefined)).toBe(false);
  });
});

describe('the mount table of this process', () => {
  it('has / mounted', () => {
    expect(isMountPoint('/')).toBe(true);
  });

  it('takes ENOTCONN and ECONNABORTED (a connection auto_unmount aborted) as a dead mount, nothing else', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(isDeadMountError(errno('ENOTCONN'))).toBe(true);
    expect(isDeadMountError(errno('ECONNABORTED'))).toBe(true);
    for (const code of ['ENOENT', 'EACCES', 'EIO']) expect(isDeadMountError(errno(code))).toBe(false);
    expect(isDeadMountError(undefined)).toBe(false);
  });
});
