// Starts an HTTP server on a TCP port or a unix socket and resolves once it listens
// (or rejects with the listen error): the control socket and the metrics endpoint.
import type { Server } from 'node:http';

export function listen(server: Server, where: { port: number; host: string } | { path: string }): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(where, () => resolvePromise(server));
  });
}
