// Where log lines go (a file or a descriptor), made so logging can never block or kill
// the data path. pino's default destination (sonic-boom) emits write errors nobody
// handles (the daemon died) and, at exit, retries a failed write forever (a full disk
// wedged the daemon). Here every write is asynchronous and tried once: a failed write
// (ENOSPC, EIO, ...) drops its lines and counts them; lines beyond `maxQueuedBytes`
// waiting for the disk are dropped and counted too. Nothing is retried in a loop.
// A file destination can be size-bounded (log-rotation.ts): it is rotated between two of
// its writes. A destination can also format each line (log-format.ts, for a terminal).
import { closeSync, fstatSync, openSync, write, writeSync } from 'node:fs';
import { rotateLog, type LogRotation } from './log-rotation.js';

export interface LogDestinationOptions {
  /** Lines waiting for the disk beyond this many bytes are dropped (and counted). */
  maxQueuedBytes?: number;
  /** A file target only: rotate it once it grows past rotation.maxBytes. */
  rotation?: LogRotation;
  /** Turns each serialized line into what is written (default: as it is). */
  format?: (line: string) => string;
}

export interface LogHealth {
  droppedLines: number;
  writeErrors: number;
  lastError?: string;
}

/** Totals for every destination in this process (the daemon's status shows them). */
export const logHealth: LogHealth = { droppedLines: 0, writeErrors: 0 };

export class LogDestination {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing = false;
  private waiters: (() => void)[] = [];
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly maxQueuedBytes: number;
  /** Bytes written since the file was last measured (rotation only). */
  private writtenSinceCheck = 0;

  constructor(
    private readonly target: number | string,
    private readonly options: LogDestinationOptions = {},
  ) {
    this.ownsFd = typeof target === 'string';
    this.fd = typeof target === 'string' ? openSync(target, 'a') : target;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    if (options.rotation) this.writtenSinceCheck = fstatSync(this.fd).size;
  }

  /** pino calls this with one serialized line. Never throws, never waits. */
  write(line: string): boolean {
    const buf = Buffer.from(this.options.format ? this.options.format(line.replace(/\n$/, '')) : line);
    if (this.queuedBytes + buf.length > this.maxQueuedBytes) {
      logHealth.droppedLines++;
      return true;
    }
    this.queue.push(buf);
    this.queuedBytes += buf.length;
    if (!this.writing) this.pump();
    return true;
  }

  /** Calls back once what is queued now has been written or dropped. */
  flush(cb: (err?: Error) => void = () => undefined): void {
    if (!this.writing && this.queue.length === 0) return void cb();
    this.waiters.push(() => cb());
  }

  /** For process exit: one pass over what is queued, synchronously; failures drop it. */
  flushSync(): void {
    if (this.writing) return; // an async write owns the file position; its lines are lost at exit
    let chunk = this.take();
    try {
      while (chunk.length > 0) {
        const n = writeSync(this.fd, chunk);
        if (n <= 0) break;
        chunk = chunk.subarray(n);
      }
    } catch (err) {
      this.failed(1, err);
    }
  }

  end(): void {
    this.flushSync();
    if (this.ownsFd) closeSync(this.fd);
  }

  private take(): Buffer {
    const chunk = Buffer.concat(this.queue);
    this.queue = [];
    this.queuedBytes = 0;
    return chunk;
  }

  private pump(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      for (const wake of this.waiters.splice(0)) wake();
      return;
    }
    this.writing = true;
    const lines = this.queue.length;
    const chunk = this.take();
    write(this.fd, chunk, 0, chunk.length, null, (err, written) => {
      if (err) this.failed(lines, err);
      else if (written < chunk.length) {
        this.queue.unshift(chunk.subarray(written));
        this.queuedBytes += chunk.length - written;
      }
      this.writtenSinceCheck += written ?? 0;
      void this.rotateIfFull().then(() => this.pump());
    });
  }

  /** Rotates the file once it has passed its bound; a failure is counted, never thrown. */
  private async rotateIfFull(): Promise<void> {
    const rotation = this.options.rotation;
    if (!rotation || typeof this.target !== 'string' || this.writtenSinceCheck < rotation.maxBytes) return;
    try {
      // Other descriptors (the daemon's stderr) write to the file too: measure it.
      if (fstatSync(this.fd).size >= rotation.maxBytes) await rotateLog(this.target, rotation.keep);
      this.writtenSinceCheck = fstatSync(this.fd).size;
    } catch (err) {
      this.writtenSinceCheck = 0;
      this.failed(0, err);
    }
  }

  private failed(lines: number, err: unknown): void {
    logHealth.writeErrors++;
    logHealth.droppedLines += lines;
    logHealth.lastError = (err as NodeJS.ErrnoException).code ?? String(err);
  }
}
