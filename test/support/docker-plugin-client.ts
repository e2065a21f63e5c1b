/*
 * Speaks Docker's volume plugin protocol to a plugin socket the way dockerd does (POST,
 * JSON body, the plugin media type), so protocol tests need no Docker engine.
 */
import { request } from 'node:http';

export interface PluginReply {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown> & { Err?: string };
}

export function pluginCall(socketPath: string, endpoint: string, body: object = {}): Promise<PluginReply> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path: endpoint,
        headers: { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json', Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** `call('Mount', {...})` for /VolumeDriver.Mount on the plugin at `socketPath`. */
export function volumeDriverCalls(socketPath: string): (op: string, body?: object) => Promise<PluginReply> {
  return (op, body = {}) => pluginCall(socketPath, `/VolumeDriver.${op}`, body);
}
