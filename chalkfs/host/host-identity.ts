// Which process-id space this process lives in, so that a lease holder's pid can be
// checked only by processes that see the same pids. A hostname cannot say that: cloned
// VMs and containers with host networking share one while their pids mean different
// processes. The kernel's boot id tells machines (and boots) apart, the pid namespace's
// inode tells containers on one kernel apart.
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * For tests only: makes one machine pose as several hosts (test/support/chalkfs-fixture.ts
 * sets it per fixture host). Never set it in production: two real hosts given the same
 * value would take each other's live leases.
 */
export const hostIdTestVariable = 'CHALKFS_HOST_ID';

/** `<boot id>/<pid namespace inode>`, or undefined where either cannot be read (then pids are never trusted). */
export function hostIdentity(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const forced = env[hostIdTestVariable];
  if (forced) return forced;
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    return bootId && pidNamespace ? `${bootId}/${pidNamespace}` : undefined;
  } catch {
    return undefined;
  }
}
