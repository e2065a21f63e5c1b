/*
 * chalkfs's volume name rule, as the CLI enforces it (chalkfs/meta/volume-name.ts):
 * lowercase letters, digits, `-`, `_` and `.`, 1 to 63 characters, starting with a
 * letter or digit (the CLI also refuses a leading `_`). Checked here too so
 * a bad name fails before a container is created, with a typed error instead of a
 * driver message wrapped by Docker.
 */
import { OrchestratorError } from './orchestrator-error.js';

const VOLUME_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export function assertVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw new OrchestratorError(
      'invalid-volume-name',
      `invalid volume name ${JSON.stringify(name)}: use 1-63 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  }
}
