// The libfuse 3 binding without a mount: the C layer's rules (native/test/rules_test.cc,
// built with the addon by scripts/build-native.sh) and the checks the addon makes on
// what JavaScript hands it. Mounted behaviour is in test/integration/fuse-lowlevel.test.ts.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LowLevelSession, libfuseVersion, replyErr, replyOk, requestContext, type FuseRequest } from '../../chalkfs/fuse/lowlevel.js';

const rulesTest = join(import.meta.dirname, '..', '..', 'native', 'build', 'Release', 'rules_test');

describe('the binding C rules', () => {
  it('pass their own tests (attribute cache, shared handles, request rules)', async () => {
    const { stdout } = await promisify(execFile)(rulesTest, [], { timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ok ')).length).toBe(15);
    expect(lines.at(-1)).toMatch(/^15 tests, \d+ checks passed$/);
  });
});

describe('the binding without a mount', () => {
  const options = { mountpoint: '/nonexistent', fsname: 'chalkfs:test', defaultPermissions: true, allowOther: false, autoUnmount: true, readOnly: false };

  it('is built against libfuse 3.14 or later', () => {
    expect(libfuseVersion).toBeGreaterThanOrEqual(314);
  });

  it('refuses a handler that is not a function and an unknown readdirplus mode', () => {
    expect(() => new LowLevelSession(options, { getattr: 1 } as never)).toThrow(/getattr is not a function/);
    expect(() => new LowLevelSession({ ...options, readdirplus: 'sometimes' as never }, {})).toThrow(/readdirplus/);
  });

  it('refuses to answer something that is not a request', () => {
    const fake = {} as FuseRequest<'none'>;
    expect(() => replyErr(fake, 2)).toThrow(/not a FUSE request/);
    expect(() => replyOk(fake)).toThrow(/not a FUSE request/);
    expect(() => requestContext(fake)).toThrow(/not a FUSE request/);
  });

  it('is closed, and notices fail with ENOTCONN, before it is mounted', async () => {
    const session = new LowLevelSession(options, {});
    await session.closed();
    expect(await session.notifyInvalEntry(1, 'x')).toBe(-107);
    expect(await session.notifyInvalInode(2)).toBe(-107);
    expect(session.stats().unanswered).toBe(0);
  });

  it('reports a mount point that does not exist as a mount error', async () => {
    const session = new LowLevelSession(options, { getattr: (req) => replyErr(req, 2) });
    await expect(session.mount()).rejects.toThrow(/could not mount at \/nonexistent/);
    await session.closed();
  });
});
