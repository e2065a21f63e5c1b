// The daemon's control socket (CHALKFS_HOME/run/<hash>.sock), JSON over HTTP on a unix
// socket: GET /status, POST /unmount (answered before the daemon exits, so
// `chalkfs unmount` sees the outcome), POST /commit. The client side, controlRequest, is
// what the CLI uses to talk to a running daemon.
import { createServer, request, type Server } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { listen } from './http-listen.js';

export interface ControlHandlers {
  status(): Promise<unknown>;
  /** Commits, unmounts and stops; `answer` runs before the daemon may exit. */
  unmount(answer: (err?: unknown) => Promise<void>): void;
  commit(): Promise<number>;
}

export async function serveControlSocket(socketPath: string, handlers: ControlHandlers): Promise<Server> {
  mkdirSync(dirname(socketPath), { recursive: true });
  rmSync(socketPath, { force: true });
  return listen(createServer((req, res) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/status') {
      handlers.status().then(
        (status) => reply(200, status),
        (err) => reply(500, { error: (err as Error).message }),
      );
    } else if (req.method === 'POST' && req.url === '/unmount') {
      handlers.unmount((err) =>
        new Promise<void>((done) => {
          res.once('finish', () => done());
          if (err) reply(500, { error: (err as Error).message });
          else reply(200, { ok: true });
        }),
      );
    } else if (req.method === 'POST' && req.url === '/commit') {
      handlers.commit().then(
        (seq) => reply(200, { seq }),
        (err) => reply(500, { error: (err as Error).message }),
      );
    } else reply(404, { error: 'unknown request' });
  }), { path: socketPath });
}

/** A JSON request to a daemon's control socket. */
export function controlRequest<T>(socketPath: string, method: 'GET' | 'POST', path: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath, method, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const body = JSON.parse(text) as T & { error?: string };
          if ((res.statusCode ?? 500) >= 400) reject(new Error(body.error ?? `HTTP ${res.statusCode}`));
          else resolvePromise(body);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
