// The gRPC status a CSI call ends with: 'OK', or the status name of its RpcError.
import { RpcError } from '../../chalkfs/grpc/grpc-server.js';

export async function statusOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    if (err instanceof RpcError) return err.status;
    throw err;
  }
}
