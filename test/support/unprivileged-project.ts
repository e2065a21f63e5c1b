// The built project, where an unprivileged uid can reach it. Tests run some steps as uid
// 65534 (setpriv) that load the project's code: the CLI from dist/, better-sqlite3 from
// node_modules. A checkout may sit below a directory only root can enter (CI clones into a
// private temporary directory), so such a step cannot use the checkout's own path. This
// makes a world-readable copy of what runs (package.json, dist, node_modules, the native
// addon; about 170 MB, a second or two) under os.tmpdir(). A copy, not hard links: the
// copy's modes are opened to every uid without touching the checkout's files. Every test
// that runs project code as another uid uses it, whether or not this checkout happens to
// be reachable, so the path CI takes is the path every run takes.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { cliEntry, projectRoot } from '../../chalkfs/util/paths.js';

const run = promisify(execFile);

/** What an unprivileged process needs of the project, relative to its root. */
const RUNTIME_PARTS = ['package.json', 'dist', 'node_modules', 'native/build/Release'] as const;

export class UnprivilegedProject implements AsyncDisposable {
  private constructor(
    /** The copy's root: reachable (r-x) by every uid, as are all its files. */
    readonly root: string,
  ) {}

  static async create(): Promise<UnprivilegedProject> {
    const root = await mkdtemp(join(tmpdir(), 'chalkfs-project-'));
    const project = new UnprivilegedProject(root);
    try {
      await chmod(root, 0o755);
      await mkdir(join(root, 'native', 'build'), { recursive: true, mode: 0o755 });
      await Promise.all(RUNTIME_PARTS.map((part) => copyTree(join(projectRoot, part), join(root, part))));
      return project;
    } catch (error) {
      await project[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** The CLI's entry point in the copy. */
  get cliEntry(): string {
    return join(this.root, relative(projectRoot, cliEntry()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A copy readable by every uid, whatever the umask the checkout was written with. */
async function copyTree(from: string, to: string): Promise<void> {
  await run('cp', ['-a', from, to]);
  await run('chmod', ['-R', 'a+rX', to]);
}
