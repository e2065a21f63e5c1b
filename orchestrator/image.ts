/*
 * The images containers run: the chalkfs/python images, built locally from Debian
 * (image-builder.ts) on first use and cached by tag, or an image the engine already has.
 * Nothing is pulled: there is no registry on the machines chalkfs targets.
 */
import { terminalProgress, type BuildProgress } from './build-progress.js';
import { DockerEngine } from './docker-engine.js';
import { buildDebianImage, type DebianImageRecipe } from './image-builder.js';
import { OrchestratorError } from './orchestrator-error.js';

/**
 * Python versions Debian ships as the system python3 of a release. Debian has no 3.12
 * in any release (bookworm has 3.11, trixie 3.13), and chalkfs builds from Debian
 * rather than pulling python:*-slim from a registry, so these are the versions offered.
 */
export const PYTHON_SUITES: Readonly<Record<string, string>> = Object.freeze({
  '3.11': 'bookworm',
  '3.13': 'trixie',
});

export const IMAGE_REPO = 'chalkfs/python';

export interface EnsureImageOptions {
  engine?: DockerEngine;
  progress?: BuildProgress;
  env?: NodeJS.ProcessEnv;
}

export interface EnsuredImage {
  reference: string;
  /** False when the image was already in the engine (the cache hit). */
  built: boolean;
  durationMs: number;
}

/**
 * A container image: either a recipe that can be built locally (debianSlim) or a
 * reference to an image the engine already has (local). Nothing is pulled: there is no
 * registry on the machines chalkfs targets.
 */
export class Image {
  private constructor(
    /** `repo:tag` as the engine knows it. */
    readonly reference: string,
    private readonly recipe?: DebianImageRecipe,
  ) {}

  /** Debian minbase with python3 (and its sqlite3 module) for `pythonVersion`. */
  static debianSlim(pythonVersion: string): Image {
    const suite = PYTHON_SUITES[pythonVersion];
    if (!suite) {
      const offered = Object.entries(PYTHON_SUITES)
        .map(([v, s]) => `${v} (Debian ${s})`)
        .join(', ');
      throw new OrchestratorError('unknown-python-version', `no Debian release provides Python ${pythonVersion}; available: ${offered}`);
    }
    const tag = `${pythonVersion}-${suite}`;
    return new Image(`${IMAGE_REPO}:${tag}`, {
      suite,
      packages: ['python3'],
      repo: IMAGE_REPO,
      tag,
      changes: [
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'ENV LANG=C.UTF-8',
        'CMD ["python3"]',
        `LABEL chalkfs.image=debian-slim chalkfs.python=${pythonVersion} chalkfs.suite=${suite}`,
      ],
    });
  }

  /** An image that must already be in the engine. */
  static local(reference: string): Image {
    return new Image(reference);
  }

  /** Builds the image unless the engine already has it (cached by tag). */
  async ensure(options: EnsureImageOptions = {}): Promise<EnsuredImage> {
    const engine = options.engine ?? DockerEngine.default();
    const startedAt = performance.now();
    if (await engine.imageExists(this.reference)) {
      return { reference: this.reference, built: false, durationMs: performance.now() - startedAt };
    }
    if (!this.recipe) {
      throw new OrchestratorError('image-missing', `image ${this.reference} is not in the Docker engine and there is no registry to pull it from`);
    }
    await buildDebianImage(this.recipe, { engine, progress: options.progress ?? terminalProgress(), env: options.env });
    return { reference: this.reference, built: true, durationMs: performance.now() - startedAt };
  }

  toString(): string {
    return this.reference;
  }
}
