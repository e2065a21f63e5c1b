// Taking a unix socket path for a server: a socket file left by a server that died is
// removed; one a live server answers on means another instance serves it, and starting
// a second is an error. The Docker volume plugin and the CSI driver both claim theirs.
import { connect } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';

export async function claimSocket(socketPath: string, what: string): Promise<void> {
  await mkdir(dirname(socketPath), { recursive: true });
  const live = await new Promise<boolean>((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (live) throw new ChalkError('exists', `another ${what} is already serving ${socketPath}`);
  await rm(socketPath, { force: true });
}
