// plugin/docker-volume-names.ts: Docker's volume names onto chalkfs names and back.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chalkfsNameOf, dockerNameOf } from '../../chalkfs/plugin/docker-volume-names.js';
import { validateVolumeName } from '../../chalkfs/meta/volume-name.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const anonymous = '3f1c0a9b'.repeat(8); // what dockerd generates: 64 lowercase hex characters

describe('chalkfsNameOf / dockerNameOf', () => {
  it('keeps a valid chalkfs name as it is, so existing volumes keep their names', () => {
    for (const name of ['db', 'sqlite-persistence', 'proj_data', 'a.b', '0', 'a'.repeat(63)]) {
      expect(chalkfsNameOf(name)).toBe(name);
      expect(dockerNameOf(name)).toBe(name);
    }
  });

  it('encodes an anonymous volume in 58 characters and decodes it back', () => {
    const name = chalkfsNameOf(anonymous);
    expect(name).toMatch(/^anon--[0-9a-v]{52}$/);
    expect(dockerNameOf(name)).toBe(anonymous);
    for (const edge of ['0'.repeat(64), 'f'.repeat(64)]) expect(dockerNameOf(chalkfsNameOf(edge))).toBe(edge);
    expect(chalkfsNameOf('0'.repeat(64))).toBe(`anon--${'0'.repeat(52)}`);
  });

  it('escapes uppercase letters, "_" and other characters readably', () => {
    expect(chalkfsNameOf('MyData')).toBe('esc--_my_data');
    expect(chalkfsNameOf('My_App')).toBe('esc--_my___app');
    expect(chalkfsNameOf('a b')).toBe('esc--a_.20b');
    expect(chalkfsNameOf('_x')).toBe('esc--__x'); // Docker allows a leading "_", chalkfs does not
    expect(chalkfsNameOf('é')).toBe('esc--_.c3_.a9');
    expect(chalkfsNameOf('.')).toBe('esc--.');
    for (const name of ['MyData', 'My_App', 'a b', '_x', 'é', '.', '..', 'a/b', 'A'.repeat(29), 'x@1', 'ABCDEF0123']) {
      expect(dockerNameOf(chalkfsNameOf(name))).toBe(name);
    }
  });

  it('encodes names that look like encodings, so two Docker names never share a volume', () => {
    expect(chalkfsNameOf('esc--a')).toBe('esc--esc--a');
    expect(chalkfsNameOf('anon--a')).toBe('esc--anon--a');
    expect(dockerNameOf('esc--esc--a')).toBe('esc--a');
    expect(chalkfsNameOf('A'.repeat(29))).toHaveLength(63);
    expect(dockerNameOf(chalkfsNameOf('a'.repeat(64)))).toBe('a'.repeat(64)); // hex: read as anonymous, still reversible
  });

  it('refuses an empty name and one whose encoding is longer than 63 characters', () => {
    for (const name of ['', 'A'.repeat(30), 'g'.repeat(64), `${'0'.repeat(63)}g`, '0'.repeat(65)]) {
      let caught: unknown;
      try {
        chalkfsNameOf(name);
      } catch (err) {
        caught = err;
      }
      expect([name, isChalkError(caught, 'config')]).toEqual([name, true]);
    }
    expect(() => chalkfsNameOf('A'.repeat(30))).toThrow(/too long for chalkfs: encoded it takes 65 of 63 characters/);
  });

  it('gives no Docker name for a chalkfs name that is no encoding', () => {
    for (const name of ['esc--a_', 'esc--_1', 'esc--_.4', 'esc--_.61', 'esc--_.41', 'esc--abc', 'esc--_.ff', `anon--${'z'.repeat(52)}`, `anon--${'w'.repeat(52)}`, 'anon--abc', `anon--g${'0'.repeat(51)}`]) {
      expect(dockerNameOf(name)).toBeUndefined();
    }
  });

  it('round-trips any name it accepts, and every encoding is a valid chalkfs name', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-f]{64}$/), fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}$/)), (name) => {
        let encoded: string;
        try {
          encoded = chalkfsNameOf(name);
        } catch (err) {
          expect(isChalkError(err, 'config')).toBe(true);
          return;
        }
        expect(validateVolumeName(encoded)).toBe(encoded);
        expect(dockerNameOf(encoded)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });
});
