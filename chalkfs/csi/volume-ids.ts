// CSI volume names -> chalkfs volume names (pure). A CSI name may be up to 128 characters
// of anything (Kubernetes sends "pvc-<uuid>"); a chalkfs name is 1..63 of [a-z0-9._-]
// starting with a letter or digit (meta/volume-name.ts). A name that is already a valid
// chalkfs name is used as it is, so `chalkfs volume ls` shows the PV's name; any other
// is lowercased, stripped to the allowed characters, cut, and given a hash of the whole
// name, so that the mapping stays a function of the name: CreateVolume is idempotent by
// name with no table to keep, and two names never share a volume.
import { createHash } from 'node:crypto';
import { isVolumeName } from '../cli-driver/volume-name-check.js';

export function volumeIdFor(csiName: string): string {
  if (isVolumeName(csiName)) return csiName;
  const hash = createHash('sha256').update(csiName).digest('hex').slice(0, 16);
  const readable = csiName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63 - hash.length - 1)
    .replace(/[-._]+$/, '');
  return readable === '' ? `v-${hash}` : `${readable}-${hash}`;
}

/** Whether a volume ID can name a chalkfs volume at all (an ID that cannot, names none). */
export { isVolumeName };
