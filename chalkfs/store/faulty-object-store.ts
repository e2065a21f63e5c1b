/*
 * An ObjectStore that wraps another and injects the faults a real network produces, for
 * unit tests of the layers above: a call that fails before reaching the store, a call
 * that lands but whose answer is lost (the caller sees a timeout), and a call held until
 * the test lets it go (a stall). Faults are chosen per operation and key, and counted,
 * so a test can assert that a fault really happened.
 */
import { ChalkError, type ErrorKind } from '../util/chalk-error.js';
import type { ObjectInfo, ObjectStore, PutCondition, StoreOperation, StoredObject } from './object-store.js';

export type Fault =
  /** Rejects without reaching the inner store. */
  | { kind: 'fail'; error?: ErrorKind }
  /** Reaches the inner store, then rejects with a timeout: the outcome is unknown to the caller. */
  | { kind: 'lose-response' }
  /** Waits until `release()` (or `releaseAll()`), then proceeds normally. */
  | { kind: 'stall' };

export interface FaultRule {
  op: StoreOperation;
  /** Keys it applies to; default every key. */
  key?: RegExp;
  fault: Fault;
  /** How many calls it applies to; default: until removed. */
  times?: number;
}

export class FaultyObjectStore implements ObjectStore {
  readonly description: string;
  /** Calls each rule acted on, by the rule's index in `rules`. */
  readonly injected: number[] = [];
  private rules: (FaultRule & { left: number })[] = [];
  private stalled: (() => void)[] = [];

  constructor(readonly inner: ObjectStore) {
    this.description = `faulty(${inner.description})`;
  }

  /** Adds a rule; returns a function that removes it. */
  inject(rule: FaultRule): () => void {
    const entry = { ...rule, left: rule.times ?? Number.POSITIVE_INFINITY };
    this.rules.push(entry);
    this.injected.push(0);
    return () => {
      entry.left = 0;
    };
  }

  /** Removes every rule (calls already stalled stay stalled until released). */
  heal(): void {
    for (const rule of this.rules) rule.left = 0;
  }

  /** Lets every stalled call proceed. */
  releaseAll(): void {
    for (const release of this.stalled.splice(0)) release();
  }

  get stalledCalls(): number {
    return this.stalled.length;
  }

  get(key: string): Promise<StoredObject> {
    return this.run('get', key, () => this.inner.get(key));
  }

  put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }> {
    return this.run('put', key, () => this.inner.put(key, body, condition));
  }

  delete(key: string): Promise<void> {
    return this.run('delete', key, () => this.inner.delete(key));
  }

  list(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<ObjectInfo[]> {
    return this.run('list', prefix, () => this.inner.list(prefix, options));
  }

  listPrefixes(prefix: string): Promise<string[]> {
    return this.run('list', prefix, () => this.inner.listPrefixes(prefix));
  }

  private async run<T>(op: StoreOperation, key: string, call: () => Promise<T>): Promise<T> {
    const index = this.rules.findIndex((r) => r.left > 0 && r.op === op && (!r.key || r.key.test(key)));
    if (index < 0) return call();
    const rule = this.rules[index]!;
    rule.left--;
    this.injected[index] = (this.injected[index] ?? 0) + 1;
    const where = `${op} ${this.description}/${key}`;
    switch (rule.fault.kind) {
      case 'fail':
        throw new ChalkError(rule.fault.error ?? 'io', `injected failure of ${where}`);
      case 'lose-response':
        await call();
        throw new ChalkError('timeout', `injected lost response of ${where}`);
      case 'stall':
        await new Promise<void>((release) => this.stalled.push(release));
        return call();
    }
  }
}
