// Bind mounts, as the CSI node service makes them to publish a volume's one shared
// mount into each pod: mount(8) and umount(8) run without a shell. A read-only bind is
// a second step (MS_REMOUNT|MS_BIND|MS_RDONLY), as the kernel requires.
import { execFile } from 'node:child_process';
import { ChalkError } from '../util/chalk-error.js';

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 30_000, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      reject(new ChalkError('io', `${command} ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
    }),
  );
}

export async function bindMount(source: string, target: string, readOnly: boolean): Promise<void> {
  await run('mount', ['--bind', source, target]);
  if (!readOnly) return;
  try {
    await run('mount', ['-o', 'remount,bind,ro', target]);
  } catch (err) {
    // Never leave a writable bind where a read-only one was asked for.
    await run('umount', [target]).catch(() => undefined);
    throw err;
  }
}

export async function unmountBind(target: string): Promise<void> {
  await run('umount', [target]);
}
