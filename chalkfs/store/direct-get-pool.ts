/*
 * HTTP/1.1 GETs over plain-HTTP keep-alive sockets, each response's body read by the
 * kernel straight into one buffer of its Content-Length (`net`'s `onread` with a buffer
 * chosen per read). Why by hand: node:http and undici both hand a body over as a stream
 * of freshly allocated ~64 KiB chunks, which the caller then copies into one block; for a
 * 1 MiB block that is 16 allocations, 16 copies, a stream and the garbage they leave, on
 * the daemon's one thread. Measured with 256 GETs of 1 MiB from MinIO (docs/BENCHMARKS.md,
 * part 5): 2.2-2.9 ms of CPU per MB through node:http, 1.1-3.0 through undici, 0.4-1.6 here.
 *
 * Deliberately narrow: GET only, one request per socket at a time, plain HTTP (TLS gives
 * no such hook), and only answers whose body has a Content-Length. Any other answer
 * (chunked, no length, an interim 1xx) rejects with UnsupportedAnswerError before its body
 * is read, and the caller sends that request the usual way. Network failures, an idle
 * timeout and a body cut short reject like node:http's, so the caller's retry policy
 * treats them the same. A reused socket the store closed while idle (the keep-alive race)
 * is retried once on a fresh one, as no byte of the answer had arrived.
 */
import { connect, type Socket } from 'node:net';
import { ChalkError } from '../util/chalk-error.js';

/** A whole answer: status, headers (lower-case names) and the body. */
export interface DirectAnswer {
  status: number;
  headers: ReadonlyMap<string, string>;
  body: Buffer;
}

/** The answer is not one this client reads (see the module comment); nothing of its body was consumed by the caller. */
export class UnsupportedAnswerError extends Error {
  override readonly name = 'UnsupportedAnswerError';
}

export interface DirectGetPoolOptions {
  host: string;
  port: number;
  /** Bound on the time without progress in one exchange (connect, answer, body). */
  attemptTimeoutMs: number;
  /** Idle sockets kept for reuse. */
  maxIdle: number;
}

const headLimit = 64 * 1024;
const headEnd = Buffer.from('\r\n\r\n');

interface Exchange {
  what: string;
  resolve: (answer: DirectAnswer) => void;
  reject: (err: Error) => void;
  /** Any byte of the answer arrived (a failure after that is not the keep-alive race). */
  answered: boolean;
  status: number;
  headers: Map<string, string>;
}

/** One socket and the exchange on it, if any. */
class Connection {
  readonly socket: Socket;
  used = false;
  /** Its exchange failed before any byte of the answer arrived. */
  failedUnanswered = false;
  private exchange: Exchange | undefined;
  private readonly head = Buffer.allocUnsafe(headLimit);
  private headLength = 0;
  private body: Buffer | undefined;
  private bodyLength = 0;
  /** Set while a chunked error document arrives: where it starts in the head buffer. */
  private errorBodyStart: number | undefined;

  constructor(
    options: DirectGetPoolOptions,
    private readonly onIdle: (c: Connection) => void,
    private readonly onGone: (c: Connection) => void,
  ) {
    this.socket = connect({
      host: options.host,
      port: options.port,
      noDelay: true,
      onread: { buffer: () => this.nextReadBuffer(), callback: (n: number) => (this.received(n), true) },
    });
    this.socket.setTimeout(options.attemptTimeoutMs, () => {
      if (this.exchange) this.fail(Object.assign(new Error(`no answer within ${options.attemptTimeoutMs} ms`), { name: 'TimeoutError' }));
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => {
      this.fail(
        this.body
          ? new ChalkError('io', `${this.exchange?.what}: connection closed after ${this.bodyLength} of ${this.body.length} bytes of the body`)
          : Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      );
      this.onGone(this);
    });
  }

  /** Sends one GET; resolves with the whole answer. */
  start(path: string, headers: Record<string, string>, what: string): Promise<DirectAnswer> {
    return new Promise((resolve, reject) => {
      this.exchange = { what, resolve, reject, answered: false, status: 0, headers: new Map() };
      this.used = true;
      this.socket.ref();
      let text = `GET ${path} HTTP/1.1\r\n`;
      for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
      this.socket.write(`${text}\r\n`, 'latin1');
    });
  }

  fail(err: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.body = undefined;
    this.errorBodyStart = undefined;
    if (exchange && !exchange.answered) this.failedUnanswered = true;
    if (!this.socket.destroyed) this.socket.destroy();
    exchange?.reject(err);
  }

  private nextReadBuffer(): Buffer {
    return this.body ? this.body.subarray(this.bodyLength) : this.head.subarray(this.headLength);
  }

  private received(n: number): void {
    const exchange = this.exchange;
    if (!exchange) {
      this.fail(new Error('the store sent bytes with no request outstanding'));
      return;
    }
    exchange.answered = true;
    if (this.errorBodyStart !== undefined) {
      this.headLength += n;
      this.receivedErrorBody(exchange);
      return;
    }
    if (this.body) {
      this.bodyLength += n;
      if (this.bodyLength === this.body.length) this.complete(exchange, this.body);
      return;
    }
    const searchFrom = Math.max(0, this.headLength - 3);
    this.headLength += n;
    const end = this.head.subarray(0, this.headLength).indexOf(headEnd, searchFrom);
    if (end < 0) {
      if (this.headLength === headLimit) this.fail(new ChalkError('io', `${exchange.what}: answer headers longer than ${headLimit} bytes`));
      return;
    }
    const parsed = parseHead(this.head.toString('latin1', 0, end));
    if (!parsed) {
      this.fail(new ChalkError('io', `${exchange.what}: malformed HTTP answer from the store`));
      return;
    }
    exchange.status = parsed.status;
    exchange.headers = parsed.headers;
    const bodyStart = end + headEnd.length;
    const lengthText = parsed.headers.get('content-length');
    const length = lengthText !== undefined && /^\d+$/.test(lengthText) ? Number(lengthText) : undefined;
    const chunked = parsed.headers.get('transfer-encoding')?.toLowerCase() === 'chunked';
    if (parsed.status >= 300 && chunked) {
      // An error document sent chunked (some stores do): small, read whole into the head buffer.
      this.errorBodyStart = bodyStart;
      this.receivedErrorBody(exchange);
      return;
    }
    if (parsed.status < 200 || parsed.headers.has('transfer-encoding') || length === undefined || !Number.isSafeInteger(length)) {
      this.fail(new UnsupportedAnswerError(`${exchange.what}: HTTP ${parsed.status} answer without a plain Content-Length`));
      return;
    }
    const already = this.headLength - bodyStart;
    if (already > length) {
      this.fail(new ChalkError('io', `${exchange.what}: body longer than its Content-Length (${length} bytes)`));
      return;
    }
    const body = Buffer.allocUnsafe(length);
    this.head.copy(body, 0, bodyStart, this.headLength);
    this.headLength = 0;
    this.bodyLength = already;
    this.body = body;
    if (already === length) this.complete(exchange, body);
  }

  /** A chunked error document: complete once its last chunk is in, or fail when it outgrows the head buffer. */
  private receivedErrorBody(exchange: Exchange): void {
    const start = this.errorBodyStart ?? 0;
    let body: Buffer | undefined;
    try {
      body = decodeChunked(this.head.subarray(start, this.headLength));
    } catch (err) {
      this.fail(new ChalkError('io', `${exchange.what}: malformed chunked answer from the store`, { cause: err }));
      return;
    }
    if (body) {
      this.errorBodyStart = undefined;
      this.headLength = 0;
      this.complete(exchange, body);
    } else if (this.headLength === headLimit) {
      this.fail(new ChalkError('io', `${exchange.what}: HTTP ${exchange.status} error document longer than ${headLimit} bytes`));
    }
  }

  private complete(exchange: Exchange, body: Buffer): void {
    this.exchange = undefined;
    this.body = undefined;
    this.bodyLength = 0;
    if (exchange.headers.get('connection')?.toLowerCase() === 'close') this.socket.destroy();
    else {
      this.socket.unref();
      this.onIdle(this);
    }
    exchange.resolve({ status: exchange.status, headers: exchange.headers, body });
  }
}

/**
 * A whole chunked body (RFC 9112 7.1) from its first byte, or undefined while incomplete;
 * throws when malformed. Only for small error documents: it re-parses from the start.
 */
export function decodeChunked(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return undefined;
    const sizeText = bytes.toString('latin1', at, eol).split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error(`bad chunk size line ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // Trailer fields (rare) then an empty line end the body.
      const trailersEnd = bytes.indexOf('\r\n', eol + 2, 'latin1') === eol + 2 ? eol + 4 : bytes.indexOf('\r\n\r\n', eol + 2, 'latin1');
      return trailersEnd < 0 ? undefined : Buffer.concat(parts);
    }
    if (eol + 2 + size + 2 > bytes.length) return undefined;
    if (bytes[eol + 2 + size] !== 0x0d || bytes[eol + 3 + size] !== 0x0a) throw new Error('chunk not followed by CRLF');
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Status line and header fields; undefined when malformed. */
function parseHead(text: string): { status: number; headers: Map<string, string> } | undefined {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!statusLine) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(statusLine[1]), headers };
}

/** Keep-alive sockets to one HTTP endpoint, for GETs whose bodies land in one buffer (module comment). */
export class DirectGetPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private destroyed = false;

  constructor(private readonly options: DirectGetPoolOptions) {}

  /** One GET of `path` (already encoded) with these headers; `what` names it in errors. */
  async get(path: string, headers: Record<string, string>, signal: AbortSignal, what: string): Promise<DirectAnswer> {
    for (;;) {
      const connection = this.idle.pop() ?? this.open();
      const reused = connection.used;
      try {
        return await this.exchange(connection, path, headers, signal, what);
      } catch (err) {
        // Closed, not slow: a timeout is the store's answer to this attempt, not the race.
        const keepAliveRace = reused && connection.failedUnanswered && !signal.aborted && (err as Error).name !== 'TimeoutError';
        if (!keepAliveRace) throw err;
      }
    }
  }

  /** Closes every socket; exchanges under way fail. */
  destroy(): void {
    this.destroyed = true;
    for (const connection of this.all) connection.fail(new Error('store client closed'));
    this.idle.length = 0;
  }

  private open(): Connection {
    if (this.destroyed) throw new ChalkError('io', 'store client closed');
    const connection = new Connection(
      this.options,
      (c) => {
        if (this.idle.length < this.options.maxIdle && !this.destroyed) this.idle.push(c);
        else c.socket.destroy();
      },
      (c) => {
        this.all.delete(c);
        const at = this.idle.indexOf(c);
        if (at >= 0) this.idle.splice(at, 1);
      },
    );
    this.all.add(connection);
    return connection;
  }

  private async exchange(connection: Connection, path: string, headers: Record<string, string>, signal: AbortSignal, what: string): Promise<DirectAnswer> {
    signal.throwIfAborted();
    const onAbort = () => connection.fail(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await connection.start(path, headers, what);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
