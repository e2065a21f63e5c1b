// The missing names a read-only mount lets the kernel cache (negative entries), so that
// adopting a version can revoke them: a file the new version adds must be found by the
// next open, not hidden for negativeTimeoutS. SQLite probes for a hot journal (a name
// that is almost never there) on every read transaction; cached, the probe never leaves
// the kernel. Bounded: past `limit` names, further misses are answered uncached.
import type { Ino } from './lowlevel-types.js';

export class MissingNames {
  private readonly names = new Map<string, { parent: Ino; name: string }>();

  constructor(private readonly limit: number) {}

  /** `name` in `parent` is about to be answered missing: may the kernel cache that? */
  remember(parent: Ino, name: string): boolean {
    const key = `${parent}/${name}`;
    if (this.names.has(key)) return true;
    if (this.names.size >= this.limit) return false;
    this.names.set(key, { parent, name });
    return true;
  }

  /** Every name remembered since the last call, forgotten here. */
  take(): { parent: Ino; name: string }[] {
    const all = [...this.names.values()];
    this.names.clear();
    return all;
  }
}
