// ChalkError kinds -> the gRPC status codes the CSI spec names, in one exhaustive table
// (a new kind without a status does not compile), and the wrapper every CSI handler
// runs in: an RpcError passes as it is, anything else is translated here.
import { ChalkError, type ErrorKind } from '../util/chalk-error.js';
import { RpcError, type Message, type RpcStatus, type UnaryHandler } from '../grpc/grpc-server.js';

const STATUS_OF: Record<ErrorKind, RpcStatus> = {
  'not-found': 'NOT_FOUND',
  exists: 'ALREADY_EXISTS',
  'not-empty': 'FAILED_PRECONDITION',
  'not-a-directory': 'INVALID_ARGUMENT',
  'is-a-directory': 'INVALID_ARGUMENT',
  'read-only': 'FAILED_PRECONDITION',
  'name-too-long': 'INVALID_ARGUMENT',
  invalid: 'INVALID_ARGUMENT',
  'bad-handle': 'INTERNAL',
  stale: 'INTERNAL',
  'too-big': 'OUT_OF_RANGE',
  'no-space': 'RESOURCE_EXHAUSTED',
  'cross-device': 'INVALID_ARGUMENT',
  'not-permitted': 'PERMISSION_DENIED',
  'access-denied': 'PERMISSION_DENIED',
  precondition: 'ABORTED',
  'lease-held': 'FAILED_PRECONDITION',
  corrupt: 'INTERNAL',
  timeout: 'DEADLINE_EXCEEDED',
  io: 'INTERNAL',
  unsupported: 'UNIMPLEMENTED',
  config: 'INVALID_ARGUMENT',
};

export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof ChalkError) return new RpcError(STATUS_OF[err.kind], err.message, { cause: err });
  return new RpcError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

/** Wraps a handler so every failure leaves it as an RpcError. */
export function rpcHandler(fn: (request: Message) => Promise<Message>): UnaryHandler {
  return async (request) => {
    try {
      return await fn(request);
    } catch (err) {
      throw toRpcError(err);
    }
  };
}

/** A service's handlers, each wrapped by rpcHandler. */
export function rpcHandlers(methods: Record<string, (request: Message) => Promise<Message>>): Record<string, UnaryHandler> {
  return Object.fromEntries(Object.entries(methods).map(([name, fn]) => [name, rpcHandler(fn)]));
}

/** A Controller or Node GetCapabilities answer: RPC capabilities by name. */
export function rpcCapabilities(types: string[]): Message {
  return { capabilities: types.map((type) => ({ rpc: { type } })) };
}

/** The string field `field` of a request, or INVALID_ARGUMENT when it is missing. */
export function requiredField(request: Message, field: string): string {
  const value: unknown = request[field];
  if (typeof value !== 'string' || value === '') throw new RpcError('INVALID_ARGUMENT', `${field} is required`);
  return value;
}
