/*
 * The one error type the orchestrator throws. `kind` is a closed set so callers (tests,
 * the demo) can switch on what went wrong instead of parsing Docker's messages; the
 * message says it in words and `cause` keeps the underlying error.
 */
export type OrchestratorErrorKind =
  | 'engine-unreachable' // no Docker engine answers on the configured socket
  | 'engine-failed' // the engine answered with an error nothing more specific covers
  | 'image-missing' // the image is not in the engine and cannot be pulled (no registry)
  | 'image-build-failed' // debootstrap or the import into Docker failed
  | 'unknown-python-version' // no Debian suite provides that Python version
  | 'name-in-use' // a container with that name already exists
  | 'container-not-running' // exec or logs on a container that is gone or stopped
  | 'exec-failed' // the engine could not run an exec at all (not: the program failed)
  | 'invalid-volume-name' // the name breaks chalkfs's volume name rules
  | 'volume-unknown' // no such volume
  | 'volume-in-use' // a volume still used by a container cannot be deleted
  | 'volume-driver-failed' // the chalkfs volume driver (plugin) reported an error
  | 'invalid-argument'; // a caller error the API detects before talking to Docker

export class OrchestratorError extends Error {
  readonly kind: OrchestratorErrorKind;

  constructor(kind: OrchestratorErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrchestratorError';
    this.kind = kind;
  }
}

export function isOrchestratorError(err: unknown, kind?: OrchestratorErrorKind): err is OrchestratorError {
  return err instanceof OrchestratorError && (kind === undefined || err.kind === kind);
}
