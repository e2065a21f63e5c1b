// Whether a string is a valid chalkfs volume name (meta/volume-name.ts's rule, as a
// yes/no): the CSI driver and the Docker plugin map foreign names onto chalkfs names and
// keep the ones that already are.
import { validateVolumeName } from '../meta/volume-name.js';

export function isVolumeName(name: string): boolean {
  try {
    validateVolumeName(name);
    return true;
  } catch {
    return false;
  }
}
