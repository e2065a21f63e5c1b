// plugin/driver-options.ts: `docker volume create -o` options, checked, and the chalkfs
// flags they become.
import { describe, expect, it } from 'vitest';
import { createFlags, mountArgs, mountsReadOnly, parseDriverOptions } from '../../chalkfs/plugin/driver-options.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

function configError(opts: Record<string, string>): string {
  try {
    parseDriverOptions(opts);
  } catch (err) {
    if (isChalkError(err, 'config')) return err.message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(opts)}`);
}

describe('parseDriverOptions', () => {
  it('defaults to a read-write mount that requires the writer lease', () => {
    for (const none of [null, undefined, {}]) {
      const options = parseDriverOptions(none);
      expect(options).toEqual({ readOnly: false, writer: 'required' });
      expect(mountArgs('db', options)).toEqual({ ref: 'db', flags: [] });
      expect(createFlags(options)).toEqual([]);
    }
  });

  it('turns each option into its chalkfs flag', () => {
    expect(mountArgs('db', parseDriverOptions({ 'read-only': 'true' }))).toEqual({ ref: 'db', flags: ['--read-only'] });
    expect(mountArgs('db', parseDriverOptions({ 'read-only': 'false' }))).toEqual({ ref: 'db', flags: [] });
    expect(mountArgs('db', parseDriverOptions({ writer: 'fallback' }))).toEqual({ ref: 'db', flags: ['--fallback-read-only'] });
    expect(mountArgs('db', parseDriverOptions({ writer: 'required', 'cache-size': '512MiB' }))).toEqual({ ref: 'db', flags: ['--cache-size', '512MiB'] });
    const pinned = parseDriverOptions({ version: '7', 'read-only': 'true' });
    expect(mountsReadOnly(pinned)).toBe(true);
    expect(mountArgs('db', pinned)).toEqual({ ref: 'db@7', flags: [] });
    expect(mountArgs('db', parseDriverOptions({ version: '3' }))).toEqual({ ref: 'db@3', flags: [] });
    expect(createFlags(parseDriverOptions({ 'block-size': '64KiB' }))).toEqual(['--block-size', '64KiB']);
  });

  it('refuses bad values with one line that names the option', () => {
    expect(configError({ colour: 'blue' })).toBe('unknown volume option "colour" (known: block-size, read-only, version, cache-size, writer)');
    expect(configError({ 'read-only': 'yes' })).toBe('invalid volume option read-only="yes": expected true or false');
    expect(configError({ writer: 'optional' })).toBe('invalid volume option writer="optional": expected required or fallback');
    for (const version of ['0', '-1', 'latest', '1.5', '99999999999999999999']) expect(configError({ version })).toMatch(/^invalid volume option version=/);
    expect(configError({ 'cache-size': 'lots' })).toMatch(/^invalid volume option cache-size "lots"/);
    expect(configError({ 'cache-size': '0' })).toMatch(/^invalid volume option cache-size="0"/);
    expect(configError({ version: '2', 'read-only': 'false' })).toMatch(/contradict/);
    expect(configError({ 'read-only': 'true', writer: 'fallback' })).toMatch(/writer is for read-write mounts/);
    expect(configError({ version: '2', writer: 'required' })).toMatch(/writer is for read-write mounts/);
    for (const opts of [{ colour: 'blue' }, { 'read-only': 'yes' }, { 'cache-size': 'lots' }] as Array<Record<string, string>>) expect(configError(opts)).not.toContain('\n');
  });
});
