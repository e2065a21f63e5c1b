// How a test asserts a failure's kind: the ChalkError kind a call rejects (or throws)
// with, or 'none' when it succeeds. Anything that is not a ChalkError is rethrown: an
// untyped error is a bug, not an outcome.
import { isChalkError, type ErrorKind } from '../../chalkfs/util/chalk-error.js';

export async function kindOf(call: Promise<unknown> | (() => unknown)): Promise<ErrorKind | 'none'> {
  try {
    await (typeof call === 'function' ? call() : call);
    return 'none';
  } catch (err) {
    if (isChalkError(err)) return err.kind;
    throw err;
  }
}
