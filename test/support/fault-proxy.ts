/*
 * A fault-injecting TCP proxy for integration tests: it sits between chalkfs and MinIO on
 * a random loopback port and, on command, stalls the network (both directions buffered,
 * nothing delivered, as a hung switch would), refuses connections, resets them, or acts
 * on single HTTP requests chosen by their request line: hold the response for a while
 * (a lost or late answer whose request did land), reset the connection after the
 * request reached the store, or drop the request before it does.
 *
 * It reads request lines only where a chunk from the client starts with one, which is
 * how an HTTP/1.1 client writes a request's head (the body follows in later chunks).
 * Tests use it instead of mocks so that the daemon's real S3 client, sockets and
 * timeouts meet the fault.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type RequestAction =
  /** Deliver the request; hold whatever the store answers on that connection for `ms`. */
  | { kind: 'hold-response'; ms: number }
  /** Deliver the request, then reset the client's connection once the store answers. */
  | { kind: 'reset-after-response' }
  /** Reset the client's connection before the request reaches the store. */
  | { kind: 'reset-before' }
  /**
   * Deliver the request and its whole answer (by its Content-Length), then refuse
   * everything at once (as `refuse()`): the store dies right after this request.
   */
  | { kind: 'refuse-after-response' };

export interface RequestRule {
  /** Tested against the request line, e.g. `PUT /bucket/volumes/v/versions/00000012 HTTP/1.1`. */
  match: RegExp;
  action: RequestAction;
  /** How many matching requests to act on; default 1. */
  times?: number;
}

export type NetworkState = 'up' | 'stalled' | 'refusing';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Chunks held while stalled, per direction, delivered in order on resume. */
  toUpstream: Buffer[];
  toClient: Buffer[];
  holdUntil: number;
  resetOnResponse: boolean;
  /** Bytes of the answer seen so far, while waiting to refuse after it. */
  refuseAfterResponse: Buffer | undefined;
}

const requestLine = /^(GET|PUT|POST|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/;

export class FaultProxy {
  /** Request lines seen, in order (for assertions and debugging). */
  readonly requests: string[] = [];
  private state: NetworkState = 'up';
  private readonly pairs = new Set<Pair>();
  private rules: (RequestRule & { left: number })[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Starts a proxy on 127.0.0.1 forwarding to `targetEndpoint` (http://host:port). */
  static async start(targetEndpoint: string): Promise<FaultProxy> {
    const url = new URL(targetEndpoint);
    const target = { host: url.hostname, port: Number(url.port || 80) };
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('fault proxy: no port');
    const proxy = new FaultProxy(server, address.port, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get network(): NetworkState {
    return this.state;
  }

  /** Acts on the next request(s) whose request line matches. */
  addRule(rule: RequestRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** Whether every rule added has acted as many times as it was told to. */
  rulesUsed(): boolean {
    return this.rules.every((r) => r.left === 0);
  }

  /** Nothing moves in either direction until resume(); connections stay open. */
  stall(): void {
    this.state = 'stalled';
  }

  /** New and existing connections are reset, as when the store's host is down. */
  refuse(): void {
    this.state = 'refusing';
    for (const pair of [...this.pairs]) this.destroy(pair, true);
  }

  /** Back to normal: what was held during a stall is delivered, in order. */
  resume(): void {
    this.state = 'up';
    for (const pair of this.pairs) this.flush(pair);
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.destroy(pair, false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.state === 'refusing') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [], holdUntil: 0, resetOnResponse: false, refuseAfterResponse: undefined };
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => this.fromClient(pair, chunk));
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(pair, chunk));
    const end = () => this.destroy(pair, false);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  }

  private fromClient(pair: Pair, chunk: Buffer): void {
    const line = requestLine.exec(chunk.subarray(0, 2048).toString('latin1'));
    if (line) {
      const text = line[0].trimEnd();
      this.requests.push(text);
      const rule = this.rules.find((r) => r.left > 0 && r.match.test(text));
      if (rule) {
        rule.left--;
        if (rule.action.kind === 'reset-before') {
          this.destroy(pair, true);
          return;
        }
        if (rule.action.kind === 'hold-response') pair.holdUntil = -rule.action.ms; // armed: starts when the answer arrives
        if (rule.action.kind === 'reset-after-response') pair.resetOnResponse = true;
        if (rule.action.kind === 'refuse-after-response') pair.refuseAfterResponse = Buffer.alloc(0);
      }
    }
    pair.toUpstream.push(chunk);
    this.flush(pair);
  }

  private fromUpstream(pair: Pair, chunk: Buffer): void {
    if (pair.resetOnResponse) {
      this.destroy(pair, true);
      return;
    }
    if (pair.refuseAfterResponse) {
      pair.refuseAfterResponse = Buffer.concat([pair.refuseAfterResponse, chunk]);
      if (wholeResponse(pair.refuseAfterResponse)) {
        // The store is dead from this instant: nothing the client sends after reading this
        // answer may reach it, even on another connection, so the refusal cannot wait
        // for this connection's end.
        pair.refuseAfterResponse = undefined;
        pair.toClient.push(chunk);
        this.flush(pair);
        this.pairs.delete(pair);
        this.refuse();
        pair.upstream.destroy();
        pair.client.end(() => pair.client.destroy());
        return;
      }
    }
    if (pair.holdUntil < 0) {
      const ms = -pair.holdUntil;
      pair.holdUntil = Date.now() + ms;
      setTimeout(() => this.flush(pair), ms).unref();
    }
    pair.toClient.push(chunk);
    this.flush(pair);
  }

  private flush(pair: Pair): void {
    if (this.state !== 'up' || !this.pairs.has(pair)) return;
    for (let chunk = pair.toUpstream.shift(); chunk; chunk = pair.toUpstream.shift()) pair.upstream.write(chunk);
    if (Date.now() < pair.holdUntil) return;
    for (let chunk = pair.toClient.shift(); chunk; chunk = pair.toClient.shift()) pair.client.write(chunk);
  }

  private destroy(pair: Pair, reset: boolean): void {
    if (!this.pairs.delete(pair)) return;
    if (reset && !pair.client.destroyed) pair.client.resetAndDestroy();
    else pair.client.destroy();
    pair.upstream.destroy();
  }
}

/** Whether `bytes` hold an HTTP response's head and its whole Content-Length body. */
function wholeResponse(bytes: Buffer): boolean {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(0, headEnd).toString('latin1'));
  return bytes.length >= headEnd + 4 + Number(length?.[1] ?? 0);
}
