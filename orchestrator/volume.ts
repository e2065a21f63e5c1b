import { DEFAULT_VOLUME_DRIVER } from './container.js';
import { DockerEngine, type VolumeSummary } from './docker-engine.js';
import { assertVolumeName } from './volume-name.js';

export interface VolumeOptions {
  name: string;
  engine?: DockerEngine;
  /** Docker volume driver; the chalkfs plugin by default. */
  driver?: string;
}

export type VolumeInfo = VolumeSummary;

/**
 * A chalkfs volume as seen through Docker: every operation goes to the engine, which
 * hands it to the chalkfs volume driver (plugin), so the orchestrator needs no store
 * configuration of its own. Mounting happens through Container.mountVolume().
 */
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
    return this.engine.inspectVolume(this.name);
  }

  /** Deletes the volume and its data. Fails with volume-in-use while a container uses it. */
  async delete(): Promise<void> {
    await this.engine.removeVolume(this.name);
  }

  static async list(options: { engine?: DockerEngine; driver?: string } = {}): Promise<VolumeInfo[]> {
    const engine = options.engine ?? DockerEngine.default();
    const volumes = await engine.listVolumes({ driver: options.driver ?? DEFAULT_VOLUME_DRIVER });
    return volumes.sort((a, b) => a.name.localeCompare(b.name));
  }
}
