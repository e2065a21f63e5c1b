// The processes on this host whose command line matches, read from /proc: tests find the
// helpers and servers chalkfs starts (fusermount3's auto_unmount helper, MinIO) by what
// they were started with.
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of the processes whose argv `matches`; processes that exit meanwhile are skipped. */
export function pidsWithArgv(matches: (argv: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (matches(argv)) pids.push(Number(entry));
  }
  return pids;
}
