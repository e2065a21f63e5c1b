// What this host needs before chalkfs can mount (`chalkfs doctor`): the FUSE device, the
// fuse.conf switch that lets a non-root user mount with allow_other (every chalkfs mount
// sets it: fuse/lowlevel-mount.ts), and fusermount3, through which libfuse 3 mounts and
// unmounts as a non-root user and chalkfs clears a dead daemon's mount.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Undefined when /dev/fuse is a character device this process may open read-write; else what is wrong. */
export function fuseDeviceProblem(path = '/dev/fuse'): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return `${path} does not exist: load the fuse kernel module (modprobe fuse); in a container, pass --device /dev/fuse`;
  }
  if (!st.isCharacterDevice()) return `${path} is not a character device`;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    return `${path} is not readable and writable by this user: fix its mode (0666 is the default)`;
  }
  return undefined;
}

/** Whether fuse.conf's text enables `user_allow_other` (a line of its own; `#` starts a comment). */
export function allowsOtherUsers(fuseConf: string): boolean {
  return fuseConf.split('\n').some((line) => line.replace(/#.*/, '').trim() === 'user_allow_other');
}

/** fuse.conf's text, or undefined when it cannot be read (absent: nothing is enabled). */
export function readFuseConf(path = '/etc/fuse.conf'): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The first executable `name` on `pathEnv` (PATH's format), or undefined. */
export function findOnPath(name: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
