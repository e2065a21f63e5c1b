// meta/volume-name.ts: which volume names are valid, and NAME@VERSION references.
import { describe, expect, it } from 'vitest';
import { parseVolumeRef, validateVolumeName } from '../../chalkfs/meta/volume-name.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

function configError(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return isChalkError(err, 'config');
  }
}

describe('validateVolumeName', () => {
  it.each(['db', 'a', 'my-volume_1.2', '0abc', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(validateVolumeName(name)).toBe(name);
  });

  it.each(['', '.', '..', 'a/b', 'Upper', '-lead', '.hidden', '_x', 'a b', 'é', 'a'.repeat(64), 'x@1'])('rejects %j as config', (name) => {
    expect(configError(() => validateVolumeName(name))).toBe(true);
  });
});

describe('parseVolumeRef', () => {
  it('parses a plain name and a pinned version', () => {
    expect(parseVolumeRef('db')).toEqual({ name: 'db' });
    expect(parseVolumeRef('db@42')).toEqual({ name: 'db', version: 42 });
  });

  it.each(['db@', 'db@x', 'db@-1', 'db@1.5', '@3', 'Bad@3'])('rejects %j', (ref) => {
    expect(configError(() => parseVolumeRef(ref))).toBe(true);
  });
});
