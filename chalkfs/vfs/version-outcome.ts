/*
 * Finds out what became of a version PUT whose answer never came (timeout, reset, any
 * io error after the request may have been sent). Answering "failed" without knowing
 * is how a transaction reported failed could land anyway: the application (SQLite)
 * rolls back, the next version replaces the landed one, and readers that had adopted
 * it go backwards. So, before a commit answers, the store is asked:
 *
 * - the object at `versions/N+1` is ours, byte for byte: the commit succeeded;
 * - it is ours with other content: an earlier attempt of this mount (reported failed)
 *   landed there;
 * - another writer's: this mount lost the sequence number;
 * - absent: we PUT it again (If-None-Match), which turns "absent" into an answer
 *   instead of a guess: a late copy of the lost attempt, landing after our read, then
 *   either is the one that makes the object exist (same bytes) or gets 412.
 *
 * This keeps going (backing off) while the store does not answer, for at most
 * `timeoutMs` and only while `keepTrying()` (the writer lease is held). Then it says
 * whether the outcome is still unknown (no answer at all) or the version was absent at
 * the last look and our PUTs failed.
 */
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { decodeStoredVersion, type WriterInfo } from '../meta/format.js';
import type { ObjectStore } from '../store/object-store.js';

export type VersionOutcome =
  | { kind: 'written' }
  | { kind: 'earlier-attempt' }
  | { kind: 'other-writer'; existing: { readonly writer: WriterInfo } | undefined }
  /** Absent at the last read and every PUT of ours failed: a failure, unless a lost attempt lands later. */
  | { kind: 'absent'; lastError: unknown }
  /** The store never answered the read: the version may or may not be there. */
  | { kind: 'unknown'; lastError: unknown };

export interface ResolveVersionOptions {
  store: ObjectStore;
  key: string;
  body: Buffer;
  mountId: string;
  timeoutMs: number;
  /** False stops the search early (e.g. the writer lease was lost). */
  keepTrying?: () => boolean;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called once per failed round, for logging. */
  onRetry?: (err: unknown) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function resolveVersionOutcome(options: ResolveVersionOptions): Promise<VersionOutcome> {
  const { store, key, body, mountId } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const keepTrying = options.keepTrying ?? (() => true);
  const deadline = clock() + options.timeoutMs;
  let delayMs = 100;
  let lastError: unknown;
  for (;;) {
    let stored: Buffer | undefined;
    let readFailed = false;
    let raced = false;
    try {
      stored = (await store.get(key)).body;
    } catch (err) {
      if (!isChalkError(err, 'not-found')) {
        readFailed = true;
        lastError = err;
      }
    }
    if (stored) return classify(stored, body, key, mountId);
    if (!readFailed) {
      try {
        await store.put(key, body, { ifNoneMatch: '*' });
        return { kind: 'written' };
      } catch (err) {
        // 412: something landed in between (perhaps the lost attempt): read it at once.
        if (isChalkError(err, 'precondition')) raced = true;
        else lastError = err;
      }
    }
    if (raced) {
      // Bounded too: a store answering 412 and then 404 forever is not an answer.
      if (clock() > deadline) return { kind: 'unknown', lastError };
      continue;
    }
    options.onRetry?.(lastError);
    if (clock() + delayMs > deadline || !keepTrying()) return readFailed ? { kind: 'unknown', lastError } : { kind: 'absent', lastError };
    await sleep(delayMs);
    delayMs = Math.min(1_000, delayMs * 2);
  }
}

function classify(stored: Buffer, body: Buffer, key: string, mountId: string): VersionOutcome {
  if (stored.equals(body)) return { kind: 'written' };
  let existing: { writer: WriterInfo } | undefined;
  try {
    // A delta or a full version: only its writer matters here, not its content.
    const decoded = decodeStoredVersion(stored, key);
    existing = decoded.kind === 'full' ? decoded.record : decoded.delta;
  } catch (err) {
    if (!(err instanceof ChalkError)) throw err;
  }
  if (existing?.writer.mountId === mountId) return { kind: 'earlier-attempt' };
  return { kind: 'other-writer', existing };
}

/** Store errors after which a PUT may or may not have landed. */
export function isAmbiguous(err: unknown): boolean {
  return isChalkError(err, 'timeout') || isChalkError(err, 'io');
}

/**
 * A journal's unlink or rename waits for its commit, and the FUSE layer answers those
 * operations itself after 30 s (fuse/serve-request.ts, opTimeoutMs): the first PUT (8 s), this,
 * and one last store call (8 s at most) must fit.
 */
export const defaultCommitOutcomeTimeoutMs = 12_000;
