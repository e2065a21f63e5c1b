// The orchestrator's public API: what the demo, tests and users import.
export { Container, RunningContainer, DEFAULT_VOLUME_DRIVER, ORCHESTRATOR_LABEL } from './container.js';
export type { ContainerOptions, ExecOptions, ExecResult, MountOptions } from './container.js';
export { Image, PYTHON_SUITES, IMAGE_REPO } from './image.js';
export type { EnsureImageOptions, EnsuredImage } from './image.js';
export { Volume } from './volume.js';
export type { VolumeInfo, VolumeOptions } from './volume.js';
export { DockerEngine } from './docker-engine.js';
export { OrchestratorError, isOrchestratorError } from './orchestrator-error.js';
export type { OrchestratorErrorKind } from './orchestrator-error.js';
export { reapOrphanContainers } from './reaper.js';
export { silentProgress, terminalProgress } from './build-progress.js';
export type { BuildProgress } from './build-progress.js';
