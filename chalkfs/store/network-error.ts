/*
 * What a failed store attempt says about the network, in words a user can act on. Node
 * reports a reset as ECONNRESET ("socket hang up" when no answer had started) and the
 * SDK renames it "TimeoutError" so that its retry policy treats it as transient: the
 * name alone made a reset read as "timed out". The socket-level code is the truth.
 */
export interface NetworkFailure {
  /** An attempt ran out of time (as opposed to the connection failing). */
  timedOut: boolean;
  /** e.g. "connection reset by the store (ECONNRESET: socket hang up)". */
  description: string;
}

const byCode: Record<string, string> = {
  ECONNRESET: 'connection reset by the store',
  ECONNREFUSED: 'connection refused',
  EPIPE: 'connection closed by the store while sending',
  ECONNABORTED: 'connection aborted',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
};

/** undefined when `err` is not a network failure (an HTTP answer, a bug, ...). */
export function describeNetworkFailure(err: unknown): NetworkFailure | undefined {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code && byCode[code]) {
    const detail = message && !message.includes(code) ? `${code}: ${message}` : message || code;
    return { timedOut: false, description: `${byCode[code]} (${detail})` };
  }
  if (code === 'ETIMEDOUT' || e?.name === 'TimeoutError') return { timedOut: true, description: message || 'attempt timed out' };
  return undefined;
}
