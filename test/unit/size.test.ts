// util/size.ts: parsing and formatting sizes such as 64MiB.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatSize, parseSize } from '../../chalkfs/util/size.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

describe('parseSize', () => {
  it.each([
    ['4096', 4096],
    ['0', 0],
    ['10b', 10],
    ['256KiB', 256 * 1024],
    ['256k', 256 * 1024],
    ['1kb', 1000],
    ['64MiB', 64 * 1024 ** 2],
    ['2GiB', 2 * 1024 ** 3],
    ['1.5GB', 1.5e9],
    [' 3 mib ', 3 * 1024 ** 2],
    ['1TiB', 1024 ** 4],
    ['1tb', 1e12],
  ])('%j -> %i', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'abc', '-1', '1 furlong', '1..5MiB', '99999999999TiB', 'MiB'])('rejects %j with a config error naming what', (text) => {
    try {
      parseSize(text, 'cache size');
      expect.unreachable();
    } catch (err) {
      expect(isChalkError(err, 'config')).toBe(true);
      expect((err as Error).message).toContain('cache size');
    }
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1.0KiB'],
    [1536, '1.5KiB'],
    [64 * 1024 ** 2, '64MiB'],
    [2 * 1024 ** 3, '2.0GiB'],
    [3 * 1024 ** 5, '3072TiB'],
  ])('%i -> %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('exact powers of 1024 round trip through parseSize (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 1023 }), fc.constantFrom(1, 1024, 1024 ** 2, 1024 ** 3), (n, unit) => {
        expect(parseSize(formatSize(n * unit))).toBe(n * unit);
      }),
    );
  });
});
