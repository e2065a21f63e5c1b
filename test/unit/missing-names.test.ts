// The missing names a read-only mount lets the kernel cache, revoked at each adoption.
import { describe, expect, it } from 'vitest';
import { MissingNames } from '../../chalkfs/fuse/missing-names.js';

describe('MissingNames', () => {
  it('hands back every name remembered since the last adoption, once', () => {
    const m = new MissingNames(10);
    expect(m.remember(1, 'db-journal')).toBe(true);
    expect(m.remember(1, 'db-journal')).toBe(true);
    expect(m.remember(5, 'db-journal')).toBe(true);
    expect(m.take()).toEqual([{ parent: 1, name: 'db-journal' }, { parent: 5, name: 'db-journal' }]);
    expect(m.take()).toEqual([]);
  });

  it('past its limit, refuses new names (answered uncached) but keeps those it holds', () => {
    const m = new MissingNames(2);
    expect(m.remember(1, 'a')).toBe(true);
    expect(m.remember(1, 'b')).toBe(true);
    expect(m.remember(1, 'c')).toBe(false);
    expect(m.remember(1, 'a')).toBe(true);
    expect(m.take().map((n) => n.name)).toEqual(['a', 'b']);
    expect(m.remember(1, 'c')).toBe(true);
  });
});
