// Where things are: the installation, CHALKFS_HOME, the tool cache, the compiled CLI.
import { homedir } from 'node:os';
import { basename, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

/**
 * Root of the chalkfs installation (the folder holding package.json): a checkout, or the
 * installed package (…/node_modules/chalkfs). This module is chalkfs/util/paths.ts in the
 * sources and dist/chalkfs/util/paths.js once built.
 */
const sourceOrDistRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const projectRoot = basename(sourceOrDistRoot) === 'dist' ? dirname(sourceOrDistRoot) : sourceOrDistRoot;

/** Where chalkfs keeps its state: embedded MinIO, mount records, logs, default cache. */
export function chalkfsHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHALKFS_HOME ?? join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'chalkfs');
}

/** Machine-wide cache of built tools (the MinIO binary), shared by every clone. */
export function toolCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'chalkfs');
}

let packageJsonCache: { version: string; config: { minioVersion: string; csiSanityVersion: string } } | undefined;
export function packageJson(): { version: string; config: { minioVersion: string; csiSanityVersion: string } } {
  packageJsonCache ??= JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  return packageJsonCache!;
}

/** Path of the compiled CLI entry point, for spawning daemons. */
export function cliEntry(): string {
  return join(projectRoot, 'dist', 'chalkfs', 'cli', 'main.js');
}
