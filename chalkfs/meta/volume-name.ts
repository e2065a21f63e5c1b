/*
 * Volume names and references. Names become part of object keys (volumes/<name>/...), so
 * they are restricted to a safe alphabet: nothing can escape the volume's prefix or
 * collide with another's. A reference may add @VERSION (mount NAME@VERSION), parsed by
 * parseVolumeRef.
 */
import { ChalkError } from '../util/chalk-error.js';

const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Returns `name` if it is a valid volume name, or throws a `config` ChalkError saying why not. */
export function validateVolumeName(name: string): string {
  if (name.length === 0) throw new ChalkError('config', 'invalid volume name: it is empty');
  if (name.length > 63) throw new ChalkError('config', `invalid volume name "${name.slice(0, 20)}…": longer than 63 characters`);
  if (name === '.' || name === '..' || name.includes('/')) throw new ChalkError('config', `invalid volume name "${name}": it must not be "." or ".." or contain "/"`);
  if (!namePattern.test(name)) {
    throw new ChalkError(
      'config',
      `invalid volume name "${name}": use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit`,
    );
  }
  return name;
}

export interface VolumeRef {
  name: string;
  /** A pinned version (read-only mount), if the reference was NAME@VERSION. */
  version?: number;
}

/** NAME or NAME@VERSION, validated. */
export function parseVolumeRef(ref: string): VolumeRef {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: validateVolumeName(ref) };
  const versionText = ref.slice(at + 1);
  if (!/^\d+$/.test(versionText)) throw new ChalkError('config', `invalid volume reference "${ref}": the part after @ must be a version number`);
  return { name: validateVolumeName(ref.slice(0, at)), version: Number(versionText) };
}
