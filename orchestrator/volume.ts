/*
 * A chalkfs volume as seen through Docker: every operation goes to the engine, which
 * hands it to the chalkfs volume driver (plugin), so the orchestrator needs no store
 * configuration of its own. Mounting happens through Container.mountVolume().
 */
import { DEFAULT_VOLUME_DRIVER } from './container.js';
import { DockerEngine, type VolumeSummary } from './docker-engine.js';
import { OrchestratorError } from './orchestrator-error.js';
import { assertVolumeName } from './volume-name.js';

export interface VolumeOptions {
  name: string;
  engine?: DockerEngine;
  /** Docker volume driver; the chalkfs plugin by default. */
  driver?: string;
}

export type VolumeInfo = VolumeSummary;

/** One chalkfs volume, by name, through the engine and the volume driver. */
export class Volume {
  readonly name: string;
  private readonly engine: DockerEngine;
  private readonly driver: string;

  constructor(options: VolumeOptions) {
    assertVolumeName(options.name);
    this.name = options.name;
    this.engine = options.engine ?? DockerEngine.default();
    this.driver = options.driver ?? DEFAULT_VOLUME_DRIVER;
  }

  /** Creates the volume (a no-op for one that exists). Options go to `chalkfs volume create`. */
  async create(options: { blockSize?: string } = {}): Promise<VolumeInfo> {
    return this.engine.createVolume(this.name, this.driver, options.blockSize ? { 'block-size': options.blockSize } : {});
  }

  async inspect(): Promise<VolumeInfo> {
    await this.register();
    return this.engine.inspectVolume(this.name);
  }

  /** Deletes the volume and its data. Fails with volume-in-use while a container uses it. */
  async delete(): Promise<void> {
    await this.register();
    await this.engine.removeVolume(this.name);
  }

  /**
   * Makes sure Docker knows the volume belongs to our driver before inspect or remove.
   * For a name Docker has no record of (a volume created with the chalkfs CLI, or on
   * another host), those calls probe every volume driver dockerd has ever loaded, and
   * dockerd keeps socket plugins that have since stopped in that list, retrying each for
   * about 15 s. So: ask our driver alone (a driver-filtered list) whether the volume
   * exists, then record it under our driver (Create is idempotent in the plugin).
   */
  private async register(): Promise<void> {
    const volumes = await this.engine.listVolumes({ driver: this.driver });
    if (!volumes.some((v) => v.name === this.name)) {
      throw new OrchestratorError('volume-unknown', `volume ${this.name}: no such volume (driver ${this.driver})`);
    }
    await this.engine.createVolume(this.name, this.driver);
  }

  static async list(options: { engine?: DockerEngine; driver?: string } = {}): Promise<VolumeInfo[]> {
    const engine = options.engine ?? DockerEngine.default();
    const volumes = await engine.listVolumes({ driver: options.driver ?? DEFAULT_VOLUME_DRIVER });
    return volumes.sort((a, b) => a.name.localeCompare(b.name));
  }
}
