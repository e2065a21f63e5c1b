// The one adapter for @grpc/grpc-js and @grpc/proto-loader: loads a .proto file at run
// time (no generated code, as democratic-csi does), serves services on a unix socket and
// answers each unary call from a plain async function. A handler throws RpcError to
// choose the status code; any other error is INTERNAL. Nothing of the library's types
// leaves this folder: messages are plain objects (keepCase field names, enums as their
// names, 64-bit integers as numbers, oneofs named by a `<oneof>` field).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { rm } from 'node:fs/promises';
import { ChalkError } from '../util/chalk-error.js';
import { claimSocket } from '../host/socket-claim.js';

/** The gRPC status codes, by the names the CSI spec uses. */
export type RpcStatus =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'PERMISSION_DENIED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export class RpcError extends Error {
  constructor(
    readonly status: RpcStatus,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RpcError';
  }
}

// A plain message: what proto-loader decodes to and what a handler returns. Its fields
// are `any` because the .proto is read at run time: no types are generated from it.
export type Message = Record<string, any>;
export type UnaryHandler = (request: Message) => Promise<Message>;
/** Handlers of one service by method name; a method without one answers UNIMPLEMENTED. */
export type ServiceHandlers = Record<string, UnaryHandler>;

export interface CallLog {
  (method: string, err: unknown): void;
}

const LOAD_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

type ServiceTree = { [name: string]: ServiceTree | grpc.ServiceClientConstructor };

/** The service definition `pkg.Service` (e.g. "csi.v1.Node") of a .proto file. */
function serviceConstructor(protoPath: string, qualifiedName: string): grpc.ServiceClientConstructor {
  const tree = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, LOAD_OPTIONS)) as unknown as ServiceTree;
  let node: ServiceTree | grpc.ServiceClientConstructor | undefined = tree;
  for (const part of qualifiedName.split('.')) node = node === undefined || typeof node === 'function' ? undefined : node[part];
  if (typeof node !== 'function') throw new ChalkError('config', `${protoPath} defines no service ${qualifiedName}`);
  return node;
}

export interface RpcServer {
  socketPath: string;
  /** Stops accepting, lets calls in progress finish, removes the socket file. */
  close(): Promise<void>;
}

/** Serves `services` (qualified name -> handlers) on a unix socket. */
export async function serveRpc(protoPath: string, socketPath: string, services: Record<string, ServiceHandlers>, onError: CallLog): Promise<RpcServer> {
  const server = new grpc.Server();
  for (const [name, handlers] of Object.entries(services)) {
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [method, handler] of Object.entries(handlers)) {
      implementation[method] = (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) => {
        handler(call.request).then(
          (reply) => callback(null, reply),
          (err: unknown) => {
            onError(`${name}/${method}`, err);
            callback({ code: grpc.status[err instanceof RpcError ? err.status : 'INTERNAL'], details: err instanceof Error ? err.message : String(err) });
          },
        );
      };
    }
    server.addService(serviceConstructor(protoPath, name).service, implementation);
  }
  await claimSocket(socketPath, 'gRPC server');
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(new ChalkError('io', `cannot listen on ${socketPath}: ${err.message}`, { cause: err })) : resolve())),
  );
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        await rm(socketPath, { force: true });
      })();
      return closing;
    },
  };
}

export interface RpcClient {
  /** Calls `method`; a failure is an RpcError carrying the status name. */
  call(method: string, request: Message): Promise<Message>;
  close(): void;
}

/** A client of one service (e.g. "csi.v1.Controller") on a unix socket. */
export function rpcClient(protoPath: string, qualifiedName: string, socketPath: string): RpcClient {
  const Client = serviceConstructor(protoPath, qualifiedName);
  const client = new Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
  const byCode = new Map(Object.entries(grpc.status).map(([name, code]) => [code, name]));
  return {
    call(method, request) {
      const fn = (client as unknown as Record<string, unknown>)[method];
      if (typeof fn !== 'function') return Promise.reject(new ChalkError('invalid', `${qualifiedName} has no method ${method}`));
      return new Promise((resolve, reject) =>
        (fn as (req: Message, cb: (err: grpc.ServiceError | null, reply: Message) => void) => void).call(client, request, (err, reply) => {
          if (!err) return resolve(reply);
          reject(new RpcError((byCode.get(err.code) ?? 'INTERNAL') as RpcStatus, err.details || err.message, { cause: err }));
        }),
      );
    },
    close: () => client.close(),
  };
}
